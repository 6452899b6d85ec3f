"""What follows one delivery attempt: delivered, retried after a jittered wait, or dead."""

from __future__ import annotations

import random
from dataclasses import dataclass

GONE = 410


@dataclass(frozen=True)
class AttemptResult:
    """How one attempt ended: the receiver's status code, or the transport error when there was none."""

    status_code: int | None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        # Only 2xx counts; a redirect is not followed (the target must be the final URL).
        return self.status_code is not None and 200 <= self.status_code < 300

    def describe(self) -> str:
        return self.error or f"HTTP {self.status_code}"


@dataclass(frozen=True)
class RetrySchedule:
    """`waits[n]` is the wait before attempt n (from 0); there are `len(waits)` attempts at most."""

    waits: tuple[float, ...]
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if not self.waits or any(w < 0 for w in self.waits):
            raise ValueError("a retry schedule needs at least one wait, none negative")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")

    @property
    def max_attempts(self) -> int:
        return len(self.waits)

    def wait_before(self, attempt: int, rng: random.Random) -> float | None:
        """Seconds to wait before attempt `attempt`; None once the schedule is used up.

        A zero wait stays zero (an immediate attempt); any other is spread by +-jitter so that
        deliveries that failed together (one receiver down) do not all come back at once.
        """
        if attempt >= len(self.waits):
            return None
        wait = self.waits[attempt]
        if wait == 0 or self.jitter == 0:
            return wait
        return wait * rng.uniform(1 - self.jitter, 1 + self.jitter)


@dataclass(frozen=True)
class Delivered:
    pass


@dataclass(frozen=True)
class RetryLater:
    wait_seconds: float


@dataclass(frozen=True)
class Dead:
    reason: str
    disable_subscription: bool = False


Outcome = Delivered | RetryLater | Dead


def decide(schedule: RetrySchedule, attempts_made: int, result: AttemptResult, rng: random.Random) -> Outcome:
    """The outcome after the `attempts_made`-th attempt ended with `result`."""
    if result.succeeded:
        return Delivered()
    if result.status_code == GONE:
        # Standard Webhooks: 410 means the receiver wants no more deliveries on this endpoint.
        return Dead("receiver answered 410 Gone; the subscription is disabled", disable_subscription=True)
    wait = schedule.wait_before(attempts_made, rng)
    if wait is None:
        return Dead(f"gave up after {attempts_made} attempts; last: {result.describe()}")
    return RetryLater(wait)
