"""How every command that talks to the goals API is pointed at it and authenticated
(`goalstream import` and `goalstream goals import`): flag > variable > addresses file > default."""

from __future__ import annotations

from typing import Annotated

import httpx
import typer

from goalstream_cli.addresses import Found
from goalstream_cli.settings import api_key_found, goals_api_found

ApiUrl = Annotated[
    str,
    typer.Option(
        help="goals API base URL (default: GOALSTREAM_API_URL, http://127.0.0.1:$GOALSTREAM_GOALS_PORT,"
        " .goalstream/addresses.json, then http://127.0.0.1:8001)"
    ),
]
ApiKey = Annotated[
    str,
    typer.Option(help="organisation API key, write scope (default: GOALSTREAM_KEY, then the running demo's key)"),
]


def api_client(api: str, key: str) -> tuple[httpx.Client, Found]:
    """A client of the goals API with the organisation's key, and where its address came from."""
    where = goals_api_found(api or None)
    secret = api_key_found(key or None, where)
    client = httpx.Client(base_url=where.value, headers={"Authorization": f"Bearer {secret.value}"}, timeout=120)
    return client, where


def how_to_point(where: Found) -> str:
    """The line after an error that names the goals API's address: where it came from and how to change it."""
    return (
        f"(the address is from {where.source}: pass --api, or set GOALSTREAM_API_URL or GOALSTREAM_GOALS_PORT;"
        " is the platform running?)"
    )
