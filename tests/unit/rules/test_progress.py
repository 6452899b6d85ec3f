"""Raw progress, clamping and the EPSILON "reached" test."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from goalstream_rules.progress import clamp01, progress, reached

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


def test_progress_is_raw_and_works_for_decreasing_targets() -> None:
    assert progress(12500, 10000, 15000) == pytest.approx(0.5)
    assert progress(16000, 10000, 15000) == pytest.approx(1.2)  # shown raw: can exceed 1
    assert progress(8, 10, 6) == pytest.approx(0.5)  # churn from 10% down to 6%, now 8%
    assert progress(11, 10, 6) == pytest.approx(-0.25)
    assert clamp01(1.2) == 1.0 and clamp01(-0.25) == 0.0


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


def test_progress_stays_finite_when_the_target_is_a_hair_from_the_baseline() -> None:
    """Found by the edge-value test: a sum goal with target 5e-324 over its baseline, two values of 1: the
    quotient overflowed to inf and MeasurementRecorded refused it (a 500)."""
    assert math.isfinite(progress(2.0, 0.0, 5e-324)) and progress(2.0, 0.0, 5e-324) > 1
    assert math.isfinite(progress(-2.0, 0.0, 5e-324)) and progress(-2.0, 0.0, 5e-324) < 0
