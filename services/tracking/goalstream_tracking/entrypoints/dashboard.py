"""The dashboard at `/`: static pages that read the tracking API with the key the user gives it.

Its scripts (ES modules) and styles are files of their own under /static/, so the page runs under the
runtime's Content-Security-Policy, which allows no inline script or style (goalstream_runtime.http_security).
/static/ serves only the files the package ships, listed once at import: a request names a key of that
list, never a path on disk, so `..`, an absolute path or an encoded separator can reach nothing else.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from goalstream_runtime.http import ApiError

router = APIRouter(tags=["dashboard"])
_STATIC = resources.files("goalstream_tracking").joinpath("entrypoints/static")
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".md": "text/plain", "LICENSE": "text/plain"}


def _media_type(name: str) -> str | None:
    suffix = name[name.rfind(".") :] if "." in name else name
    return MEDIA_TYPES.get(suffix)


def _files(folder: Traversable, prefix: str = "") -> dict[str, tuple[bytes, str]]:
    """Every servable file under `folder` by its path relative to /static/ (`vendor/uplot/uPlot.min.css`)."""
    found: dict[str, tuple[bytes, str]] = {}
    for entry in folder.iterdir():
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            found |= _files(entry, f"{name}/")
        elif (media_type := _media_type(entry.name)) is not None:
            found[name] = (entry.read_bytes(), media_type)
    return found


ASSETS = _files(_STATIC)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def dashboard() -> HTMLResponse:
    return HTMLResponse(_STATIC.joinpath("dashboard.html").read_text())


@router.get("/static/{name:path}", include_in_schema=False)
async def asset(name: str) -> Response:
    found = ASSETS.get(name)
    if found is None:
        raise ApiError(404, "not_found", "no such file under /static/")
    body, media_type = found
    # no-cache: the browser asks again (a 200 each time; these files are small) so an upgrade shows at once
    return Response(body, media_type=media_type, headers={"Cache-Control": "no-cache"})
