"""The dashboard's pages in a real headless Chromium against a real platform (embedded PostgreSQL and broker).

A company → departments → teams cascade with measurements: the tree shows, for every goal on the page, the
numbers `GET /v1/tree` gives; the third level opens from the keyboard; a goal page draws its uPlot chart with
the values, the expected line, the target and the milestones `GET /v1/goals/{id}/series` (or, on a tracking
without it, the history and the plan) give; a new measurement shows without a reload, keeping the subtree the
reader opened; `as of` in each mode shows what the API answers for that time.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.e2e.conftest import Platform
from tests.support.browser import (
    chromium,
    console,
    csp_violations,
    fail_requests,
    hold_requests,
    live_objects,
    release_requests,
    requested,
    settled,
    text_of,
    wait_until,
)
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC)
NONE = "\u2013"  # the en dash the page shows for no value
START, DEADLINE = NOW - timedelta(days=25), NOW + timedelta(days=5)


def _number(value: float | None, unit: str | None = None) -> str:
    """What dom.js `number` shows for the small values these tests use."""
    if value is None:
        return NONE
    shown = f"{value:.6g}"
    return f"{shown} {unit}" if unit else shown


def _percent(value: float | None) -> str:
    """JavaScript's toFixed(1): a tie rounds up (26.25 -> 26.3), where Python's format rounds to even; short of
    1 never 100.0% (dom.js `percent`)."""
    if value is None:
        return NONE
    shown = f"{Decimal(repr(value * 100)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}"
    return f"{'99.9' if value < 1 and shown == '100.0' else shown}%"


class Api:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def goals(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.request(method, f"{self.platform.goals.url}{path}", json=body, headers=self.platform.auth)
        assert response.status_code in (200, 201, 202), response.text
        answer: dict[str, Any] = response.json()
        return answer

    def tracking(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.platform.tracking.url}{path}", params=params, headers=self.platform.auth, timeout=10)

    def goal(self, title: str, metric: str | None, parent: str | None, **fields: Any) -> str:
        body = {"title": title, "start_at": START.isoformat(), "deadline": DEADLINE.isoformat(), **fields}
        if metric:
            body |= {"metric": {"key": metric}, "target": 100, "unit": "deals"}
        else:
            body["rollup"] = "weighted_mean"
        if parent:
            body["parent_id"] = parent
        goal_id: str = self.goals("POST", "/v1/goals", body)["id"]
        return goal_id

    def measure(self, metric: str, value: float, observed_at: datetime = NOW) -> None:
        row = {"metric": metric, "value": value, "source": "crm", "observed_at": observed_at.isoformat()}
        self.goals("POST", "/v1/measurements", {"measurements": [row]})

    def settled(self, goal_id: str, value: float) -> None:
        async def shown() -> bool:
            answer = self.tracking(f"/v1/goals/{goal_id}/progress")
            return answer.status_code == 200 and answer.json()["current_value"] == value

        asyncio.run(eventually(shown, 60, f"tracking shows {value} on {goal_id}"))


def test_a_new_organisation_sees_what_to_do_next(platform: Platform, tmp_path: Path) -> None:
    # First in this module: the module's organisation has no goal yet (the other tests make theirs).
    assert Api(platform).tracking("/v1/tree").json()["items"] == [], "run before the module's other tests"
    with chromium(tmp_path / "profile") as driver:
        _open(driver, platform)
        wait_until(driver, lambda d: "No goals yet" in text_of(d, "tree"), "the empty state")
        tree = text_of(driver, "tree")
        assert "curl -X POST" in tree and "/v1/goals" in tree and "goalstream goals import" in tree
        # the event stream, empty too, shows the organisation's first events as they come, without a reload
        driver.get(f"{platform.tracking.url}/#events")
        wait_until(driver, lambda d: "No events yet" in text_of(d, "events"), "the empty event stream")
        polling = lambda d: any("after" in q for q in requested(d, "/v1/events"))  # noqa: E731
        wait_until(driver, polling, "the live poll under way (its cursor taken before the first event)")
        first = Api(platform).goal(f"First goal {uuid.uuid4().hex[:6]}", f"first.{uuid.uuid4().hex[:6]}", None)
        wait_until(driver, lambda d: first in text_of(d, "events"), "the first goal's events, live", timeout=45)
        assert csp_violations(console(driver)) == []


@pytest.fixture(scope="module")
def cascade(platform: Platform) -> dict[str, str]:
    """company → sales, support → two teams under sales (the third level), values on the teams and support."""
    api, tag = Api(platform), uuid.uuid4().hex[:6]
    ids = {"company": api.goal(f"Company {tag}", None, None, level="organisation")}
    ids["sales"] = api.goal(f"Sales {tag}", None, ids["company"], level="department", weight=2)
    ids["support"] = api.goal(f"Support {tag}", f"support.{tag}", ids["company"], level="department", owner="ana")
    ids["east"] = api.goal(f"East team {tag}", f"east.{tag}", ids["sales"], level="team", owner="bo")
    ids["west"] = api.goal(f"West team {tag}", f"west.{tag}", ids["sales"], level="team")
    api.goals("POST", f"/v1/goals/{ids['east']}/plan", {"milestones": 3})
    for key, value in (("support", 30), ("east", 40), ("west", 12.5)):
        api.measure(f"{key}.{tag}", value)
    for key, value in (("support", 30), ("east", 40), ("west", 12.5)):
        api.settled(ids[key], value)
    ids["tag"] = tag
    return ids


def _open(driver: webdriver.Chrome, platform: Platform, fragment: str = "") -> None:
    driver.get(f"{platform.tracking.url}/{fragment}")
    driver.find_element(By.ID, "key").send_keys(platform.api_key)
    driver.find_element(By.CSS_SELECTOR, "#auth button").click()


# The rows as one snapshot read in the page: live refreshes redraw the tree, so elements found one by one go stale.
ROWS = """return Object.fromEntries([...document.querySelectorAll('#tree .goal')].map((row) => [row.dataset.goalId,
  Object.fromEntries([...row.children].filter((c) => c.className).map((c) => [c.className.split(' ')[0], c.textContent])
    .concat([['expanded', row.getAttribute('aria-expanded')],
      ['said', row.querySelector('[role=progressbar]').getAttribute('aria-valuetext')]]))]))"""


def _rows(driver: webdriver.Chrome) -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = driver.execute_script(ROWS)
    return rows


def _press(driver: webdriver.Chrome, goal_id: str, css: str = "", keys: str = "") -> None:
    """Click (`css` inside the row) or type `keys` on a goal's row, again if a live refresh redrew it meanwhile."""
    for _ in range(5):
        try:
            row = driver.find_element(By.CSS_SELECTOR, f"#tree .goal[data-goal-id='{goal_id}']")
            (row.find_element(By.CSS_SELECTOR, css).click() if css else row.send_keys(keys))
            return
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"row {goal_id} kept being redrawn")


