"""Connections are kept alive behind the egress guard, and an https connection only serves its own name."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from goalstream_notifications.adapters.egress import EgressGuard, EgressPolicy, GuardedTransport
from goalstream_notifications.adapters.webhook import WebhookSender, new_client
from goalstream_notifications.domain.subscription import new_secret
from goalstream_runtime.embedded.ports import free_port
from tests.integration.notifications.test_egress import _certificate, serving

LOOPBACK = EgressGuard(EgressPolicy.from_allow_list(["127.0.0.0/8"]))


def _counting_app(peers: list[tuple[str, int]], status: int, body: bytes = b"") -> Starlette:
    async def hook(request: Request) -> Response:
        assert request.client is not None
        peers.append((request.headers["host"], request.client.port))  # the client's port: one per connection
        return Response(body, status_code=status)

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


@pytest.mark.parametrize(("status", "body"), [(204, b""), (200, b"ok"), (500, b"x" * 1000)])
async def test_plain_http_webhooks_reuse_one_connection(status: int, body: bytes) -> None:
    peers: list[tuple[str, int]] = []
    port = free_port()
    async with serving(_counting_app(peers, status, body), port), new_client(3.0, LOOPBACK) as client:
        sender = WebhookSender(client, 3.0)
        for n in range(3):
            result = await sender.send(
                f"http://127.0.0.1:{port}/hook", f"dlv-{n}", new_secret(), b"{}", datetime.now(UTC)
            )
            assert result.status_code == status
    assert len(peers) == 3 and len({p for _, p in peers}) == 1, peers


async def test_https_keeps_one_connection_per_name_and_never_lends_it_to_another_name(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path, "hooks.test")
    peers: list[tuple[str, int]] = []

    async def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]  # every name is this server, which only holds a certificate for hooks.test

    port = free_port()
    guard = EgressGuard(EgressPolicy.from_allow_list(["127.0.0.0/8"]), resolve)
    transport = GuardedTransport(guard, verify=ssl.create_default_context(cafile=str(cert)))
    tls = dict(ssl_certfile=str(cert), ssl_keyfile=str(key))
    async with (
        serving(_counting_app(peers, 204), port, **tls),
        httpx.AsyncClient(transport=transport, trust_env=False) as client,
    ):
        for _ in range(3):
            assert (await client.post(f"https://hooks.test:{port}/hook", content=b"{}")).status_code == 204
        # The verified connection to this address is idle in the pool; another name must not get it.
        with pytest.raises(httpx.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
            await client.post(f"https://other.test:{port}/hook", content=b"{}")
        assert (await client.post(f"https://hooks.test:{port}/hook", content=b"{}")).status_code == 204
    assert [h for h, _ in peers] == [f"hooks.test:{port}"] * 4
    assert len({p for _, p in peers}) == 1, peers
