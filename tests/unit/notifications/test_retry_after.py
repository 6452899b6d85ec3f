"""Retry-After on 429 and 503: parsing the header, the wait it imposes, its cap, and the sender reading it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from pydantic import ValidationError

from goalstream_notifications.adapters.webhook import WebhookSender
from goalstream_notifications.domain.retry import (
    AttemptResult,
    Dead,
    RetryLater,
    RetrySchedule,
    decide,
    parse_retry_after,
)
from goalstream_notifications.domain.subscription import new_secret
from goalstream_notifications.settings import NotificationsSettings

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
EXACT = RetrySchedule((0, 5, 300), jitter=0, max_retry_after=3600)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 7 ", 7.0),
        ("Sat, 01 Mar 2025 12:00:30 GMT", 30.0),  # IMF-fixdate
        ("Saturday, 01-Mar-25 12:01:00 GMT", 60.0),  # obsolete RFC 850 form
        ("Sat Mar  1 12:02:00 2025", 120.0),  # obsolete asctime form, GMT by definition
        ("Sat, 01 Mar 2025 11:00:00 GMT", 0.0),  # in the past: no wait
        ("9" * 40, 1e12),  # absurd but valid: clamped, capped later by the schedule
    ],
)
def test_delta_seconds_and_http_dates_are_parsed(value: str, seconds: float) -> None:
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5", "+3", "1e3", "\u0661\u0662", "Sat, 99 Foo 2025"])
def test_absent_or_invalid_retry_after_is_none(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


def test_an_http_date_counts_from_the_attempt_whatever_its_zone() -> None:
    later = NOW + timedelta(seconds=90)
    assert parse_retry_after(format_datetime(later, usegmt=True), NOW) == 90.0
    assert parse_retry_after(format_datetime(later, usegmt=True), NOW.astimezone(UTC)) == 90.0


@pytest.mark.parametrize("status", [429, 503])
def test_a_longer_retry_after_holds_the_next_attempt_back(status: int) -> None:
    outcome = decide(EXACT, 1, AttemptResult(status, retry_after=30), random.Random())
    assert outcome == RetryLater(30)


@pytest.mark.parametrize("status", [429, 503])
def test_a_shorter_retry_after_never_brings_the_schedule_forward(status: int) -> None:
    assert decide(EXACT, 2, AttemptResult(status, retry_after=2), random.Random()) == RetryLater(300)


def test_retry_after_is_capped_but_the_schedule_is_not() -> None:
    capped = RetrySchedule((0, 5, 300), jitter=0, max_retry_after=60)
    assert decide(capped, 1, AttemptResult(503, retry_after=1e12), random.Random()) == RetryLater(60)
    # The cap limits Retry-After's contribution only: a scheduled wait above it stands.
    assert decide(capped, 2, AttemptResult(503, retry_after=1e12), random.Random()) == RetryLater(300)
    no_say = RetrySchedule((0, 5), jitter=0, max_retry_after=0)
    assert decide(no_say, 1, AttemptResult(429, retry_after=30), random.Random()) == RetryLater(5)


@pytest.mark.parametrize("status", [500, 502, 504, 404, 302])
def test_other_statuses_ignore_retry_after(status: int) -> None:
    assert decide(EXACT, 1, AttemptResult(status, retry_after=30), random.Random()) == RetryLater(5)


def test_retry_after_adds_no_attempts_and_does_not_override_gone() -> None:
    last = decide(EXACT, 3, AttemptResult(503, retry_after=1), random.Random())
    assert isinstance(last, Dead) and "Retry-After 1s" in last.reason
    gone = decide(EXACT, 1, AttemptResult(410, retry_after=1), random.Random())
    assert isinstance(gone, Dead) and gone.disable_subscription


def test_retry_after_applies_on_top_of_the_jittered_wait() -> None:
    jittered = RetrySchedule((0, 100), jitter=0.2, max_retry_after=3600)
    rng = random.Random(5)
    for _ in range(200):
        outcome = decide(jittered, 1, AttemptResult(503, retry_after=110), rng)
        assert isinstance(outcome, RetryLater) and 110 <= outcome.wait_seconds <= 120


def test_the_attempt_description_shows_the_retry_after() -> None:
    assert AttemptResult(503, retry_after=2).describe() == "HTTP 503 (Retry-After 2s)"
    assert AttemptResult(503).describe() == "HTTP 503"


def test_a_schedule_refuses_a_negative_or_infinite_cap() -> None:
    for bad in (-1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError):
            RetrySchedule((0, 1), max_retry_after=bad)


def test_settings_default_cap_and_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    required = {"database_url": "postgresql://x/y", "kafka_bootstrap": "k:9092"}
    settings = NotificationsSettings(**required)  # type: ignore[arg-type]
    assert settings.retry_after_max_seconds == 3600
    assert settings.secret_rotation_overlap_seconds == 86400
    for field in ("retry_after_max_seconds", "secret_rotation_overlap_seconds"):
        for bad in (-1, float("inf"), float("nan")):
            with pytest.raises(ValidationError):
                NotificationsSettings(**required, **{field: bad})  # type: ignore[arg-type]
    monkeypatch.setenv("GOALSTREAM_RETRY_AFTER_MAX_SECONDS", "60")
    monkeypatch.setenv("GOALSTREAM_SECRET_ROTATION_OVERLAP_SECONDS", "5")
    settings = NotificationsSettings(**required)  # type: ignore[arg-type]
    assert (settings.retry_after_max_seconds, settings.secret_rotation_overlap_seconds) == (60, 5)


async def _attempt(status: int, headers: dict[str, str]) -> AttemptResult:
    transport = httpx.MockTransport(lambda _: httpx.Response(status, headers=headers))
    async with httpx.AsyncClient(transport=transport, follow_redirects=False) as client:
        return await WebhookSender(client, 5).send("http://receiver.test/hook", "dlv-1", new_secret(), b"{}", NOW)


async def test_the_sender_reads_retry_after_of_429_and_503_only() -> None:
    assert (await _attempt(503, {"retry-after": "2"})).retry_after == 2
    in_a_minute = format_datetime(NOW + timedelta(minutes=1), usegmt=True)
    assert (await _attempt(429, {"retry-after": in_a_minute})).retry_after == 60
    assert (await _attempt(503, {"retry-after": "whenever"})).retry_after is None
    assert (await _attempt(503, {})).retry_after is None
    assert (await _attempt(500, {"retry-after": "2"})).retry_after is None
    assert (await _attempt(200, {"retry-after": "2"})).retry_after is None
