"""Sending a request to the goals API again when it failed on the way (no connection, a 5xx, a 429), with tenacity.

Only for requests that are safe to resend: `goalstream import` names every measurement with an id and
`goalstream goals import` sends an Idempotency-Key, so a retry after a lost answer lands nothing twice.
Five attempts, waiting 0.5, 1, 2 and 4 seconds between them (7.5 s in all, then the command gives up), or longer
when the answer's `Retry-After` asks for it (up to `MAX_RETRY_AFTER`): a 503 or a 429 says when to come back.
Any other answer below 500 is the API's verdict and is returned at once, whatever it is; so is a request that no
attempt could send (a URL without http:// or https://), which only waiting would hide.
"""

from __future__ import annotations

from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

MAX_RETRY_AFTER = 30.0  # seconds: a longer Retry-After is waited this long, so the command still ends
_BACKOFF = wait_exponential(multiplier=0.5, max=5)
# The client's own mistakes, not the way's: sending again cannot change them.
_NOT_AGAIN = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


class Unanswered(Exception):
    """No answer worth keeping after every attempt; the message says the last failure and where."""

    def __init__(self, message: str, *, again: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.again, self.retry_after = again, retry_after


def _wait(state: RetryCallState) -> float:
    """The backoff's pause, or the last answer's Retry-After when that is longer (bounded)."""
    exc = state.outcome.exception() if state.outcome is not None else None
    asked = exc.retry_after if isinstance(exc, Unanswered) and exc.retry_after is not None else 0.0
    return max(_BACKOFF(state), min(asked, MAX_RETRY_AFTER))


# Module-level so that a test can replace its `sleep` and see the waits without waiting.
RETRY = Retrying(
    stop=stop_after_attempt(5),
    wait=_wait,
    retry=retry_if_exception(lambda exc: isinstance(exc, Unanswered) and exc.again),
    reraise=True,  # the last failure itself, not tenacity's RetryError around it
)


def _retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds (the form the goals API sends); an HTTP date or nonsense is ignored."""
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _once(client: httpx.Client, path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    try:
        response = client.post(path, json=body, headers=headers)
    except httpx.TransportError as exc:
        again = not isinstance(exc, _NOT_AGAIN)
        raise Unanswered(f"cannot reach the goals API at {client.base_url}: {exc}", again=again) from exc
    if response.status_code >= 500 or response.status_code == 429:
        # the answer's own words too: the last one is what the command shows when it gives up
        said = f"{response.status_code}: {response.text[:500]}" if response.text else str(response.status_code)
        raise Unanswered(f"the goals API at {client.base_url} answered {said}", retry_after=_retry_after(response))
    return response


def post(
    client: httpx.Client, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    """The first answer below 500 other than 429; raises Unanswered when none came within the attempts."""
    return RETRY(_once, client, path, body, headers or {})
