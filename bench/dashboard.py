"""The dashboard on the setup's tree (all its goals under one root) in Debian's headless Chromium: the time from
pressing Show with the key to the tree drawn (the root and its children, the two levels shown open), and the bytes
the page fetched from the API meanwhile. Beside them, measured in the same run, the whole subtree's answer
(`GET /v1/tree?root=<root>&max_depth=50`), which the page fetched for every root before it loaded only what it shows.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bench.platform import BenchPlatform
from bench.results import Figure, Results
from bench.tree import GoalTree
from tests.support.browser import CHROMEDRIVER, chromium

# Pressed in the page, so the clock is the page's own; a MutationObserver notes when the rows are all there.
SHOW = """
const want = arguments[0];
window.__drawn = null;
new MutationObserver((_, seen) => {
  if (document.querySelectorAll('#tree .goal').length < want) return;
  window.__drawn = performance.now();
  seen.disconnect();
}).observe(document.getElementById('tree'), { childList: true, subtree: true });
performance.setResourceTimingBufferSize(1000000);
window.__t0 = performance.now();
document.querySelector('#auth button').click();
"""
FETCHED = """
const api = performance.getEntriesByType('resource')
  .filter((e) => new URL(e.name).pathname.startsWith('/v1/'))
  .filter((e) => e.startTime >= window.__t0 && e.startTime <= window.__drawn);
return [window.__drawn - window.__t0, api.reduce((sum, e) => sum + e.transferSize, 0), api.length];
"""


def _whole_subtree(platform: BenchPlatform, root_id: str) -> tuple[int, float, int]:
    """The whole subtree's answer: its bytes, the ms it took, and the root's children (the rows drawn open)."""
    started = time.perf_counter()
    response = httpx.get(
        f"{platform.url('tracking')}/v1/tree",
        params={"root": root_id, "max_depth": 50},
        headers=platform.auth,
        timeout=120,
    )
    response.raise_for_status()
    return len(response.content), (time.perf_counter() - started) * 1000, len(response.json()["children"])


def _measure(platform: BenchPlatform, tree: GoalTree, results: Results, timeout: float) -> None:
    if shutil.which("chromium") is None or not CHROMEDRIVER.exists():
        raise RuntimeError("Debian's chromium and chromium-driver are missing (`make browser` installs them)")
    whole, whole_ms, children = _whole_subtree(platform, tree.root_id)
    rows = 1 + children
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as profile, chromium(Path(profile)) as driver:
        driver.get(f"{platform.url('tracking')}/")
        driver.find_element(By.ID, "key").send_keys(platform.api_key)
        driver.execute_script(SHOW, rows)
        WebDriverWait(driver, timeout, poll_frequency=0.05).until(
            lambda d: d.execute_script("return window.__drawn !== null")
        )
        drawn_ms, fetched, requests = driver.execute_script(FETCHED)
    note = f"{tree.created:,} goals under one root; {rows} rows drawn, {requests} API requests"
    results.add(Figure("dashboard", "tree drawn after Show", drawn_ms, "ms", better="lower", note=note))
    results.add(Figure("dashboard", "bytes fetched to draw it", fetched / 1000, "kB", better="lower", note=note))
    note = "the whole subtree's answer, as the page fetched it before loading only what it shows"
    results.add(Figure("dashboard", "whole subtree answer", whole / 1000, "kB", better="lower", note=note))
    results.add(Figure("dashboard", "whole subtree answer time", whole_ms, "ms", better="lower", note=note))


async def run(platform: BenchPlatform, timeout: float, tree: GoalTree, results: Results) -> None:
    await asyncio.to_thread(_measure, platform, tree, results, timeout)  # selenium blocks
