"""A kept-alive HTTP connection outlives a client's idle timeout (httpx keeps one 5 s): the server must not close it
first, or a client reusing it just then gets a reset instead of an answer (seen in CI before the setting)."""

from __future__ import annotations

import asyncio

from tests.e2e.conftest import Services

REQUEST = b"GET /health HTTP/1.1\r\nHost: goalstream\r\nConnection: keep-alive\r\n\r\n"
CLIENT_IDLE_SECONDS = 5.0  # httpx's default keepalive_expiry: until then a client reuses the connection


async def answered(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    writer.write(REQUEST)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    length = next(int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))
    await reader.readexactly(length)
    return head.split(b"\r\n")[0]


async def idle_then_asked_again(port: int) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        first = await answered(reader, writer)
        await asyncio.sleep(CLIENT_IDLE_SECONDS + 0.5)  # the behaviour under test is a duration
        return [first, await answered(reader, writer)]
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        return [f"closed: {exc!r}".encode()]
    finally:
        writer.close()


async def test_an_idle_connection_is_still_served_after_a_clients_idle_timeout(services: Services) -> None:
    ports = [s.port for s in (services.goals, services.tracking, services.notifications)]
    answers = await asyncio.gather(*(idle_then_asked_again(port) for port in ports))
    assert answers == [[b"HTTP/1.1 200 OK"] * 2] * 3
