"""The goal tree loads what it shows, in a real headless Chromium against a real platform.

company → department → team → member (four levels) and a department with more children than one page. At first
the page asks for the roots and each root's children only; a collapsed node's children are asked for when it is
opened (`GET /v1/tree?root=<id>&max_depth=1`, read from the page's own resource timings) and show the API's
numbers; the department with many children shows its first page and a "show the next" control that loads the rest.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.e2e.conftest import Platform
from tests.support.browser import chromium, console, csp_violations, requested, wait_until, watch_requests
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e
PAGE = 100  # children per page, as the page asks for them
KIDS = PAGE + 7  # one page and a part
# dom.js `countsText`: the statuses in its order, in words
STATUSES = {"on_track": "on track", "at_risk": "at risk", "off_track": "off track", "achieved": "achieved"}
STATUSES |= {"missed": "missed"}


@pytest.fixture(scope="module")
def org(platform: Platform) -> dict[str, str]:
    """The goals in one batch, a value on the member; settled once tracking shows every child and the value."""
    tag = uuid.uuid4().hex[:6]
    span = {"start_at": "2020-01-01T00:00:00Z", "deadline": "2100-01-01T00:00:00Z"}
    parent = {"rollup": "weighted_mean", **span}

    def measured(key: str) -> dict[str, Any]:
        return {"metric": {"key": f"{key}.{tag}"}, "target": 100, "unit": "deals", **span}

    goals = [
        {"ref": "company", "title": f"Company {tag}", "level": "organisation", **parent},
        {"ref": "dept", "title": f"Deep dept {tag}", "parent_ref": "company", "level": "department", **parent},
        {"ref": "team", "title": f"Deep team {tag}", "parent_ref": "dept", "level": "team", **parent},
        {"ref": "member", "title": f"Member {tag}", "parent_ref": "team", "level": "individual", **measured("m")},
        {"ref": "wide", "title": f"Wide dept {tag}", "parent_ref": "company", "level": "department", **parent},
    ] + [
        {"ref": f"kid{i}", "title": f"Kid {i:03} {tag}", "parent_ref": "wide", "level": "team", **measured(f"k{i}")}
        for i in range(KIDS)
    ]
    with httpx.Client(base_url=platform.goals.url, headers=platform.auth, timeout=60) as http:
        made = http.post("/v1/goals/batch", json={"goals": goals})
        assert made.status_code == 201, made.text
        ids = {g["ref"]: g["goal_id"] for g in made.json()["goals"]}
        row = {"metric": f"m.{tag}", "value": 40, "source": "crm", "observed_at": "2024-06-01T00:00:00Z"}
        assert http.post("/v1/measurements", json={"measurements": [row]}).status_code == 202

    async def settled() -> bool:
        async with httpx.AsyncClient(base_url=platform.tracking.url, headers=platform.auth, timeout=10) as http:
            wide = await http.get("/v1/tree", params={"root": ids["wide"], "max_depth": 1, "limit": 1000})
            member = await http.get(f"/v1/goals/{ids['member']}/progress")
        if wide.status_code != 200 or member.status_code != 200:
            return False
        return len(wide.json()["items"]) == KIDS + 1 and member.json()["current_value"] == 40

    asyncio.run(eventually(settled, 90, "tracking shows every goal and the member's value"))
    return ids | {"tag": tag}


def _open(driver: webdriver.Chrome, platform: Platform) -> None:
    driver.get(f"{platform.tracking.url}/")
    watch_requests(driver)  # before the key: every request of the tree is kept
    driver.find_element(By.ID, "key").send_keys(platform.api_key)
    driver.find_element(By.CSS_SELECTOR, "#auth button").click()


ROWS = """return Object.fromEntries([...document.querySelectorAll('#tree .goal')].map((row) => [row.dataset.goalId,
  Object.fromEntries([...row.children].filter((c) => c.className).map((c) => [c.className.split(' ')[0], c.textContent])
    .concat([['expanded', row.getAttribute('aria-expanded')]]))]))"""


def _rows(driver: webdriver.Chrome) -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = driver.execute_script(ROWS)
    return rows


def _press(driver: webdriver.Chrome, goal_id: str, keys: str) -> None:
    for _ in range(5):  # a live refresh may redraw the row meanwhile
        try:
            driver.find_element(By.CSS_SELECTOR, f"#tree .goal[data-goal-id='{goal_id}']").send_keys(keys)
            return
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"row {goal_id} kept being redrawn")


def _subtrees(driver: webdriver.Chrome) -> list[dict[str, str]]:
    """The subtrees the page asked for (requests of /v1/tree naming a root)."""
    return [q for q in requested(driver, "/v1/tree") if "root" in q]


def _roots_asked(driver: webdriver.Chrome) -> set[str]:
    return {q["root"] for q in _subtrees(driver)}


def _shows_the_api(platform: Platform, row: dict[str, str], goal_id: str) -> None:
    api = httpx.get(f"{platform.tracking.url}/v1/goals/{goal_id}/progress", headers=platform.auth, timeout=10).json()
    counts = " · ".join(f"{api['counts'][k]} {label}" for k, label in STATUSES.items() if api["counts"].get(k))
    assert row["title"] == api["title"]
    assert row["pct"] == f"{api['progress'] * 100:.1f}%", (row, api["progress"])
    assert row["status"] == (api["status"] or "no status").replace("_", " ")
    assert row["counts"] == counts, (row, api["counts"])


def test_a_collapsed_subtree_is_asked_for_only_when_opened(
    platform: Platform, org: dict[str, str], tmp_path: Path
) -> None:
    with chromium(tmp_path / "profile") as driver:
        _open(driver, platform)
        wait_until(driver, lambda d: {org["dept"], org["wide"]} <= set(_rows(d)), "the company and its departments")
        assert org["team"] not in _rows(driver)  # the third level starts collapsed
        assert _rows(driver)[org["dept"]]["expanded"] == "false"  # and says it has a subtree
        assert _roots_asked(driver) == {org["company"]}  # the root's children, nothing under them
        assert {q["max_depth"] for q in _subtrees(driver)} == {"1"}  # one level at a time, never a whole subtree
        _shows_the_api(platform, _rows(driver)[org["dept"]], org["dept"])  # its counts from the API, not loaded

        _press(driver, org["dept"], Keys.ARROW_RIGHT)
        wait_until(driver, lambda d: org["team"] in _rows(d), "the team once its department is opened")
        assert org["dept"] in _roots_asked(driver) and org["team"] not in _roots_asked(driver)
        assert org["member"] not in _rows(driver) and _rows(driver)[org["team"]]["expanded"] == "false"
        _shows_the_api(platform, _rows(driver)[org["team"]], org["team"])

        _press(driver, org["team"], Keys.SPACE)
        wait_until(driver, lambda d: org["member"] in _rows(d), "the member once its team is opened")
        assert org["team"] in _roots_asked(driver)
        member = _rows(driver)[org["member"]]
        _shows_the_api(platform, member, org["member"])
        assert member["value"] == "40 deals / 100 deals" and member["pct"] == "40.0%"
        assert {q["max_depth"] for q in _subtrees(driver)} == {"1"}
        assert org["wide"] not in _roots_asked(driver)  # the collapsed department's children were never asked for
        assert csp_violations(console(driver)) == []


def _kids_shown(driver: webdriver.Chrome, tag: str) -> int:
    return sum(1 for row in _rows(driver).values() if row["title"].startswith("Kid ") and row["title"].endswith(tag))


def _more(driver: webdriver.Chrome, goal_id: str) -> list[Any]:
    return [
        b
        for b in driver.find_elements(By.CSS_SELECTOR, "#tree button[data-more-of]")
        if b.get_attribute("data-more-of") == goal_id
    ]


def test_many_children_show_a_page_and_a_control_that_loads_the_rest(
    platform: Platform, org: dict[str, str], tmp_path: Path
) -> None:
    tag = org["tag"]
    with chromium(tmp_path / "profile") as driver:
        _open(driver, platform)
        wait_until(driver, lambda d: org["wide"] in _rows(d), "the wide department")
        _press(driver, org["wide"], Keys.ARROW_RIGHT)
        wait_until(driver, lambda d: _kids_shown(d, tag) == PAGE, f"the first {PAGE} children")
        more = wait_until(driver, lambda d: _more(d, org["wide"]), "a control for the children not shown")
        assert more[0].text == f"{PAGE} sub-goals shown: show the next {PAGE}"
        for _ in range(5):
            try:
                _more(driver, org["wide"])[0].click()
                break
            except (StaleElementReferenceException, IndexError):
                continue
        wait_until(driver, lambda d: _kids_shown(d, tag) == KIDS, f"all {KIDS} children")
        assert not _more(driver, org["wide"])  # nothing more to show
        pages = [q for q in _subtrees(driver) if q["root"] == org["wide"]]
        assert any(q.get("after") for q in pages) and all(int(q["limit"]) <= PAGE + 1 for q in pages)
        assert csp_violations(console(driver)) == []
