"""The link an alert carries opens the dashboard at its goal: in a real headless Chromium, `/#goal=<id>` opens that
goal's page, names an unknown id as text, and the page's policy is never violated."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from goalstream_notifications.domain.render import dashboard_link
from tests.e2e.conftest import Platform
from tests.support.browser import chromium, console, csp_violations
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e


async def _goals(platform: Platform, titles: list[str]) -> list[str]:
    now = datetime.now(UTC)
    ids = []
    async with httpx.AsyncClient(base_url=platform.goals.url, headers=platform.auth, timeout=10) as http:
        for title in titles:
            body = {"title": title, "metric": {"key": f"link.{uuid.uuid4().hex[:8]}"}, "target": 10}
            body |= {
                "start_at": (now - timedelta(days=1)).isoformat(),
                "deadline": (now + timedelta(days=9)).isoformat(),
            }
            created = await http.post("/v1/goals", json=body)
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
    async with httpx.AsyncClient(base_url=platform.tracking.url, headers=platform.auth, timeout=10) as http:

        async def shown() -> bool:
            roots = await http.get("/v1/tree")
            return roots.status_code == 200 and {g["goal_id"] for g in roots.json()["items"]} >= set(ids)

        await eventually(shown, 60, "tracking shows the goals")
    return ids


def _goal_title(driver: webdriver.Chrome) -> str:
    shown = driver.find_elements(By.CSS_SELECTOR, "#goal .goal-title")
    return shown[0].text if shown else ""


def test_an_alert_link_opens_the_dashboard_at_its_goal(platform: Platform, tmp_path: Path) -> None:
    titles = [f"link target {uuid.uuid4().hex[:6]}", f"link other {uuid.uuid4().hex[:6]}"]
    target, _ = asyncio.run(_goals(platform, titles))
    link = dashboard_link(platform.tracking.url, target)
    assert link == f"{platform.tracking.url}/#goal={quote(target, safe='')}"
    with chromium(tmp_path / "profile") as driver:
        driver.get(link)
        WebDriverWait(driver, 20).until(
            lambda d: "Give an organisation API key" in d.find_element(By.ID, "notice").text
        )
        driver.find_element(By.ID, "key").send_keys(platform.api_key)
        driver.find_element(By.CSS_SELECTOR, "#auth button").click()
        WebDriverWait(driver, 20).until(lambda d: _goal_title(d))
        assert _goal_title(driver) == titles[0] and titles[1] not in driver.find_element(By.ID, "goal").text
        assert driver.find_element(By.ID, "view-home").get_attribute("hidden") is not None

        driver.get(f"{platform.tracking.url}/#goal=%3Cimg%20src%3Dx%3Enope")  # an id that is no goal, as text
        WebDriverWait(driver, 20).until(lambda d: "is not among" in d.find_element(By.ID, "goal").text)
        assert "<img src=x>nope" in driver.find_element(By.ID, "goal").text and not _goal_title(driver)
        assert not driver.find_elements(By.CSS_SELECTOR, "#goal img")
        assert csp_violations(console(driver)) == []
