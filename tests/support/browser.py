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
from urllib.parse import parse_qsl, urlsplit

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


# WCAG 2.x relative luminance and contrast in the page, with an element's effective background: the backgrounds
# of it and its ancestors composited up to the first opaque one, on white (the root's canvas).
WCAG_JS = """
const parse = (c) => {
  const m = /rgba?\\(([^)]*)\\)/.exec(c || "");
  if (!m) return null;
  const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
};
const over = (top, base) => [0, 1, 2].map((i) => top[i] * top[3] + base[i] * (1 - top[3])).concat([1]);
const lum = (c) => {
  const linear = (v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
  const [r, g, b] = c.slice(0, 3).map(linear);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const background = (node) => {
  const layers = [];
  for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
    const bg = parse(getComputedStyle(n).backgroundColor);
    if (bg && bg[3] > 0) layers.push(bg);
    if (bg && bg[3] >= 1) break;
  }
  return layers.reverse().reduce((base, layer) => over(layer, base), [255, 255, 255, 1]);
};
const opacity = (node) => {
  let o = 1;
  for (let n = node; n && n.nodeType === 1; n = n.parentElement) o *= Number(getComputedStyle(n).opacity);
  return o;
};
const hex = (c) => "#" + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
const classes = (n) => (typeof n.className === "string" ? n.className.trim().split(/\\s+/).filter(Boolean) : []);
const where = (n) => [n.tagName.toLowerCase() + (n.id ? "#" + n.id : ""), ...classes(n)].join(".");
const shown = (n) => n.getClientRects().length > 0
  && n.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
"""

# Every visible element with text of its own (a text node child, an input's value or placeholder) against its
# effective background; the text's alpha includes every ancestor's opacity. Large text (24px, or 18.66px bold)
# needs 3:1, the rest 4.5:1.
CONTRAST_JS = (
    WCAG_JS
    + """
const failures = [];
let checked = 0;
const check = (n, text, colour) => {
  const style = getComputedStyle(n);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
  const need = large ? 3 : 4.5;
  const bg = background(n);
  const fg = parse(colour);
  checked += 1;
  if (!fg) { failures.push({ text, where: where(n), fg: colour, bg: hex(bg), ratio: 0, need }); return; }
  const seen = over([fg[0], fg[1], fg[2], fg[3] * opacity(n)], bg);
  const r = ratio(seen, bg);
  const rounded = Math.round(r * 100) / 100;
  const found = { text: text.slice(0, 60), where: where(n), fg: hex(seen), bg: hex(bg), ratio: rounded, need };
  if (r < need) failures.push(found);
};
for (const n of (arguments[0] ? document.querySelector(arguments[0]) : document.body).querySelectorAll("*")) {
  if (n.closest("select, script, style, noscript") && n.tagName !== "SELECT") continue;
  if (!shown(n)) continue;
  const own = [...n.childNodes].filter((c) => c.nodeType === 3).map((c) => c.textContent).join("").trim();
  if (own) check(n, own, getComputedStyle(n).color);
  if (n.matches("input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea")) {
    if (n.value) check(n, n.type === "password" ? "(password dots)" : n.value, getComputedStyle(n).color);
    else if (n.placeholder) check(n, "placeholder: " + n.placeholder, getComputedStyle(n, "::placeholder").color);
  }
}
return { checked, failures };
"""
)


def contrast_failures(driver: webdriver.Chrome, within: str = "") -> tuple[int, list[dict[str, Any]]]:
    """How many texts were checked in the page (or in the element `within` selects) and those under WCAG's ratio."""
    answer: dict[str, Any] = driver.execute_script(CONTRAST_JS, within)
    return answer["checked"], answer["failures"]


def settled(driver: webdriver.Chrome, quiet_ms: int = 4000, timeout: float = 30) -> None:
    """Wait until the page has not changed for `quiet_ms` (the live refresh after the first drawing is done)."""
    driver.execute_script(
        "if (!window.__changed) { window.__changed = Date.now(); new MutationObserver(() => { window.__changed ="
        " Date.now(); }).observe(document.body, { subtree: true, childList: true, attributes: true,"
        " characterData: true }); }"
    )
    quiet = f"return Date.now() - window.__changed > {quiet_ms}"
    wait_until(driver, lambda d: d.execute_script(quiet), f"the page still for {quiet_ms} ms", timeout)


def watch_requests(driver: webdriver.Chrome) -> None:
    """Keep every request the page makes in its resource timings (Chromium keeps 250 unless told)."""
    driver.execute_script("performance.setResourceTimingBufferSize(1000000)")


def requested(driver: webdriver.Chrome, path: str) -> list[dict[str, str]]:
    """The query parameters of each request the page has made to `path` (its resource timings), oldest first."""
    urls: list[str] = driver.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)")
    return [dict(parse_qsl(urlsplit(url).query)) for url in urls if urlsplit(url).path == path]


# The page's fetch wrapped (WebDriver's scripts run outside the page's Content-Security-Policy): requests whose URL
# contains `needle` wait while `window.__holding` is true (a slow answer on demand), and `window.__failing`, while
# set, answers every /v1/ request with that status instead of asking tracking.
WRAP_FETCH_JS = """
if (!window.__fetch) {
  window.__fetch = window.fetch;
  window.__held = []; window.__pending = 0; window.__holding = false; window.__failing = 0;
  window.fetch = (url, options) => {
    if (window.__failing && String(url).startsWith("/v1/")) {
      const body = JSON.stringify({ code: "internal", message: "injected failure" });
      return Promise.resolve(new Response(body, { status: window.__failing, headers: { "Retry-After": "1" } }));
    }
    if (!(window.__holding && String(url).includes(window.__needle))) return window.__fetch(url, options);
    window.__pending += 1;
    const asked = new Promise((go) => window.__held.push(go)).then(() => window.__fetch(url, options));
    asked.finally(() => { window.__pending -= 1; }).catch(() => {});
    return asked;
  };
}
window.__needle = arguments[0];
"""


def hold_requests(driver: webdriver.Chrome, needle: str) -> None:
    """From now on, requests whose URL contains `needle` wait until `release_requests`."""
    driver.execute_script(WRAP_FETCH_JS + "window.__holding = true;", needle)


def release_requests(driver: webdriver.Chrome) -> None:
    """Let the held requests go, and wait until each of them (and any it led to) has been answered."""
    driver.execute_script("window.__holding = false; window.__held.splice(0).forEach((go) => go());")
    wait_until(driver, lambda d: d.execute_script("return window.__pending === 0"), "the held requests answered")


def fail_requests(driver: webdriver.Chrome, status: int) -> None:
    """Every /v1/ request answered with `status` (and Retry-After: 1) until called again with 0."""
    driver.execute_script(WRAP_FETCH_JS + "window.__failing = arguments[1];", "", status)


def live_objects(driver: webdriver.Chrome, constructor: str) -> int:
    """How many objects made by `constructor` (e.g. HTMLCanvasElement) the page still holds, after a full GC."""
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    proto = driver.execute_cdp_cmd("Runtime.evaluate", {"expression": f"{constructor}.prototype"})
    found = driver.execute_cdp_cmd("Runtime.queryObjects", {"prototypeObjectId": proto["result"]["objectId"]})
    length = {"functionDeclaration": "function () { return this.length; }", "returnByValue": True}
    counted = driver.execute_cdp_cmd("Runtime.callFunctionOn", {**length, "objectId": found["objects"]["objectId"]})
    count: int = counted["result"]["value"]
    return count
