"""The dashboard read by someone who cannot rely on colour or a mouse, in a real headless Chromium.

On an organisation with a goal in every status, a collapsed third level, an anti-goal in breach and a ladder, the
tree, a goal page and the event stream are held to: every visible text at WCAG 2.x contrast (4.5:1, 3:1 for large
text) against its effective background, worked out in the page; every link, button, field and tree row reached by
Tab, each showing a focus indicator it has not when unfocused (an outline or shadow at least 2px thick, 3:1 against
what is behind it: WCAG 2.2's focus appearance, 2.4.13, as one indicator for every control rather than whatever
ring the browser draws on its own); every status shown in colour also said in words.
(Enter and Space on tree rows are test_dashboard_pages.py's.)
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.e2e.conftest import Platform
from tests.support.browser import WCAG_JS, chromium, contrast_failures, settled, text_of, wait_until
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC)
START, DEADLINE = NOW - timedelta(days=25), NOW + timedelta(days=5)  # 5/6 of the time gone: expected 83 %
STATUSES = {"on_track": 80, "at_risk": 65, "off_track": 30, "achieved": 100}


class Org:
    def __init__(self, platform: Platform) -> None:
        self.goals = httpx.Client(base_url=platform.goals.url, headers=platform.auth, timeout=30)
        self.tracking = httpx.Client(base_url=platform.tracking.url, headers=platform.auth, timeout=30)
        self.tag = uuid.uuid4().hex[:6]

    def post(self, path: str, body: dict[str, Any]) -> Any:
        answer = self.goals.post(path, json=body)
        assert answer.status_code in (200, 201, 202), answer.text
        return answer.json()

    def goal(self, title: str, parent: str | None, metric: str | None = None, **fields: Any) -> str:
        body = {"title": f"{title} {self.tag}", "parent_id": parent, **fields}
        body.setdefault("start_at", START.isoformat())
        body.setdefault("deadline", DEADLINE.isoformat())
        if metric:
            body |= {"metric": {"key": f"{metric}.{self.tag}"}, "target": 100, "unit": "deals"}
        goal_id: str = self.post("/v1/goals", body)["id"]
        return goal_id

    def measure(self, metric: str, value: float, observed_at: datetime = NOW) -> None:
        row = {
            "metric": f"{metric}.{self.tag}",
            "value": value,
            "source": "crm",
            "observed_at": observed_at.isoformat(),
        }
        self.post("/v1/measurements", {"measurements": [row]})

    def shows(self, goal_id: str, **want: Any) -> None:
        async def shown() -> bool:
            answer = self.tracking.get(f"/v1/goals/{goal_id}/progress")
            return answer.status_code == 200 and all(answer.json().get(k) == v for k, v in want.items())

        asyncio.run(eventually(shown, 60, f"tracking shows {want} on {goal_id}"))


@pytest.fixture(scope="module")
def org(platform: Platform) -> dict[str, str]:
    """A company with a team in every status, a department whose team is the collapsed third level, an anti-goal in
    breach and a ladder whose first rung is achieved."""
    org = Org(platform)
    ids = {"company": org.goal("Company", None, level="organisation", rollup="worst")}
    for status, value in STATUSES.items():
        ids[status] = org.goal(f"Team {status}", ids["company"], status, level="team", owner="ana")
        org.measure(status, value)
    past = {"start_at": (NOW - timedelta(days=30)).isoformat(), "deadline": (NOW - timedelta(days=1)).isoformat()}
    ids["missed"] = org.goal("Team missed", ids["company"], "missed", level="team", **past)  # missed at its deadline
    org.measure("missed", 10, NOW - timedelta(days=2))
    ids["dept"] = org.goal("Department", ids["company"], level="department", rollup="weighted_mean")
    ids["deep"] = org.goal("Deep team", ids["dept"], "deep", level="team")
    org.post(f"/v1/goals/{ids['on_track']}/plan", {"milestones": 3})
    org.measure("on_track", 40, NOW - timedelta(days=15))
    org.measure("deep", 50)
    anti = {"kind": "anti", "comparator": "above", "threshold": 5, "recovery_threshold": 3, "severity": "critical"}
    churn = {"title": f"Churn {org.tag}", "metric": {"key": f"churn.{org.tag}"}, "start_at": START.isoformat()}
    ids["anti"] = org.post("/v1/goals", churn | anti)["id"]
    org.measure("churn", 9)
    rung = {"metric": {"key": f"rung.{org.tag}"}, "deadline": DEADLINE.isoformat()}
    rungs = [{"title": f"Rung {n} {org.tag}", "target": n, **rung} for n in (5, 9)]
    org.post(
        "/v1/ladders", {"title": f"Climb {org.tag}", "rungs": [{**rungs[0], "start_at": START.isoformat()}, rungs[1]]}
    )
    org.measure("rung", 6)
    for status in (*STATUSES, "missed"):
        org.shows(ids[status], status=status)
    org.shows(ids["anti"], current_value=9)
    ids["tag"] = org.tag
    return ids


def _open(driver: webdriver.Chrome, platform: Platform, fragment: str = "", key: str = "") -> None:
    driver.get(f"{platform.tracking.url}/{fragment}")
    driver.find_element(By.ID, "key").clear()  # the tab keeps the last key given
    driver.find_element(By.ID, "key").send_keys(key or platform.api_key)
    driver.find_element(By.CSS_SELECTOR, "#auth button").click()


def _assert_contrast(driver: webdriver.Chrome, view: str, within: str = "") -> None:
    checked, failing = contrast_failures(driver, within)
    assert checked > 0, f"{view}: no text checked"
    lines = [f"  {f['where']} {f['text']!r}: {f['fg']} on {f['bg']} = {f['ratio']}:1 < {f['need']}:1" for f in failing]
    assert not failing, f"{view}: {len(failing)} of {checked} texts under WCAG contrast:\n" + "\n".join(lines)


# Links, buttons, fields and tree rows (and anything else given a tab stop), each named by what it is (an event's
# by its cursor too) and its place among the ones named alike: stable across a redraw or a new event on top.
KEYS_JS = (
    WCAG_JS
    + """
