"""The dashboard at `/`: one static page that reads the tracking API with the key the user gives it."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["dashboard"])
_PAGE = resources.files("goalstream_tracking").joinpath("entrypoints/static/dashboard.html")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def dashboard() -> HTMLResponse:
    return HTMLResponse(_PAGE.read_text())
