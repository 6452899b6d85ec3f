"""Sending a request to the goals API again when it failed on the way (no connection, a 5xx), with tenacity.

Only for requests that are safe to resend: `goalstream import` names every measurement with an id and
`goalstream goals import` sends an Idempotency-Key, so a retry after a lost answer lands nothing twice.
Five attempts, waiting 0.5, 1, 2 and 4 seconds between them (7.5 s in all, then the command gives up).
An answer below 500 is the API's verdict and is returned at once, whatever it is.
"""

from __future__ import annotations

from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential


class Unanswered(Exception):
    """No answer worth keeping after every attempt; the message says the last failure and where."""


# Module-level so that a test can replace its `sleep` and see the waits without waiting.
RETRY = Retrying(
    stop=stop_after_attempt(5),
    wait=wait_exponential(multiplier=0.5, max=5),
    retry=retry_if_exception_type(Unanswered),
    reraise=True,  # the last failure itself, not tenacity's RetryError around it
)


def _once(client: httpx.Client, path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    try:
        response = client.post(path, json=body, headers=headers)
    except httpx.TransportError as exc:
        raise Unanswered(f"cannot reach the goals API at {client.base_url}: {exc}") from exc
    if response.status_code >= 500:
        raise Unanswered(f"the goals API at {client.base_url} answered {response.status_code}")
    return response


def post(
    client: httpx.Client, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    """The first answer below 500; raises Unanswered when none came within the attempts."""
    return RETRY(_once, client, path, body, headers or {})