def _flatten(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {tree["goal"]["goal_id"]: tree["goal"]}
    for child in tree["children"]:
        found |= _flatten(child)
    return found


def _assert_rows_match(driver: webdriver.Chrome, expected: dict[str, dict[str, Any]]) -> int:
    checked = 0
    for goal_id, cells in _rows(driver).items():
        if goal_id not in expected:
            continue  # another module's organisation never shows; this one's other goals are checked elsewhere
        goal = expected[goal_id]
        assert cells["title"] == goal["title"]
        assert cells["pct"] == _percent(goal["progress"]), (goal["title"], cells)
        assert cells["said"] == cells["pct"], cells  # a screen reader hears the number shown, not the clamped bar
        if goal["metric"]:  # a rolled-up parent shows how it rolls up instead
            shown = f"{_number(goal['current_value'], goal['unit'])} / {_number(goal['target'], goal['unit'])}"
            assert cells["value"] == shown
        else:
            assert cells["value"] == f"{goal['rollup'].replace('_', ' ')} of children"
        assert cells["status"] == (goal["status"] or "no status").replace("_", " ")
        assert cells["owner"] == (goal["owner"] or "")
        checked += 1
    return checked


def test_the_tree_shows_the_api_numbers_and_opens_from_the_keyboard(
    platform: Platform, cascade: dict[str, str], tmp_path: Path
) -> None:
    api = Api(platform)
    with chromium(tmp_path / "profile") as driver:
        _open(driver, platform)
        wait_until(driver, lambda d: cascade["sales"] in _rows(d), "the company and its departments")
        assert cascade["east"] not in _rows(driver)  # the third level starts collapsed
        assert _rows(driver)[cascade["sales"]]["expanded"] == "false"
        _press(driver, cascade["sales"], keys=Keys.SPACE)  # keyboard: Space opens the subtree
        wait_until(driver, lambda d: cascade["east"] in _rows(d), "the teams after Space")
        assert _rows(driver)[cascade["sales"]]["expanded"] == "true"
        expected = _flatten(api.tracking("/v1/tree", root=cascade["company"], max_depth=50).json())
        assert _assert_rows_match(driver, expected) == len(expected) == 5
        assert csp_violations(console(driver)) == []

        tag = cascade["tag"]
        driver.find_element(By.ID, "f-q").send_keys(f"west TEAM {tag}")  # search by title, any case
        wait_until(driver, lambda d: set(_rows(d)) == {cascade["west"]}, "the search's one match")
        assert _rows(driver)[cascade["west"]]["path"] == f"in Company {tag} \u203a Sales {tag}"
        driver.find_element(By.ID, "f-q").clear()
        driver.find_element(By.ID, "f-owner").send_keys("bo")  # filter by owner
        wait_until(driver, lambda d: cascade["east"] in _rows(d) and cascade["west"] not in _rows(d), "bo's goals")
        driver.find_element(By.ID, "f-owner").clear()
        wait_until(driver, lambda d: cascade["company"] in _rows(d), "the whole tree again")

        _press(driver, cascade["east"], keys=Keys.ENTER)  # Enter opens the goal's page
        wait_until(driver, lambda d: "East team" in text_of(d, "goal"), "the goal page after Enter")

        driver.get(f"{platform.tracking.url}/#goal={cascade['company']}")  # a rollup: its children and weights
        wait_until(driver, lambda d: "rollup: weighted_mean" in text_of(d, "goal"), "the rollup's children")
        contributions = driver.find_element(By.CSS_SELECTOR, "#goal table.rollup").text
        # a weighted mean's children give their clamped progress and its share: percentages, as the API's fractions
        children = api.tracking(f"/v1/goals/{cascade['company']}/progress").json()["source"]["children"]
        for name, child in ((f"Sales {tag}", cascade["sales"]), (f"Support {tag}", cascade["support"])):
            c = next(c for c in children if c["goal_id"] == child)
            row = f"{name} {c['weight']:g} {_percent(c['value'])} {_percent(c['contribution'])}"
            assert row in contributions, (row, contributions)

        # numbers that round must not read as what they are not: a target, or 100% of it
        shown = driver.execute_async_script(
            "const done = arguments[arguments.length - 1]; import('/static/dom.js').then((m) => done("
            "[m.number(999999.6, 'EUR'), m.number(1234.5), m.percent(0.99996), m.percent(1.2), m.percent(null)]))"
        )
        assert shown == ["999,999.6 EUR", "1,234.5", "99.9%", "120.0%", NONE]
        # a bar with no value has no aria-valuenow (a screen reader would say 0) and says so
        said = driver.execute_async_script(
            "const done = arguments[arguments.length - 1]; import('/static/dom.js').then((m) => done("
            "[m.bar(null, 'x'), m.bar(1, 'x', '120.0%')].map((b) =>"
            " [b.getAttribute('aria-valuenow'), b.getAttribute('aria-valuetext')])))"
        )
        assert said == [[None, "no value yet"], ["100", "120.0%"]]


def _drawn(driver: webdriver.Chrome) -> dict[str, Any] | None:
    charts = driver.find_elements(By.CSS_SELECTOR, "#chart[data-series]")
    if not charts or not driver.find_elements(By.CSS_SELECTOR, "#chart canvas"):
        return None
    drawn: dict[str, Any] = json.loads(charts[0].get_attribute("data-series") or "null")
    return drawn


def test_a_goal_page_draws_its_chart_with_the_expected_line_and_milestones(
    platform: Platform, cascade: dict[str, str], tmp_path: Path
) -> None:
    api, goal_id = Api(platform), cascade["east"]
    goal = api.tracking(f"/v1/goals/{goal_id}/progress").json()
    assert len(goal["milestones"]) == 3
    with chromium(tmp_path / "profile") as driver:
        _open(driver, platform, f"#goal={goal_id}")
        drawn = wait_until(driver, _drawn, "the goal's chart")
        series = api.tracking(f"/v1/goals/{goal_id}/series")
        if series.status_code == 200:  # the series route: exactly its points and expected line
            body = series.json()
            assert [v for v in drawn["value"] if v is not None] == [
                p["value"] for p in body["points"] if p["value"] is not None
            ]
            vertices = {e["at"]: e["value"] for e in body["expected"]}  # a milestone due at the deadline: one x
            assert [v for v in drawn["expected"] if v is not None] == list(vertices.values())
        else:  # a tracking without it yet: the history's values and the plan's milestones
            assert series.status_code == 404
            assert [v for v in drawn["value"] if v is not None] == [40]
            assert [v for v in drawn["expected"] if v is not None] == [m["target"] for m in goal["milestones"]]
        assert len([v for v in drawn["expected"] if v is not None]) >= 2
        assert set(drawn["target"]) == {100}
        assert [m["index"] for m in drawn["milestones"]] == [1, 2, 3]
        page = text_of(driver, "goal")
        assert "40 deals / 100 deals" in page and "bo" in page and "crm" in page  # value, owner, its source
        assert "MeasurementRecorded" in page  # its history
        assert csp_violations(console(driver)) == []


def test_a_new_measurement_shows_without_a_reload_keeping_the_readers_place(
    platform: Platform, cascade: dict[str, str], tmp_path: Path
) -> None:
    api = Api(platform)
    with chromium(tmp_path / "profile") as driver:
        _open(driver, platform)
        wait_until(driver, lambda d: cascade["sales"] in _rows(d), "the tree")
        _press(driver, cascade["sales"], css=".toggle")  # the reader opens a subtree
        wait_until(driver, lambda d: cascade["west"] in _rows(d), "the opened subtree")
        driver.execute_script("window.__notReloaded = true")
        api.measure(f"west.{cascade['tag']}", 77, datetime.now(UTC))  # observed after the first value

        def updated(d: webdriver.Chrome) -> bool:
            row = _rows(d).get(cascade["west"])
            return row is not None and row["value"].startswith("77 deals")

        api.settled(cascade["west"], 77)
        wait_until(driver, updated, "the new value without a reload", timeout=45)
        assert driver.execute_script("return window.__notReloaded === true")
        assert _rows(driver)[cascade["sales"]]["expanded"] == "true"  # still open

        # tracking failing for a while (a 500 to every request, the live poll's included): the page says so and
        # that it retries, and once tracking answers again the message goes by itself, with no new event
        fail_requests(driver, 500)
        wait_until(driver, lambda d: "injected failure" in text_of(d, "notice"), "the failure, said")
        assert "retrying" in text_of(driver, "notice")
        fail_requests(driver, 0)
        wait_until(driver, lambda d: text_of(d, "notice") == "", "the failure's message gone once tracking answers")
        assert cascade["west"] in _rows(driver)
        assert csp_violations(console(driver)) == []


def test_as_of_in_each_mode_shows_what_the_api_answers(platform: Platform, tmp_path: Path) -> None:
    api, tag = Api(platform), uuid.uuid4().hex[:6]
    goal_id = api.goal(f"Time travel {tag}", f"tt.{tag}", None)
    api.measure(f"tt.{tag}", 10, NOW - timedelta(days=20))
    api.settled(goal_id, 10)
    recorded_at = datetime.now(UTC).isoformat()  # after the first value was applied, before the second
    api.measure(f"tt.{tag}", 60, NOW - timedelta(days=2))
    api.settled(goal_id, 60)
    observed_at = (NOW - timedelta(days=10)).isoformat()  # by the measurements' own time, only the first
    with chromium(tmp_path / "profile") as driver:
        _open(driver, platform, f"#goal={goal_id}")
        wait_until(driver, lambda d: "60 deals / 100 deals" in text_of(d, "goal"), "the goal now")
        for mode, at in (("recorded", recorded_at), ("observed", observed_at)):
            answer = api.tracking(f"/v1/goals/{goal_id}/progress", as_of=at, as_of_mode=mode)
            assert answer.status_code == 200, (mode, answer.text)
            want = f"{_number(answer.json()['current_value'], 'deals')} / 100 deals"
            assert answer.json()["current_value"] == 10, (mode, answer.json())  # the API's own answer
            box = driver.find_element(By.ID, "asof")
            box.clear()
            box.send_keys(at)
            driver.find_element(By.CSS_SELECTOR, f"#asof-mode option[value={mode}]").click()
            driver.find_element(By.CSS_SELECTOR, "#auth button").click()

            def shown(d: webdriver.Chrome, m: str = mode, w: str = want) -> bool:
                return f"({m} time)" in text_of(d, "asof-shown") and w in text_of(d, "goal")

            wait_until(driver, shown, f"the {mode} value")
            # its history too is of that time: not the value measured (or recorded) after it
            history = driver.find_element(By.CSS_SELECTOR, "#goal table.history").text
            assert "10 deals" in history and "60 deals" not in history, (mode, history)
        driver.get(f"{platform.tracking.url}/#events")  # the stream is the log now, and says so while as of is set
        wait_until(driver, lambda d: "as of does not apply" in text_of(d, "events"), "the stream's note on as of")
        driver.get(f"{platform.tracking.url}/#goal={goal_id}")

        # A slow answer for an older choice must not land over a newer one: the recorded as-of's requests are
        # held while the reader goes back to now; let go, they must change nothing.
        hold_requests(driver, "as_of_mode=recorded")
        _choose(driver, recorded_at, "recorded")
        _choose(driver, "", "recorded")
        wait_until(driver, lambda d: "now, live" in text_of(d, "asof-shown"), "now again")
        wait_until(driver, lambda d: "60 deals / 100 deals" in text_of(d, "goal"), "the value now")
        driver.execute_script(STALE_WATCH, "10 deals / 100 deals")  # a later redraw must not hide that it was drawn
        release_requests(driver)
        settled(driver, quiet_ms=1500)
        assert not driver.execute_script("return window.__stale"), "an older as-of's late answer was drawn"
        assert "60 deals / 100 deals" in text_of(driver, "goal")
        assert "now, live" in text_of(driver, "asof-shown")
        # the chart was drawn once per Show (five times): only the one shown may still be held
        assert live_objects(driver, "HTMLCanvasElement") == 1
        assert csp_violations(console(driver)) == []


# Sets window.__stale once the goal page ever shows the text given (even if a later drawing replaces it).
STALE_WATCH = """const goal = document.getElementById('goal'); const text = arguments[0]; window.__stale = false;
new MutationObserver(() => { if (goal.textContent.includes(text)) window.__stale = true; })
  .observe(goal, { subtree: true, childList: true, characterData: true });"""


def _choose(driver: webdriver.Chrome, at: str, mode: str) -> None:
    """Type an as-of time (empty: now), choose its mode and press Show."""
    box = driver.find_element(By.ID, "asof")
    box.clear()
    box.send_keys(at)
    driver.find_element(By.CSS_SELECTOR, f"#asof-mode option[value={mode}]").click()
    driver.find_element(By.CSS_SELECTOR, "#auth button").click()


def test_ladders_anti_goals_and_the_live_event_stream(platform: Platform, tmp_path: Path) -> None:
    api, tag = Api(platform), uuid.uuid4().hex[:6]
    span = {"start_at": START.isoformat(), "deadline": DEADLINE.isoformat()}
    rung = {"metric": {"key": f"rung.{tag}"}}
    rungs = [
        {"title": f"Rung one {tag}", "target": 5, **span, **rung},
        {"title": f"Rung two {tag}", "target": 9, "deadline": (DEADLINE + timedelta(days=30)).isoformat(), **rung},
    ]
    ladder = api.goals("POST", "/v1/ladders", {"title": f"Climb {tag}", "rungs": rungs})["id"]
    anti = {"kind": "anti", "comparator": "above", "threshold": 5, "recovery_threshold": 3, "severity": "warning"}
    anti_id = api.goals(
        "POST",
        "/v1/goals",
        {"title": f"Churn {tag}", "metric": {"key": f"churn.{tag}"}, **anti, "start_at": START.isoformat()},
    )["id"]
    quiet = {"title": f"Quiet {tag}", "metric": {"key": f"quiet.{tag}"}, **anti, "start_at": START.isoformat()}
    quiet_id = api.goals("POST", "/v1/goals", quiet)["id"]  # never measured
    api.measure(f"churn.{tag}", 9)
    api.settled(anti_id, 9)
    with chromium(tmp_path / "profile") as driver:
        _open(driver, platform)
        wait_until(driver, lambda d: f"Climb {tag}" in text_of(d, "ladders"), "the ladder")
        ladders = text_of(driver, "ladders")
        assert "current rung 1 of 2" in ladders and "active (current)" in ladders and "locked" in ladders
        assert f"Rung one {tag}" not in text_of(driver, "tree")  # a rung shows in its ladder, not as a root
        box = driver.find_element(By.CSS_SELECTOR, f"#ladders [data-ladder-id='{ladder}']")
        assert len(box.find_elements(By.CSS_SELECTOR, ".rung")) == 2
        wait_until(driver, lambda d: f"Churn {tag}" in text_of(d, "anti"), "the anti-goal")
        churn = driver.find_element(By.CSS_SELECTOR, f"#anti [data-goal-id='{anti_id}']").text
        listed = api.tracking("/v1/anti-goals", state="breached").json()["items"]
        assert next(a for a in listed if a["goal_id"] == anti_id)["recovery_threshold"] == 3
        assert "in breach" in churn and "warning" in churn and "9 (breach above 5, recovers ≤ 3)" in churn
        assert "→ open" in churn  # its open episode, in words beside the timeline
        wait_until(driver, lambda d: f"Quiet {tag}" in text_of(d, "anti"), "the anti-goal never measured")
        quiet_row = driver.find_element(By.CSS_SELECTOR, f"#anti [data-goal-id='{quiet_id}']").text
        assert "no value yet" in quiet_row and "ok" not in quiet_row.split("\n"), quiet_row  # not said to be fine

        driver.get(f"{platform.tracking.url}/#events")
        wait_until(driver, lambda d: anti_id in text_of(d, "events"), "the anti-goal's events in the stream")
        driver.find_element(By.CSS_SELECTOR, "#ev-type option[value=AntiGoalBreached]").click()
        wait_until(
            driver,
            lambda d: (
                {c.text for c in d.find_elements(By.CSS_SELECTOR, "#event-rows td:nth-child(2)")}
                == {"AntiGoalBreached"}
            ),
            "only the breaches",
        )
        driver.find_element(By.CSS_SELECTOR, "#ev-type option[value='']").click()
        wait_until(driver, lambda d: "AntiGoalBreached" in text_of(d, "events"), "every type again")
        link = f"#event-rows a[href='#goal={anti_id}']"
        wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, link), "a link to the anti-goal")
        driver.execute_script("document.querySelector(arguments[0]).focus()", link)  # the keyboard reader's place
        api.measure(f"churn.{tag}", 2, datetime.now(UTC))  # recovers: new events arrive without a reload
        wait_until(driver, lambda d: "AntiGoalRecovered" in text_of(d, "events"), "the recovery, live", timeout=45)
        focused = driver.execute_script("return document.activeElement.getAttribute('href')")
        assert focused == f"#goal={anti_id}", "the live refresh lost the reader's place"
        assert csp_violations(console(driver)) == []
