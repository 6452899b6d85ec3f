"""Edges of a delivery found in review: a pool handed out is never the one evicted, a 2xx whose body fails
while it is read is still delivered, and a receiver's control characters never reach the database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from goalstream_notifications.adapters.host_pools import HostPools
from goalstream_notifications.adapters.webhook import describe_error, printable, release


class Transport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(204)

    async def aclose(self) -> None:
        self.closed = True


async def test_a_new_target_is_not_evicted_while_every_other_pool_is_busy() -> None:
    pools = HostPools(Transport, max_targets=1)
    async with pools.lease(("https", "a.example")) as a, pools.lease(("https", "b.example")) as b:
        assert isinstance(a, Transport) and isinstance(b, Transport)
        assert (a.closed, b.closed) == (False, False)
    async with pools.lease(("https", "c.example")):  # now a and b are idle: the oldest goes
        pass
    assert a.closed


class Broken(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"partial"
        raise httpx.ReadError("connection reset while reading the body")


async def test_a_body_that_fails_while_it_is_read_does_not_fail_the_attempt() -> None:
    response = httpx.Response(200, stream=Broken())
    await release(response)  # the status decided the attempt; the body only costs its connection
    assert response.is_closed


def test_control_characters_are_spaces_in_what_an_attempt_records() -> None:
    assert printable("bad\x00reason\r\n  here\x1b[31m") == "bad reason here [31m"
    assert "\x00" not in describe_error(ValueError("nul \x00 inside"))
