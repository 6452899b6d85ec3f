"""/static/ serves the dashboard's files, nested vendor files included, with their media types and the
security headers, and nothing else: no path that climbs out of the folder, however it is spelled.
The vendored uPlot is the file its VERSION.md names (checksums), with its licence beside it."""

from __future__ import annotations

import asyncio
import hashlib
import re
from importlib import resources

import httpx
import pytest

from goalstream_runtime.http import create_app
from goalstream_tracking.entrypoints import dashboard

VENDOR = resources.files("goalstream_tracking").joinpath("entrypoints/static/vendor/uplot")


async def _ready() -> dict[str, bool]:
    return {"ok": True}


def _get(path: str) -> httpx.Response:
    app = create_app("test", "0", 1024, _ready)
    app.include_router(dashboard.router)

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    return asyncio.run(call())


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/static/app.js", "text/javascript"),
        ("/static/tree.js", "text/javascript"),
        ("/static/dashboard.css", "text/css"),
        ("/static/vendor/uplot/uPlot.iife.min.js", "text/javascript"),
        ("/static/vendor/uplot/uPlot.min.css", "text/css"),
        ("/static/vendor/uplot/LICENSE", "text/plain"),
    ],
)
def test_assets_are_served_with_their_media_type(path: str, media_type: str) -> None:
    response = _get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/static/../dashboard.py",
        "/static/%2e%2e/dashboard.py",
        "/static/..%2fdashboard.py",
        "/static/vendor/../../dashboard.py",
        "/static/vendor/uplot/..%2f..%2f..%2f__init__.py",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/..%5c..%5cdashboard.py",
        "/static/dashboard.html",  # served at / only
        "/static/vendor",
        "/static/vendor/uplot/",
        "/static/nope.js",
    ],
)
def test_nothing_outside_the_listed_files_is_served(path: str) -> None:
    response = _get(path)
    assert response.status_code == 404, f"{path}: {response.status_code} {response.text[:200]}"
    assert "import " not in response.text and "root:" not in response.text


def test_every_listed_file_is_inside_the_static_folder() -> None:
    assert "vendor/uplot/uPlot.iife.min.js" in dashboard.ASSETS
    for name in dashboard.ASSETS:
        assert not name.startswith("/") and ".." not in name.split("/") and "\\" not in name


def test_the_vendored_files_are_the_ones_version_md_names() -> None:
    text = VENDOR.joinpath("VERSION.md").read_text()
    sums = dict((name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", text, re.MULTILINE))
    assert set(sums) == {"uPlot.iife.min.js", "uPlot.min.css", "LICENSE"}
    for name, digest in sums.items():
        assert hashlib.sha256(VENDOR.joinpath(name).read_bytes()).hexdigest() == digest, name
    assert "MIT License" in VENDOR.joinpath("LICENSE").read_text()
    version = re.search(r"\*\*(\d+\.\d+\.\d+)\*\*", text)
    assert version is not None and f"(v{version[1]})" in VENDOR.joinpath("uPlot.iife.min.js").read_text()[:200]


def test_uplot_writes_no_html_and_injects_no_style_element() -> None:
    # The page's policy: Trusted Types with no policy (no HTML from strings), style-src 'self' (no <style>).
    script = VENDOR.joinpath("uPlot.iife.min.js").read_text()
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", 'createElement("style")', "eval(", "Function("):
        assert forbidden not in script, forbidden


def test_the_dashboard_modules_write_no_html() -> None:
    static = resources.files("goalstream_tracking").joinpath("entrypoints/static")
    for name in (n for n in dashboard.ASSETS if n.endswith(".js") and not n.startswith("vendor/")):
        source = static.joinpath(name).read_text()
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", source), name
