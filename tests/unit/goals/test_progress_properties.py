"""DESIGN §2 hard goal numbers: raw progress, clamp01 and the expected-progress curve (linear or planned)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from goalstream_goals.domain.progress import clamp01, expected_progress, progress, reached
from tests.unit.goals.builders import DAY, T0, US

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
spans = st.integers(min_value=60, max_value=400 * 24 * 3600).map(lambda s: timedelta(seconds=s))


def _us(delta: timedelta) -> int:
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


@st.composite
def plans(draw: st.DrawFn) -> tuple[datetime, datetime, list[tuple[datetime, float]]]:
    """A goal span and a plan of (due, fraction) points strictly inside it, rising in time and fraction."""
    span = draw(st.integers(min_value=3600, max_value=200 * 86400).map(lambda s: timedelta(seconds=s)))
    start = T0 + draw(st.integers(min_value=-100, max_value=100)) * DAY
    steps = draw(st.lists(st.integers(min_value=1, max_value=19), min_size=1, max_size=6, unique=True))
    shares = draw(
        st.lists(st.integers(min_value=1, max_value=19), min_size=len(steps), max_size=len(steps), unique=True)
    )
    plan = [(start + span * s / 20, f / 20) for s, f in zip(sorted(steps), sorted(shares), strict=True)]
    return start, start + span, plan


# -- progress -----------------------------------------------------------------------------------------------------


def test_progress_worked_examples() -> None:
    assert progress(12500, 10000, 15000) == 0.5
    assert progress(17500, 10000, 15000) == 1.5  # raw: above 1
    assert progress(7500, 10000, 15000) == -0.5  # raw: below 0
    assert progress(8, 10, 6) == 0.5  # decreasing target: 10% churn down to 6%, now 8%
    assert progress(4, 10, 6) == 1.5
    assert progress(12, 10, 6) == -0.5
    assert progress(0, 0, 400) == 0.0 and progress(400, 0, 400) == 1.0


@given(baseline=values, target=values, share=st.integers(min_value=-8, max_value=16))
def test_progress_is_the_share_of_the_way_from_baseline_to_target(baseline: float, target: float, share: int) -> None:
    assume(abs(target - baseline) > 1e-3)
    # A current value `share` eighths of the way along (an exact binary fraction of the distance).
    current = baseline + (target - baseline) * share / 8
    assert progress(current, baseline, target) == pytest.approx(share / 8, abs=1e-6)
    assert progress(baseline, baseline, target) == 0.0
    assert progress(target, baseline, target) == pytest.approx(1.0, abs=1e-12)


@given(baseline=values, target=values, a=values, b=values)
def test_moving_towards_the_target_is_progress_in_either_direction(
    baseline: float, target: float, a: float, b: float
) -> None:
    assume(abs(target - baseline) > 1e-3)
    lower, higher = sorted((a, b))
    if target > baseline:
        assert progress(lower, baseline, target) <= progress(higher, baseline, target)
    else:  # a decreasing target: the lower value is further along
        assert progress(lower, baseline, target) >= progress(higher, baseline, target)


@given(x=st.floats(allow_nan=False, allow_infinity=False))
def test_clamp01_stays_in_the_unit_interval_and_keeps_values_inside_it(x: float) -> None:
    c = clamp01(x)
    assert 0.0 <= c <= 1.0
    assert c == (x if 0.0 <= x <= 1.0 else (0.0 if x < 0 else 1.0))


def test_reached_allows_float_noise_just_below_the_threshold() -> None:
    total = 0.0
    for _ in range(10):
        total += 0.1  # ten counted tenths: 0.9999999999999999
    assert total < 1.0 and reached(progress(total, 0.0, 1.0))
    assert reached(1.0) and reached(1.5) and not reached(1.0 - 1e-6)
    assert reached(0.5, 0.5) and not reached(0.49, 0.5)


# -- expected progress --------------------------------------------------------------------------------------------


def test_expected_progress_worked_examples() -> None:
    start, deadline = T0, T0 + 100 * DAY
    assert expected_progress(start - DAY, start, deadline) == 0.0
    assert expected_progress(start, start, deadline) == 0.0
    assert expected_progress(start + 25 * DAY, start, deadline) == 0.25
    assert expected_progress(start + 75 * DAY, start, deadline) == 0.75
    assert expected_progress(deadline, start, deadline) == 1.0
    assert expected_progress(deadline + DAY, start, deadline) == 1.0
    front_loaded = [(start + 20 * DAY, 0.5)]
    assert expected_progress(start + 10 * DAY, start, deadline, front_loaded) == 0.25
    assert expected_progress(start + 60 * DAY, start, deadline, front_loaded) == 0.75


@given(span=spans, offset=st.integers(min_value=-(10**12), max_value=10**12))
def test_expected_progress_without_a_plan_is_linear_from_start_to_deadline(span: timedelta, offset: int) -> None:
    start, deadline = T0, T0 + span
    now = start + offset * US
    exact = min(Fraction(1), max(Fraction(0), Fraction(offset, _us(span))))
    assert expected_progress(now, start, deadline) == pytest.approx(float(exact), abs=1e-12)
    if offset <= 0:
        assert expected_progress(now, start, deadline) == 0.0
    if now >= deadline:
        assert expected_progress(now, start, deadline) == 1.0


@given(case=plans(), a=st.floats(min_value=-0.2, max_value=1.2), b=st.floats(min_value=-0.2, max_value=1.2))
def test_expected_progress_never_falls_as_time_passes(
    case: tuple[datetime, datetime, list[tuple[datetime, float]]], a: float, b: float
) -> None:
    start, deadline, plan = case
    earlier, later = sorted((start + (deadline - start) * a, start + (deadline - start) * b))
    for p in ((), plan):
        e0, e1 = expected_progress(earlier, start, deadline, p), expected_progress(later, start, deadline, p)
        assert 0.0 <= e0 <= 1.0 and 0.0 <= e1 <= 1.0
        assert e1 >= e0 - 1e-12


@given(case=plans(), where=st.floats(min_value=0.0, max_value=1.0))
def test_expected_progress_with_a_plan_passes_through_each_point_linearly(
    case: tuple[datetime, datetime, list[tuple[datetime, float]]], where: float
) -> None:
    start, deadline, plan = case
    corners = [(start, 0.0), *plan, (deadline, 1.0)]
    for due, fraction in plan:
        assert expected_progress(due, start, deadline, plan) == pytest.approx(fraction, abs=1e-12)
    for (t0, f0), (t1, f1) in itertools.pairwise(corners):
        now = t0 + (t1 - t0) * where
        # exact rational reference of the straight line between the two corners
        line = Fraction(f0) + (Fraction(f1) - Fraction(f0)) * Fraction(_us(now - t0), _us(t1 - t0))
        assert expected_progress(now, start, deadline, plan) == pytest.approx(float(line), abs=1e-12)
