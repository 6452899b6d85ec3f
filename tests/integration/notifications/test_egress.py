"""The egress guard against real local servers: refused at subscription time and at send time, admitted by the
allow-list, redirects not followed, and https to a pinned address still checked against the name."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from goalstream_contracts.events import GoalAchieved
from goalstream_notifications.adapters.egress import EgressGuard, EgressPolicy, GuardedTransport
from goalstream_notifications.adapters.webhook import WebhookSender, new_client
from goalstream_notifications.domain.subscription import new_secret
from goalstream_runtime.embedded.ports import free_port
from tests.integration.notifications.harness import Receiver, Service, eventually, goal_event, running_service
from tests.support.infra import Endpoints

pytestmark = pytest.mark.timeout(90)


def achieved(goal_id: str) -> GoalAchieved:
    return GoalAchieved(goal_id=goal_id, value=100, target=100, progress=1.0, achieved_at=datetime.now(UTC))


async def refused(service: Service, target: str) -> str:
    response = await service.api.post("/v1/subscriptions", json={"channel": "webhook", "target": target})
    assert response.status_code == 422, (target, response.text)
    body = response.json()
    assert body["error"] == "egress_refused" and body["errors"][0]["field"] == "target", body
    message: str = body["message"]
    return message


async def delivered_once(service: Service, receiver: Receiver, headers: dict[str, str] | None = None) -> None:
    goal_id = str(uuid.uuid4())
    await service.kafka.publish(goal_event(achieved(goal_id), service.org_id))

    async def done() -> list[dict[str, Any]] | None:
        response = await service.api.get("/v1/deliveries", params={"status": "delivered"}, headers=headers or {})
        return response.json() or None

    await eventually(done, 20, "a delivered webhook")
    assert len(receiver.requests) == 1


async def test_loopback_targets_are_refused_without_the_allow_list(
    database_url: str, infra: Endpoints, receiver: Receiver
) -> None:
    async with running_service(database_url, infra.kafka_bootstrap, egress_allow=[]) as service:
        port = receiver.port
        assert "127.0.0.1 is not a public address (loopback)" in await refused(service, receiver.url)
        assert "resolves to 127.0.0.1" in await refused(service, f"http://localhost:{port}/hook")
        assert "loopback" in await refused(service, f"http://[::1]:{port}/hook")
        assert "IPv4-mapped form of 127.0.0.1" in await refused(service, f"http://[::ffff:127.0.0.1]:{port}/hook")
        assert "unspecified" in await refused(service, f"http://0.0.0.0:{port}/hook")
        assert "link-local" in await refused(service, "http://169.254.169.254/latest/meta-data/")
        assert "private" in await refused(service, "https://10.0.0.1/hook")
        assert (await service.api.get("/v1/subscriptions")).json() == [], "nothing refused was created"
    assert receiver.requests == []


async def test_the_allow_listed_loopback_network_is_delivered(service: Service, receiver: Receiver) -> None:
    # The harness allow-lists 127.0.0.0/8 and ::1/128.
    await service.subscribe(channel="webhook", target=receiver.url, event_types=["GoalAchieved"])
    await delivered_once(service, receiver)
    assert receiver.requests[0].headers["host"] == f"127.0.0.1:{receiver.port}"


async def test_an_allowed_host_name_admits_that_name_and_not_its_address(
    database_url: str, infra: Endpoints, receiver: Receiver
) -> None:
    async with running_service(database_url, infra.kafka_bootstrap, egress_allow=["localhost"]) as service:
        assert "loopback" in await refused(service, receiver.url)
        await service.subscribe(
            channel="webhook", target=f"http://localhost:{receiver.port}/hook", event_types=["GoalAchieved"]
        )
        await delivered_once(service, receiver)
    # Connected to the address "localhost" resolved to, with the name kept in the Host header.
    assert receiver.requests[0].headers["host"] == f"localhost:{receiver.port}"


async def test_a_target_refused_at_send_time_fails_its_attempts_and_is_never_reached(
    database_url: str, infra: Endpoints, receiver: Receiver
) -> None:
    # Subscribed while loopback was allowed; then the operator removes it from the allow-list.
    async with running_service(database_url, infra.kafka_bootstrap) as before:
        await before.subscribe(channel="webhook", target=receiver.url, event_types=["GoalAchieved"])
        org_id, key = before.org_id, before.api_key
    async with running_service(database_url, infra.kafka_bootstrap, egress_allow=[]) as after:
        await after.kafka.publish(goal_event(achieved(str(uuid.uuid4())), org_id))

        async def dead() -> list[dict[str, Any]] | None:
            response = await after.api.get("/v1/deliveries", params={"status": "dead"}, headers=after.as_org(key))
            return response.json() or None

        delivery = (await eventually(dead, 20, "the refused delivery to be dead"))[0]
    assert delivery["attempts"] == 3 and delivery["last_status_code"] is None
    assert "EgressRefused" in delivery["last_error"] and "loopback" in delivery["last_error"], delivery
    assert all("EgressRefused" in (a["error"] or "") for a in delivery["attempt_log"]), delivery["attempt_log"]
    assert receiver.requests == []


@contextlib.asynccontextmanager
async def serving(app: Starlette, port: int, **tls: Any) -> AsyncIterator[None]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **tls))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: _true(server.started), 10, "the server to start")
    try:
        yield
    finally:
        server.should_exit = True
        await task


async def _true(value: bool) -> bool:
    return value


LOOPBACK = EgressGuard(EgressPolicy.from_allow_list(["127.0.0.0/8"]))


async def test_redirects_are_not_followed(receiver: Receiver) -> None:
    async def redirect(request: Request) -> Response:
        return Response(status_code=307, headers={"location": receiver.url})

    port = free_port()
    app = Starlette(routes=[Route("/hook", redirect, methods=["POST"])])
    async with serving(app, port), new_client(3.0, LOOPBACK) as client:
        result = await WebhookSender(client, 3.0).send(
            f"http://127.0.0.1:{port}/hook", "dlv-1", new_secret(), b"{}", datetime.now(UTC)
        )
    assert (result.status_code, result.error) == (307, None)
    assert receiver.requests == [], "the redirect's location was not requested"


def _certificate(directory: Path, name: str) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_https_to_the_pinned_address_checks_the_certificate_against_the_name(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path, "hooks.test")
    seen: list[str] = []

    async def hook(request: Request) -> Response:
        seen.append(request.headers["host"])
        return Response(status_code=204)

    async def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]  # every name is this server, which only holds a certificate for hooks.test

    port = free_port()
    trust = ssl.create_default_context(cafile=str(cert))
    guard = EgressGuard(EgressPolicy.from_allow_list(["127.0.0.0/8"]), resolve)
    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    async with (
        serving(app, port, ssl_certfile=str(cert), ssl_keyfile=str(key)),
        httpx.AsyncClient(transport=GuardedTransport(guard, verify=trust), trust_env=False) as client,
    ):
        ok = await client.post(f"https://hooks.test:{port}/hook", content=b"{}")
        assert ok.status_code == 204 and seen == [f"hooks.test:{port}"]
        # Same address, another name: the certificate does not match, even right after a verified connection.
        with pytest.raises(httpx.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
            await client.post(f"https://other.test:{port}/hook", content=b"{}")
        assert (await client.post(f"https://hooks.test:{port}/hook", content=b"{}")).status_code == 204
    assert seen == [f"hooks.test:{port}"] * 2
