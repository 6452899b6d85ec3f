"""Sending one Slack attempt: the rendered message POSTed to an incoming-webhook URL."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx

from goalstream_notifications.adapters.webhook import describe_error, printable, release
from goalstream_notifications.domain.retry import RETRY_AFTER_STATUSES, AttemptResult, parse_retry_after

USER_AGENT = "goalstream-notifications/0.1"
MAX_ERROR_CHARS = 500


class SlackSender:
    """Posts to Slack (or a Slack-compatible receiver) through the worker's guarded HTTP client.

    The same rules as webhooks: no redirects, 2xx only is success, the timeout bounds the whole
    attempt. Slack answers errors with a short text body (`invalid_payload`, `channel_is_archived`),
    which is kept in the attempt's error.
    """

    def __init__(self, client: httpx.AsyncClient, timeout_seconds: float) -> None:
        self.client, self.timeout_seconds = client, timeout_seconds

    async def send(self, target: str, body: bytes, now: datetime) -> AttemptResult:
        """POST `body` to `target`; never raises for what the receiver or the network does."""
        headers = {"content-type": "application/json; charset=utf-8", "user-agent": USER_AGENT}
        try:
            async with asyncio.timeout(self.timeout_seconds):
                request = self.client.build_request("POST", target, content=body, headers=headers)
                response = await self.client.send(request, stream=True)
                try:
                    reason = "" if response.is_success else await _head(response)
                finally:
                    await release(response)  # the rest of a short answer read, so the connection is kept
        except TimeoutError:
            return AttemptResult(status_code=None, error=f"no answer within {self.timeout_seconds:g}s")
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
            return AttemptResult(status_code=None, error=describe_error(exc))
        retry_after = None
        if response.status_code in RETRY_AFTER_STATUSES:
            retry_after = parse_retry_after(response.headers.get("retry-after"), now)
        error = f"HTTP {response.status_code}: {reason}" if reason else None
        return AttemptResult(status_code=response.status_code, error=error, retry_after=retry_after)


async def _head(response: httpx.Response) -> str:
    """The start of an error answer (Slack's reason), never more than MAX_ERROR_CHARS of it."""
    read = b""
    async for chunk in response.aiter_bytes():
        read += chunk
        if len(read) >= MAX_ERROR_CHARS:
            break
    return printable(read[:MAX_ERROR_CHARS].decode(errors="replace"))
