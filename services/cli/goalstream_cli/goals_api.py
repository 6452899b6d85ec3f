"""How every command that talks to the goals API is pointed at it and authenticated
(`goalstream import` and `goalstream goals import`)."""

from __future__ import annotations

from typing import Annotated

import httpx
import typer

ApiUrl = Annotated[str, typer.Option(envvar="GOALSTREAM_API_URL", help="goals API base URL")]
ApiKey = Annotated[str, typer.Option(envvar="GOALSTREAM_KEY", help="organisation API key (write scope)")]
DEFAULT_API = "http://127.0.0.1:8001"


def api_client(api: str, key: str) -> httpx.Client:
    """A client of the goals API with the organisation's key; a missing key is the --key option's error."""
    if not key:
        raise typer.BadParameter("an API key is needed (or set GOALSTREAM_KEY)", param_hint="--key")
    return httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}, timeout=120)
