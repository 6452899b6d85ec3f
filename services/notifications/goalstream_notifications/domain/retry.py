"""What follows one delivery attempt: delivered, retried after a jittered wait, or dead."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

GONE = 410
# The statuses whose Retry-After header is honoured (RFC 9110 section 10.2.3); others ignore it.
RETRY_AFTER_STATUSES = frozenset({429, 503})
# Longer delta-seconds than this many digits are not worth parsing (and would overflow a float).
_MAX_DELTA_DIGITS = 12
DEFAULT_MAX_RETRY_AFTER = 3600.0


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a `Retry-After` header asks to wait from `now`: delta-seconds or an HTTP-date.

    None when there is no header or it is not valid; a date in the past is 0.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value) if len(value) <= _MAX_DELTA_DIGITS else float(10**_MAX_DELTA_DIGITS)
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if at.tzinfo is None:  # asctime form: HTTP dates are always GMT
        at = at.replace(tzinfo=UTC)
    return max(0.0, (at - now).total_seconds())


@dataclass(frozen=True)
class AttemptResult:
    """How one attempt ended: the receiver's status code, or the transport error when there was none."""

    status_code: int | None
    error: str | None = None
    # What the receiver's Retry-After asked for, in seconds; set only for RETRY_AFTER_STATUSES.
    retry_after: float | None = None
    # The receiver refused this message for good (an SMTP 5xx to the recipient or the message):
    # retrying cannot help, so the delivery is dead at once (the subscription stays enabled).
    permanent: bool = False

    @property
    def succeeded(self) -> bool:
        # Only 2xx counts; a redirect is not followed (the target must be the final URL).
        return self.status_code is not None and 200 <= self.status_code < 300

    def describe(self) -> str:
        if self.error:
            return self.error
        if self.retry_after is not None:
            return f"HTTP {self.status_code} (Retry-After {self.retry_after:g}s)"
        return f"HTTP {self.status_code}"


@dataclass(frozen=True)
class RetrySchedule:
    """`waits[n]` is the wait before attempt n (from 0); there are `len(waits)` attempts at most.

    `max_retry_after` caps how long a receiver's Retry-After can hold the next attempt back.
    """

    waits: tuple[float, ...]
    jitter: float = 0.2
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER

    def __post_init__(self) -> None:
        if not self.waits or any(w < 0 for w in self.waits):
            raise ValueError("a retry schedule needs at least one wait, none negative")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")
        if not 0 <= self.max_retry_after < float("inf"):
            raise ValueError("max_retry_after must be a finite number of seconds >= 0")

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
    if result.permanent:
        return Dead(f"permanently refused after {attempts_made} attempts: {result.describe()}")
    wait = schedule.wait_before(attempts_made, rng)
    if wait is None:
        # Retry-After never adds attempts: the schedule's length is the number of attempts.
        return Dead(f"gave up after {attempts_made} attempts; last: {result.describe()}")
    if result.status_code in RETRY_AFTER_STATUSES and result.retry_after is not None:
        # The receiver's wish holds the next attempt back, up to the cap; it never brings it forward.
        wait = max(wait, min(result.retry_after, schedule.max_retry_after))
    return RetryLater(wait)
