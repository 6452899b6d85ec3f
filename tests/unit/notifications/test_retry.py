"""The retry schedule, its jitter, and what follows an attempt."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from goalstream_notifications.domain.retry import (
    AttemptResult,
    Dead,
    Delivered,
    RetryLater,
    RetrySchedule,
    decide,
)
from goalstream_notifications.settings import DEFAULT_RETRY_SCHEDULE, NotificationsSettings

SCHEDULE = RetrySchedule((0, 5, 300), jitter=0.2)
FAILED = AttemptResult(status_code=500)


def test_zero_waits_stay_zero_and_the_schedule_ends() -> None:
    rng = random.Random(1)
    assert SCHEDULE.max_attempts == 3
    assert all(SCHEDULE.wait_before(0, rng) == 0 for _ in range(100))
    assert SCHEDULE.wait_before(3, rng) is None


def test_jitter_stays_within_twenty_percent_and_spreads() -> None:
    rng = random.Random(7)
    waits = [SCHEDULE.wait_before(2, rng) for _ in range(2000)]
    assert all(w is not None and 240 <= w <= 360 for w in waits)
    assert min(w for w in waits if w) < 250 and max(w for w in waits if w) > 350
    assert len(set(waits)) > 1000


def test_no_jitter_gives_the_schedule_exactly() -> None:
    exact = RetrySchedule((0, 0.2, 0.2), jitter=0)
    assert [exact.wait_before(n, random.Random()) for n in range(4)] == [0, 0.2, 0.2, None]


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_only_2xx_is_delivered(status: int) -> None:
    assert decide(SCHEDULE, 1, AttemptResult(status), random.Random()) == Delivered()


@pytest.mark.parametrize("result", [AttemptResult(302), AttemptResult(404), FAILED, AttemptResult(None, "timeout")])
def test_a_failure_before_the_last_attempt_is_retried_after_the_next_wait(result: AttemptResult) -> None:
    outcome = decide(SCHEDULE, 2, result, random.Random(3))
    assert isinstance(outcome, RetryLater) and 240 <= outcome.wait_seconds <= 360


def test_a_failure_of_the_last_attempt_is_dead() -> None:
    outcome = decide(SCHEDULE, 3, FAILED, random.Random())
    assert isinstance(outcome, Dead) and not outcome.disable_subscription
    assert "3 attempts" in outcome.reason and "HTTP 500" in outcome.reason


def test_gone_is_dead_at_once_and_disables_the_subscription() -> None:
    outcome = decide(SCHEDULE, 1, AttemptResult(410), random.Random())
    assert isinstance(outcome, Dead) and outcome.disable_subscription


def test_a_manually_retried_dead_delivery_gets_one_more_attempt() -> None:
    # After the schedule is used up, a further failure is dead again at once.
    assert isinstance(decide(SCHEDULE, 4, FAILED, random.Random()), Dead)


def test_invalid_schedules_are_refused() -> None:
    with pytest.raises(ValueError):
        RetrySchedule(())
    with pytest.raises(ValueError):
        RetrySchedule((0, -1))
    with pytest.raises(ValueError):
        RetrySchedule((0, 1), jitter=1.0)


def test_settings_default_schedule_and_validation() -> None:
    settings = NotificationsSettings(database_url="postgresql://x/y", kafka_bootstrap="k:9092")
    assert settings.retry_schedule_seconds == DEFAULT_RETRY_SCHEDULE == [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
    assert settings.http_port == 8003 and settings.egress_allow == []
    for bad in ([], [0, -5], [0, float("nan")], [float("inf")]):
        with pytest.raises(ValidationError):
            NotificationsSettings(database_url="postgresql://x/y", kafka_bootstrap="k:9092", retry_schedule_seconds=bad)


def test_schedule_comes_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOALSTREAM_RETRY_SCHEDULE_SECONDS", "[0, 0.2, 0.2]")
    settings = NotificationsSettings(database_url="postgresql://x/y", kafka_bootstrap="k:9092")
    assert settings.retry_schedule_seconds == [0, 0.2, 0.2]
