"""Sending one webhook attempt, signed per the Standard Webhooks specification."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from goalstream_notifications.domain.retry import AttemptResult

log = logging.getLogger(__name__)

USER_AGENT = "goalstream-notifications/0.1"
MAX_ERROR_CHARS = 500


def signed_headers(message_id: str, secret: str, body: str, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for `body`, signed with `secret` at `now`.

    `message_id` is the delivery id: the same on every retry, so receivers can de-duplicate.
    """
    # Webhook.sign() replaces the tzinfo with UTC instead of converting, so hand it UTC already.
    at = now.astimezone(UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def new_client(timeout_seconds: float) -> httpx.AsyncClient:
    # Redirects are not followed: a signed message goes to the subscribed URL or nowhere.
    # trust_env=False: egress must not silently depend on the process's proxy variables.
    return httpx.AsyncClient(timeout=timeout_seconds, follow_redirects=False, trust_env=False)


class WebhookSender:
    def __init__(self, client: httpx.AsyncClient, timeout_seconds: float) -> None:
        self.client, self.timeout_seconds = client, timeout_seconds

    async def send(self, target: str, message_id: str, secret: str, body: bytes, now: datetime) -> AttemptResult:
        """POST `body` to `target`; never raises for what the receiver or the network does."""
        headers = signed_headers(message_id, secret, body.decode(), now)
        try:
            # httpx's timeout bounds each phase (connect, each read...); this bounds the whole attempt,
            # which must end within the claim lease or another worker would send it again.
            async with asyncio.timeout(self.timeout_seconds):
                request = self.client.build_request("POST", target, content=body, headers=headers)
                # Streamed and closed unread: only the status matters, and a receiver's body may be huge.
                response = await self.client.send(request, stream=True)
                await response.aclose()
        except TimeoutError:
            return AttemptResult(status_code=None, error=f"no answer within {self.timeout_seconds:g}s")
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
            return AttemptResult(status_code=None, error=_describe(exc))
        return AttemptResult(status_code=response.status_code, error=None)


def _describe(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:MAX_ERROR_CHARS]