const INTERACTIVE = "a[href], button, input:not([type=hidden]), select, textarea, [role=treeitem], [tabindex]";
const base = (n) => [n.tagName, n.id, n.dataset.goalId ?? "", n.closest("[data-cursor]")?.dataset.cursor ?? "",
  n.getAttribute("href") ?? "", n.matches("select, textarea") ? "" : n.textContent.trim().slice(0, 30)].join("|");
const all = () => [...document.querySelectorAll(INTERACTIVE)].filter((n) => !n.disabled && shown(n));
const keyOf = (n) => { const b = base(n); return b + "#" + all().filter((m) => base(m) === b).indexOf(n); };
const ring = (n) => {
  const s = getComputedStyle(n);
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
  return { outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`, shadow: s.boxShadow,
    width: outline ? parseFloat(s.outlineWidth) : 0,
    colour: outline ? s.outlineColor : (/rgba?\\([^)]*\\)/.exec(s.boxShadow) ?? [""])[0] };
};
"""
)
SNAPSHOT_JS = KEYS_JS + "window.__unfocused = Object.fromEntries(all().map((n) => [keyOf(n), ring(n)]));"
SNAPSHOT_JS += "return Object.keys(window.__unfocused);"
FOCUSED_JS = (
    KEYS_JS
    + """
const n = document.activeElement;
if (!n || n === document.body) return null;
const key = keyOf(n), now = ring(n), before = window.__unfocused[key] ?? { outline: "", shadow: "" };
// At least 2px thick (an outline, or a shadow), and 3:1 against what is behind it: the page around the element.
const thick = now.width >= 2 || (now.width === 0 && now.shadow !== "none");
const differs = now.outline !== before.outline || now.shadow !== before.shadow;
const colour = parse(now.colour), behind = background(n.parentElement);
const r = colour && colour[3] > 0 ? ratio(over(colour, behind), behind) : 0;
return { key, where: where(n), ok: thick && differs && r >= 3, ring: `outline ${now.outline}, box-shadow ${now.shadow}`,
  ratio: Math.round(r * 100) / 100 };
"""
)


def _tab_through(driver: webdriver.Chrome, view: str) -> None:
    """Tab from the page's top through every tab stop: each interactive element is reached and shows its focus."""
    driver.execute_script("document.activeElement?.blur(); window.scrollTo(0, 0)")
    wanted: list[str] = driver.execute_script(SNAPSHOT_JS)
    driver.find_element(By.TAG_NAME, "h1").click()  # the sequential focus starting point: the page's top
    reached: list[str] = []
    unseen: list[str] = []
    for _ in range(len(wanted) + 5):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        focused: dict[str, Any] | None = driver.execute_script(FOCUSED_JS)
        if focused is None:
            continue  # past the last stop, focus leaves the page once before it comes round again
        if focused["key"] in reached:
            break
        reached.append(focused["key"])
        if not focused["ok"]:
            unseen.append(f"  {focused['where']} {focused['key']}: {focused['ring']} ({focused['ratio']}:1)")
    missing = [k for k in wanted if k not in reached]
    assert not missing, f"{view}: {len(missing)} interactive elements never reached by Tab:\n" + "\n".join(missing)
    assert not unseen, f"{view}: no visible focus indicator (2px, 3:1, unlike unfocused) on:\n" + "\n".join(unseen)


WORDS = {
    "on_track": ("on track", "active", "ok"),
    "at_risk": ("at risk",),
    "off_track": ("off track",),
    "achieved": ("achieved",),
    "missed": ("missed",),
    "breach": ("breach",),
    "sev-info": ("info",),
    "sev-warning": ("warning",),
    "sev-critical": ("critical",),
    "ms-hit": ("hit",),
    "ms-late": ("late",),
    "ms-missed": ("missed",),
    "ms-pending": ("pending",),
}
STATUS_JS = (
    WCAG_JS
    + """
const words = arguments[0];
const found = [];
for (const n of document.querySelectorAll(Object.keys(words).map((c) => "." + c).join(", "))) {
  const text = n.textContent.trim();
  if (!shown(n) || (!text && !n.classList.contains("status"))) continue; // an empty cell draws no colour either
  const cls = [...n.classList].find((c) => c in words);
  found.push({ cls, text, where: where(n), said: words[cls].some((w) => text.toLowerCase().includes(w)) });
}
return found;
"""
)


def _assert_status_in_words(driver: webdriver.Chrome, view: str) -> set[str]:
    badges: list[dict[str, Any]] = driver.execute_script(STATUS_JS, {k: list(v) for k, v in WORDS.items()})
    silent = [f"  {b['where']} {b['text']!r}" for b in badges if not b["said"]]
    assert badges, f"{view}: no status shown"
    assert not silent, f"{view}: a status in colour alone (its words missing):\n" + "\n".join(silent)
    return {b["cls"] for b in badges}


def test_the_tree_is_readable_and_usable_from_the_keyboard(
    platform: Platform, org: dict[str, str], tmp_path: Path
) -> None:
    with chromium(tmp_path / "profile") as driver:
        _open(driver, platform, key="gs_not_a_key")  # the error a wrong key gets is readable too
        wait_until(driver, lambda d: "refused" in text_of(d, "notice"), "the wrong key's message")
        _assert_contrast(driver, "the wrong key's message", "#notice")

        _open(driver, platform)
        tag = org["tag"]
        wait_until(driver, lambda d: f"Team missed {tag}" in text_of(d, "tree"), "every team")
        wait_until(driver, lambda d: f"Climb {tag}" in text_of(d, "ladders"), "the ladder")
        wait_until(driver, lambda d: "in breach" in text_of(d, "anti"), "the anti-goal in breach")
        settled(driver)
        assert f"Deep team {tag}" not in text_of(driver, "tree")  # a collapsed third level has no tab stop
        shown = _assert_status_in_words(driver, "the tree")
        assert {"on_track", "at_risk", "off_track", "achieved", "missed", "breach", "sev-critical"} <= shown
        unnamed = driver.execute_script(
            "return [...document.querySelectorAll('[role=progressbar]')].filter((b) => !b.getAttribute('aria-label'))"
            ".length"
        )
        assert unnamed == 0, f"{unnamed} progress bars a screen reader cannot name"
        _assert_contrast(driver, "the tree")
        _tab_through(driver, "the tree")
        row = driver.find_element(By.CSS_SELECTOR, f"#tree [data-goal-id='{org['company']}']")
        driver.execute_script("arguments[0].focus()", row)  # a focused row has a background of its own
        _assert_contrast(driver, "the tree with a row focused", "#tree")


def test_a_goal_page_is_readable_and_usable_from_the_keyboard(
    platform: Platform, org: dict[str, str], tmp_path: Path
) -> None:
    with chromium(tmp_path / "profile") as driver:
        _open(driver, platform, f"#goal={org['on_track']}")
        wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#chart[data-series] canvas"), "the chart")
        wait_until(driver, lambda d: "MeasurementRecorded" in text_of(d, "goal"), "the goal's history")
        settled(driver)
        shown = _assert_status_in_words(driver, "a goal page")
        assert "on_track" in shown and {"ms-hit", "ms-pending"} & shown
        _assert_contrast(driver, "a goal page")
        _tab_through(driver, "a goal page")


def test_the_event_stream_is_readable_and_usable_from_the_keyboard(
    platform: Platform, org: dict[str, str], tmp_path: Path
) -> None:
    with chromium(tmp_path / "profile") as driver:
        _open(driver, platform, "#events")
        wait_until(driver, lambda d: org["anti"] in text_of(d, "events"), "the organisation's events")
        settled(driver)
        _assert_contrast(driver, "the event stream")
        _tab_through(driver, "the event stream")
