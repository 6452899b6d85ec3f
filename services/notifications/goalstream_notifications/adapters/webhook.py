"""Sending one webhook attempt, signed per the Standard Webhooks specification."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from goalstream_notifications.adapters.egress import EgressGuard, GuardedTransport
from goalstream_notifications.domain.retry import RETRY_AFTER_STATUSES, AttemptResult, parse_retry_after
from goalstream_runtime.telemetry import current_headers

log = logging.getLogger(__name__)

USER_AGENT = "goalstream-notifications/0.1"
MAX_ERROR_CHARS = 500
MAX_DRAIN_BYTES = 64 * 1024
DRAIN_SECONDS = 1.0


def signed_headers(
    message_id: str, secret: str, body: str, now: datetime, previous_secret: str | None = None
) -> dict[str, str]:
    """The Standard Webhooks headers for `body`, signed with `secret` at `now`.

    `message_id` is the delivery id: the same on every retry, so receivers can de-duplicate.
    During a secret rotation's overlap `previous_secret` signs too: the header then holds two
    space-delimited signatures (`v1,<new> v1,<old>`) and a receiver holding either secret accepts.
    """
    # Webhook.sign() replaces the tzinfo with UTC instead of converting, so hand it UTC already.
    at = now.astimezone(UTC)
    signers = [secret] if previous_secret is None else [secret, previous_secret]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(Webhook(s).sign(message_id, at, body) for s in signers),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def new_client(timeout_seconds: float, egress: EgressGuard) -> httpx.AsyncClient:
    """The client of every outgoing alert request (webhooks, Slack): each request passes the egress guard.

    The guarded transport resolves the host once, refuses forbidden addresses (as an httpx transport
    error, so a sender reports a failed attempt) and connects to the validated address.
    """
    # Redirects are not followed: a signed message goes to the subscribed URL or nowhere.
    # trust_env=False: egress must not silently depend on the process's proxy variables.
    return httpx.AsyncClient(
        timeout=timeout_seconds, follow_redirects=False, trust_env=False, transport=GuardedTransport(egress)
    )


class WebhookSender:
    def __init__(self, client: httpx.AsyncClient, timeout_seconds: float) -> None:
        self.client, self.timeout_seconds = client, timeout_seconds

    async def send(
        self,
        target: str,
        message_id: str,
        secret: str,
        body: bytes,
        now: datetime,
        previous_secret: str | None = None,
    ) -> AttemptResult:
        """POST `body` to `target`; never raises for what the receiver or the network does.

        `previous_secret` (a rotated-out secret still in its overlap window) signs as well.
        """
        # The receiver may continue the trace: `traceparent` is outside the signed content.
        headers = signed_headers(message_id, secret, body.decode(), now, previous_secret) | current_headers()
        try:
            # httpx's timeout bounds each phase (connect, each read...); this bounds the whole attempt,
            # which must end within the claim lease or another worker would send it again.
            async with asyncio.timeout(self.timeout_seconds):
                request = self.client.build_request("POST", target, content=body, headers=headers)
                # Streamed: only the status matters, and a receiver's body may be huge (see `release`).
                response = await self.client.send(request, stream=True)
                await release(response)
        except TimeoutError:
            return AttemptResult(status_code=None, error=f"no answer within {self.timeout_seconds:g}s")
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
            return AttemptResult(status_code=None, error=describe_error(exc))
        retry_after = None
        if response.status_code in RETRY_AFTER_STATUSES:
            retry_after = parse_retry_after(response.headers.get("retry-after"), now)
        return AttemptResult(status_code=response.status_code, error=None, retry_after=retry_after)


async def release(response: httpx.Response) -> None:
    """Close `response`, reading a short body to its end first so its connection can be used again.

    A response closed before its end closes the connection (httpcore cannot reuse it), which made
    every attempt open a new one, even for a bodiless 204. A body longer than MAX_DRAIN_BYTES, or slower
    than DRAIN_SECONDS, is not read further: that connection is dropped instead.

    The status decided the attempt already: a body that fails or stalls while it is read only costs its
    connection, never the attempt (it would be sent again as a failure).
    """
    try:
        read = 0
        if response.is_stream_consumed:  # read already (a Slack error's head): only closing is left
            return
        async with asyncio.timeout(DRAIN_SECONDS):
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read > MAX_DRAIN_BYTES:
                    break
    except (httpx.HTTPError, OSError, TimeoutError):
        pass  # closing below drops the connection
    finally:
        await response.aclose()


def describe_error(exc: Exception) -> str:
    """What an attempt's error says: the exception's type and message, printable, at most MAX_ERROR_CHARS."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return printable(text)[:MAX_ERROR_CHARS]


def printable(text: str) -> str:
    """`text` with control characters (NUL among them, which PostgreSQL refuses in text) as spaces, collapsed."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())
