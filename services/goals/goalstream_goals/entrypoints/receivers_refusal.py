"""A receiver's refusal of its sender: 401 with the API's error body, and no `WWW-Authenticate: Bearer`.

The runtime's handler adds that challenge to every other 401, where the answer is "send your API key". A platform
authenticates by its signature (HubSpot, Segment) or by the token in its URL (Salesforce), never by a bearer key:
a challenge naming one would send an administrator looking for a key to set. So the receivers answer their 401
themselves: raise `Unauthorized` inside the route's work, and `answered` turns it into the response.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from fastapi.responses import JSONResponse

from goalstream_runtime.http import error_body


class Unauthorized(Exception):
    """The request is not the platform's: 401, nothing changes."""


async def answered(work: Awaitable[Any]) -> Any:
    """What `work` answers, or the 401 of its `Unauthorized`, without a bearer challenge."""
    try:
        return await work
    except Unauthorized as exc:
        return JSONResponse(error_body("unauthorized", str(exc)), 401)
