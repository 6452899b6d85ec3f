"""/docs renders with no network: Swagger UI comes from the service itself, in a browser that cannot reach the internet.

Debian's headless Chromium resolves no name but 127.0.0.1 (`--host-resolver-rules`), so a page that loads Swagger
UI from a CDN stays blank. On each service the page must draw its operations (the `.opblock` of a known route),
fetch nothing from another origin, log no error (a failed load or a CSP violation is one) and break no CSP rule.
A sentinel first shows that the browser really cannot reach another host.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import Services
from tests.support.browser import chromium, console, csp_violations

pytestmark = pytest.mark.e2e

# Every name resolves to nothing but the services' own address: no DNS, no CDN, no internet.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
KNOWN_ROUTE = {"goals": "/v1/goals/{goal_id}", "tracking": "/v1/tree", "notifications": "/v1/subscriptions"}


def offline_chromium(profile: Path) -> AbstractContextManager[webdriver.Chrome]:
    """tests.support.browser's Chromium, with the internet out of reach."""
    return chromium(profile, OFFLINE)


def _paths(driver: webdriver.Chrome) -> set[str]:
    shown = driver.find_elements(By.CSS_SELECTOR, ".opblock .opblock-summary-path")
    return {element.get_attribute("data-path") or element.text for element in shown}


def test_the_browser_cannot_reach_another_host(tmp_path: Path) -> None:
    cdn = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"  # where /docs loaded Swagger UI from
    with offline_chromium(tmp_path / "profile") as driver, pytest.raises(WebDriverException, match="NAME_NOT_RESOLVED"):
        driver.get(cdn)


@pytest.mark.parametrize("service", sorted(KNOWN_ROUTE))
def test_docs_render_with_no_network(service: str, services: Services, tmp_path: Path) -> None:
    base = getattr(services, service).url
    with offline_chromium(tmp_path / "profile") as driver:
        driver.get(f"{base}/docs")
        try:
            WebDriverWait(driver, 30).until(lambda d: KNOWN_ROUTE[service] in _paths(d))
        except TimeoutException:
            body = driver.find_element(By.TAG_NAME, "body").text
            raise AssertionError(f"{service} /docs drew no operations:\n{body[:2000]}\n{console(driver)}") from None
        assert driver.find_elements(By.CSS_SELECTOR, ".swagger-ui .info .title")  # the document's title is drawn
        loaded = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        elsewhere = [url for url in loaded if not url.startswith(base)]
        assert loaded and elsewhere == [], f"/docs fetched from elsewhere: {elsewhere}"
        logged = console(driver)
        assert csp_violations(logged) == []
        assert [e["message"] for e in logged if e["level"] == "SEVERE"] == []
