"""Rate limits per API key: a token bucket per key, in this instance's memory.

Each instance limits on its own, so N instances behind a load balancer admit up to N times the
rate; a shared limiter would need a shared store for every request, which is not worth it here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_TRACKED_KEYS = 100_000  # beyond this, buckets idle long enough to be full again are dropped


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class RateLimiter:
    """Up to `burst` requests at once, refilled at `per_second`; `per_second <= 0` turns it off."""

    per_second: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def take(self, key: str) -> float | None:
        """Spend one token of `key`: None when allowed, else the seconds until one is available."""
        if self.per_second <= 0:
            return None
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED_KEYS:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.per_second)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / self.per_second

    def _forget_full(self, now: float) -> None:
        refill = self.burst / self.per_second
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.at < refill}
