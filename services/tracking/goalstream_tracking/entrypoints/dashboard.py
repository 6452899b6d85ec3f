"""The dashboard at `/`: one static page that reads the tracking API with the key the user gives it.

Its script and style are files of their own under /static/, so the page runs under the runtime's
Content-Security-Policy, which allows no inline script or style (goalstream_runtime.http_security).
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from goalstream_runtime.http import ApiError

router = APIRouter(tags=["dashboard"])
_STATIC = resources.files("goalstream_tracking").joinpath("entrypoints/static")
_ASSETS = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}  # the files /static/ serves


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def dashboard() -> HTMLResponse:
    return HTMLResponse(_STATIC.joinpath("dashboard.html").read_text())


@router.get("/static/{name}", include_in_schema=False)
async def asset(name: str) -> Response:
    media_type = _ASSETS.get(name)
    if media_type is None:
        raise ApiError(404, "not_found", "no such file under /static/")
    return Response(_STATIC.joinpath(name).read_text(), media_type=media_type)
