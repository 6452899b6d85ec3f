"""Expected progress: linear from start_at to the deadline, or piecewise through a plan's (due, fraction) points."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goalstream_rules.expected import expected_progress
from tests.unit.rules.helpers import DAY, T0, US

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
