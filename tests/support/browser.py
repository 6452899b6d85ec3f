"""Debian's headless Chromium driven by selenium (never a browser download, never selenium-manager),
and the checks of the security headers every service sends.

`make test` installs the `chromium` and `chromium-driver` packages where they are missing; a run
without them fails with that advice rather than skipping, so a green suite always means the browser ran.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",  # the tests run as root, where Chromium's sandbox will not start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--window-size=1280,900",
)


@contextmanager
def chromium(profile: Path, *extra_flags: str) -> Iterator[webdriver.Chrome]:
    """A headless Chromium with a throwaway profile in `profile` (and `extra_flags`); its console log is kept
    (`console`)."""
    binary = shutil.which("chromium")
    if binary is None or not CHROMEDRIVER.exists():
        pytest.fail("Debian's chromium and chromium-driver are missing: `make test` installs them (apt-get)")
    os.environ["SE_OFFLINE"] = "true"  # selenium-manager must never fetch a browser or a driver
    options = Options()
    options.binary_location = binary
    for flag in (*FLAGS, *extra_flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def console(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """The console entries since the last call (CSP violations are logged there as errors)."""
    # selenium leaves get_log untyped
    entries: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return entries


def csp_violations(entries: list[dict[str, Any]]) -> list[str]:
    return [e["message"] for e in entries if "Content Security Policy" in e["message"] or "Trusted" in e["message"]]


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (p.split() for p in policy.split(";") if p.strip())
    return {p[0].lower(): p[1:] for p in parts}


def assert_secure_headers(response: httpx.Response) -> None:
    """nosniff, and a policy that allows no inline script or eval and lets no page frame this one."""
    where = f"{response.request.method} {response.request.url}"
    assert response.headers.get("x-content-type-options") == "nosniff", where
    policy = _directives(response.headers.get("content-security-policy", ""))
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts is not None, f"{where}: no script-src or default-src in {policy}"
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, where
    assert policy.get("frame-ancestors") == ["'none'"], where


def inline_script(html: str) -> list[str]:
    """Inline scripts, event handler attributes (`onload=`) and style attributes in the markup."""
    return re.findall(r"<script\b[^>]*>\s*[^<\s]|<[^>]*\s(?:on\w+|style)\s*=[^>]*>", html, re.IGNORECASE)


def wait_until(
    driver: webdriver.Chrome, shown: Callable[[webdriver.Chrome], Any], what: str, timeout: float = 30
) -> Any:
    """What `shown` returns once truthy; else fail with the page's text and console, never a bare timeout."""
    try:
        # a live refresh may redraw what `shown` looks at: a stale element is a "not yet", not a failure
        return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(shown)
    except TimeoutException:
        page = driver.find_element(By.TAG_NAME, "body").text
        raise AssertionError(f"the page never showed {what}:\n{page}\nconsole: {console(driver)}") from None


def text_of(driver: webdriver.Chrome, element_id: str) -> str:
    text: str = driver.find_element(By.ID, element_id).text
    return text
