"""No script from user text: tracking's dashboard in a real headless Chromium, against a real platform.

Goals with hostile titles, a hostile check-in and an anti-goal in breach are set through the goals
API; a user then opens the dashboard, types a wrong key, a hostile `as of`, then the right key. Every
title must show literally as text, no payload may run (each would set `window.__pwned` and the
document's title), and the console must show no Content-Security-Policy violation. The check-in's source and
comment show, as text, on its goal's page (where the number came from). Every service's
`/` and `/docs` send the security headers.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from tests.e2e.conftest import Platform
from tests.support.browser import (
    assert_secure_headers,
    chromium,
    console,
    csp_violations,
    inline_script,
    wait_until,
)
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e

RUN = "window.__pwned=(window.__pwned||0)+1;document.title='pwned'"
HOSTILE_TITLES = (
    f'<img src=x onerror="{RUN}">',
    f"<script>{RUN}</script>",
    f'"><svg onload="{RUN}">',
    f"javascript:{RUN}//",
)
ANTI_TITLE = f"<img src=y onerror={RUN}> churn"
CHECK_IN_TEXT = f'<svg onload="{RUN}"></svg>'
COMMENT_TEXT = f'<iframe srcdoc="<script>parent.{RUN}</script>"></iframe> on plan'
PLAIN = "plain sentinel goal"  # with "critical" in the anti-goal list (drawn last): the page has drawn it all


async def _seed(platform: Platform) -> list[str]:
    """The goals, a hostile check-in and an anti-goal in breach, settled in tracking's read models."""
    now = datetime.now(UTC)
    start, deadline = (now - timedelta(days=1)).isoformat(), (now + timedelta(days=30)).isoformat()
    anti = {"kind": "anti", "comparator": "above", "threshold": 5, "severity": "critical", "start_at": start}
    goals = [
        {"title": t, "metric": {"key": f"dash.{i}"}, "target": 10, "start_at": start, "deadline": deadline}
        for i, t in enumerate((*HOSTILE_TITLES, PLAIN))
    ] + [{"title": ANTI_TITLE, "metric": {"key": "dash.churn"}, **anti}]
    async with httpx.AsyncClient(base_url=platform.goals.url, headers=platform.auth, timeout=10) as http:
        ids = []
        for goal in goals:
            created = await http.post("/v1/goals", json=goal)
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        check_in = {"metric": "dash.0", "goal_id": ids[0], "value": 4, "comment": COMMENT_TEXT}
        churn = {"metric": "dash.churn", "value": 9}
        for measurement in (check_in, churn):  # one request each: the check-in names one goal
            body = {"measurements": [{**measurement, "source": CHECK_IN_TEXT, "observed_at": now.isoformat()}]}
            sent = await http.post("/v1/measurements", json=body)
            assert sent.status_code == 202, sent.text

    async with httpx.AsyncClient(base_url=platform.tracking.url, headers=platform.auth, timeout=10) as http:

        async def settled() -> bool:
            roots, breached = await http.get("/v1/tree"), await http.get("/v1/anti-goals?state=breached")
            if roots.status_code != 200 or breached.status_code != 200:
                return False
            values = {g["title"]: g["current_value"] for g in roots.json()["items"]}
            in_breach = bool(breached.json()["items"])
            return in_breach and values.keys() >= {*HOSTILE_TITLES, PLAIN} and values[HOSTILE_TITLES[0]] == 4

        await eventually(settled, 60, "tracking shows the goals, the check-in and the breach")
    return ids


def _text(driver: webdriver.Chrome, element_id: str) -> str:
    text: str = driver.find_element(By.ID, element_id).text
    return text


def _show(driver: webdriver.Chrome, key: str, as_of: str = "") -> None:
    """What a user does: type the key (and maybe a time) and press Show."""
    for field, value in (("key", key), ("asof", as_of)):
        box = driver.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "#auth button").click()


def _until(driver: webdriver.Chrome, shown: Callable[[webdriver.Chrome], bool], what: str) -> None:
    wait_until(driver, shown, what, timeout=20)


