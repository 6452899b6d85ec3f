"""The README's screenshots of the dashboard, taken again on every test run (`make screenshots` takes only them).

A small organisation as a new customer would set it up (a company, its departments and teams with values over
the last weeks, a plan, an anti-goal in breach, a ladder) is drawn by the real services in headless Chromium; the
tree and one goal page are written to docs/screenshots/ once the page shows every goal and the chart is drawn.
So the pictures in the README are of the pages as the code draws them now.
"""

from __future__ import annotations

import struct
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By

from tests.e2e.conftest import Platform
from tests.support.browser import chromium, console, csp_violations, text_of, wait_until

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
SIZE = (1280, 1000)
NOW = datetime.now(UTC).replace(microsecond=0)


def at(days: float) -> str:
    return (NOW + timedelta(days=days)).isoformat()


class Demo:
    """The organisation of the screenshots, set through the goals API."""

    def __init__(self, platform: Platform) -> None:
        self.http = httpx.Client(base_url=platform.goals.url, headers=platform.auth, timeout=30)
        self.tag = uuid.uuid4().hex[:4]

    def post(self, path: str, body: dict[str, Any]) -> Any:
        answer = self.http.post(path, json=body)
        assert answer.status_code in (200, 201, 202), answer.text
        return answer.json()

    def goal(self, title: str, parent: str | None = None, **fields: Any) -> str:
        body = {"title": title, "parent_id": parent, "start_at": at(-30), "deadline": at(30), **fields}
        goal_id: str = self.post("/v1/goals", body)["id"]
        return goal_id

    def measured(self, title: str, parent: str, metric: str, target: float, unit: str, **fields: Any) -> str:
        return self.goal(title, parent, metric={"key": f"{metric}.{self.tag}"}, target=target, unit=unit, **fields)

    def values(self, metric: str, *days_and_values: tuple[float, float]) -> None:
        rows = [
            {"metric": f"{metric}.{self.tag}", "value": v, "observed_at": at(d), "source": "salesforce"}
            for d, v in days_and_values
        ]
        self.post("/v1/measurements", {"measurements": rows})


def seed(demo: Demo) -> tuple[list[str], str]:
    """The organisation; the titles the tree must show and the goal whose page is pictured."""
    company = demo.goal("Grow revenue to 12 M EUR this year", level="organisation", owner="ceo", rollup="weighted_mean")
    sales = demo.goal(
        "Sales: new business",
        company,
        level="department",
        owner="sales-vp",
        weight=2,
        rollup="sum",
        target=2700,
        unit="k EUR",
    )
    success = demo.goal(
        "Customer success: keep what we win", company, level="department", owner="cs-lead", rollup="worst"
    )
    arr = demo.measured("New ARR, Europe", sales, "arr.eu", 1200, "k EUR", level="team", owner="emea-team")
    demo.measured("New ARR, Americas", sales, "arr.us", 1500, "k EUR", level="team", owner="amer-team")
    demo.measured("Net revenue retention", success, "nrr", 110, "%", level="team", baseline=95, owner="cs-team")
    demo.post(f"/v1/goals/{arr}/plan", {"milestones": 3})
    demo.goal(
        "Churn stays under 3 %",
        kind="anti",
        metric={"key": f"churn.{demo.tag}"},
        comparator="above",
        threshold=3,
        recovery_threshold=2.5,
        severity="critical",
        deadline=None,
        owner="cs-lead",
    )
    rungs = [
        {"title": f"{n} enterprise logos", "metric": {"key": f"logos.{demo.tag}"}, "target": n, "deadline": at(d)}
        for n, d in ((5, 20), (10, 60), (20, 120))
    ]
    demo.post("/v1/ladders", {"title": "Enterprise logos", "rungs": [{**rungs[0], "start_at": at(-30)}, *rungs[1:]]})
    demo.values("arr.eu", (-28, 90), (-21, 260), (-14, 410), (-7, 530), (-1, 610))
    demo.values("arr.us", (-25, 180), (-12, 520), (-2, 990))
    demo.values("nrr", (-20, 101), (-3, 104))
    demo.values("churn", (-15, 2.1), (-4, 3.6))
    demo.values("logos", (-9, 3))
    titles = ["Grow revenue", "Sales: new business", "Customer success", "Enterprise logos", "Churn stays under"]
    return titles, arr


def png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height from its header (IHDR), or a failed assertion when it is no PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_the_readme_screenshots_are_of_the_pages_as_drawn_now(platform: Platform, tmp_path: Path) -> None:
    titles, goal_id = seed(Demo(platform))
    SHOTS.mkdir(exist_ok=True)
    taken = {}
    with chromium(tmp_path / "profile") as driver:
        driver.set_window_size(*SIZE)
        driver.get(f"{platform.tracking.url}/")
        driver.find_element(By.ID, "key").send_keys(platform.api_key)
        driver.find_element(By.CSS_SELECTOR, "#auth button").click()
        wait_until(driver, lambda d: all(t in d.find_element(By.TAG_NAME, "main").text for t in titles), "every goal")
        wait_until(driver, lambda d: "k EUR" in text_of(d, "tree") and "breach" in text_of(d, "anti"), "the values")
        taken["tree"] = SHOTS / "tree.png"
        assert driver.save_screenshot(str(taken["tree"]))

        driver.get(f"{platform.tracking.url}/#goal={goal_id}")
        wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#chart[data-series] canvas"), "the chart")
        wait_until(driver, lambda d: "610" in text_of(d, "goal"), "the latest value on the goal page")
        taken["goal"] = SHOTS / "goal.png"
        assert driver.save_screenshot(str(taken["goal"]))
        assert csp_violations(console(driver)) == []
    viewport = {name: png_size(path) for name, path in taken.items()}
    assert all(width == SIZE[0] for width, _ in viewport.values()), viewport
    readme = (ROOT / "README.md").read_text()
    assert "docs/screenshots/tree.png" in readme and "docs/screenshots/goal.png" in readme
