"""The numbers of DESIGN §2 for hard goals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from goalstream_goals.domain.progress import Tolerances, clamp01, expected_progress, progress, status_for

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_progress_is_raw_and_works_for_decreasing_targets() -> None:
    assert progress(12500, 10000, 15000) == pytest.approx(0.5)
    assert progress(16000, 10000, 15000) == pytest.approx(1.2)  # shown raw: can exceed 1
    assert progress(8, 10, 6) == pytest.approx(0.5)  # churn from 10% down to 6%, now 8%
    assert progress(11, 10, 6) == pytest.approx(-0.25)
    assert clamp01(1.2) == 1.0 and clamp01(-0.25) == 0.0


def test_expected_progress_is_linear_from_start_to_deadline() -> None:
    start, deadline = T0, T0 + timedelta(days=90)
    assert expected_progress(start - timedelta(days=1), start, deadline) == 0.0
    assert expected_progress(start + timedelta(days=15), start, deadline) == pytest.approx(15 / 90)
    assert expected_progress(deadline, start, deadline) == 1.0
    assert expected_progress(deadline + timedelta(days=3), start, deadline) == 1.0


def test_expected_progress_follows_a_plan_piecewise() -> None:
    start, deadline = T0, T0 + timedelta(days=100)
    plan = [(T0 + timedelta(days=50), 0.8)]  # a front-loaded plan
    assert expected_progress(T0 + timedelta(days=25), start, deadline, plan) == pytest.approx(0.4)
    assert expected_progress(T0 + timedelta(days=75), start, deadline, plan) == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("actual", "expected", "status"),
    [
        (0.5, 0.6, "on_track"),
        (0.5, 0.601, "at_risk"),
        (0.5, 0.75, "at_risk"),
        (0.5, 0.7501, "off_track"),
        (0.9, 0.5, "on_track"),
    ],
)
def test_status_from_the_gap(actual: float, expected: float, status: str) -> None:
    assert status_for(actual, expected, Tolerances()) == status


def test_tolerances_are_settings() -> None:
    assert status_for(0.5, 0.65, Tolerances(on_track=0.2, at_risk=0.3)) == "on_track"
