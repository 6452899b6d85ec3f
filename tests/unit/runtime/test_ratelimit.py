"""The per-key token bucket, on a clock the test moves."""

from __future__ import annotations

import pytest

from goalstream_runtime.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_admitted_then_the_rate_and_keys_are_independent() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=2, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [None, None, None]
    assert limiter.take("a") == pytest.approx(0.5)  # one token comes back after 1/2 s
    assert limiter.take("b") is None  # another key has its own bucket
    clock.now += 0.5
    assert limiter.take("a") is None
    assert limiter.take("a") == pytest.approx(0.5)
    clock.now += 60  # refills, but never above the burst
    assert [limiter.take("a") for _ in range(4)] == [None, None, None, pytest.approx(0.5)]


def test_zero_rate_turns_limiting_off() -> None:
    limiter = RateLimiter(per_second=0, burst=1)
    assert all(limiter.take("a") is None for _ in range(1000))