def _no_script_ran(driver: webdriver.Chrome, title: str) -> None:
    # A sentinel after the payloads: an image of ours that fails to load like `src=x` does. Its error
    # event comes after theirs, so a payload that was going to run has run by the time it fires.
    driver.execute_async_script(
        "const done = arguments[0]; const img = new Image();"
        "img.onerror = () => setTimeout(done, 200); img.src = '/x?sentinel=' + Date.now();"
    )
    assert driver.execute_script("return window.__pwned === undefined"), "a hostile payload ran script"
    assert driver.title == title


def test_hostile_text_shows_as_text_and_runs_no_script(platform: Platform, tmp_path: Path) -> None:
    ids = asyncio.run(_seed(platform))
    with chromium(tmp_path / "profile") as driver:
        driver.get(f"{platform.tracking.url}/")
        title = driver.title
        assert title and title != "pwned"

        _show(driver, f'gs_<img src=k onerror="{RUN}">')  # a wrong key: the error's text is shown
        _until(driver, lambda d: "unknown or revoked API key" in _text(d, "notice"), "the wrong key's error")
        assert "check it" in _text(driver, "notice")  # and what to do about it
        _no_script_ran(driver, title)

        _show(driver, platform.api_key, as_of=f'<img src=a onerror="{RUN}">')
        _until(driver, lambda d: "as_of" in _text(d, "notice"), "the error naming as_of")
        _no_script_ran(driver, title)

        _show(driver, platform.api_key)
        _until(driver, lambda d: PLAIN in _text(d, "tree") and "critical" in _text(d, "anti"), "the goals")
        _no_script_ran(driver, title)
        tree, anti = _text(driver, "tree"), _text(driver, "anti")
        for hostile in HOSTILE_TITLES:
            assert hostile in tree, f"title {hostile!r} not shown as text in:\n{tree}"
        assert ANTI_TITLE in anti
        severity = driver.find_element(By.CSS_SELECTOR, "#anti .severity")
        assert severity.text == "critical" and severity.get_attribute("class") == "severity sev-critical"
        assert not driver.find_elements(By.CSS_SELECTOR, "#tree img, #tree svg, #tree script, #tree iframe, #anti img")
        links: list[str] = driver.execute_script(
            "return [...document.querySelectorAll('#tree a, #anti a')].map(a => a.href)"
        )
        assert links and all(href.startswith(f"{platform.tracking.url}/#goal=") for href in links)  # goal pages only
        assert csp_violations(console(driver)) == []

        driver.get(f"{platform.tracking.url}/#goal={ids[0]}")  # its goal page (the key stays in the tab)
        _until(driver, lambda d: COMMENT_TEXT in _text(d, "goal"), "the check-in's comment on its goal page")
        _no_script_ran(driver, title)
        page = _text(driver, "goal")
        assert HOSTILE_TITLES[0] in page and CHECK_IN_TEXT in page  # where the value came from: the source
        assert not driver.find_elements(By.CSS_SELECTOR, "#goal img, #goal svg, #goal script, #goal iframe")
        assert csp_violations(console(driver)) == []

        driver.get(f"{platform.tracking.url}/docs")  # the docs page's own script must not be inline
        _until(driver, lambda d: bool(d.execute_script("return document.readyState === 'complete'")), "/docs")
        assert csp_violations(console(driver)) == []


def test_every_service_sends_the_security_headers(platform: Platform) -> None:
    for service in (platform.goals, platform.tracking, platform.notifications):
        for path in ("/", "/docs", "/docs/init.js", "/health", "/health?nul=%00", f"/v1/goals/{uuid.uuid4()}"):
            response = httpx.get(f"{service.url}{path}", headers=platform.auth, timeout=10)
            assert_secure_headers(response)
        docs = httpx.get(f"{service.url}/docs", timeout=10)
        assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
        assert inline_script(docs.text) == []
    page = httpx.get(f"{platform.tracking.url}/", timeout=10)
    assert page.status_code == 200 and inline_script(page.text) == []
    assets = ("app.js", "text/javascript"), ("dashboard.css", "text/css"), ("vendor/uplot/uPlot.min.css", "text/css")
    for asset, kind in assets:
        response = httpx.get(f"{platform.tracking.url}/static/{asset}", timeout=10)
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind)
        assert_secure_headers(response)
