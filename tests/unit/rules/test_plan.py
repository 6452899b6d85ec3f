"""Backward planning: n equal milestones worked back from the deadline, or explicit checkpoints as fractions."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from goalstream_rules.errors import RuleError
from goalstream_rules.plan import backward_milestones, checkpoint_milestones
from tests.unit.rules.helpers import DAY, T0, US

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


def test_the_marketing_example() -> None:
    now = T0
    start, deadline = now - 15 * DAY, now + 75 * DAY
    milestones = backward_milestones(start, deadline, 0.0, 400.0, 3)
    assert [m.index for m in milestones] == [1, 2, 3]
    assert [m.due for m in milestones] == [now + 15 * DAY, now + 45 * DAY, now + 75 * DAY]
    assert [m.target for m in milestones] == pytest.approx([400 / 3, 800 / 3, 400.0])
    assert milestones[0].target == pytest.approx(133.3333333333)
    assert milestones[1].target == pytest.approx(266.6666666667)
    assert milestones[-1].target == 400.0
    assert [m.fraction for m in milestones] == pytest.approx([1 / 3, 2 / 3, 1.0])


@given(
    n=st.integers(min_value=1, max_value=50),
    span_us=st.integers(min_value=10**6, max_value=2 * 365 * 86400 * 10**6),
    baseline=values,
    target=values,
)
def test_milestone_k_of_n_is_due_and_aimed_as_designed(n: int, span_us: int, baseline: float, target: float) -> None:
    assume(abs(target - baseline) > 1e-3)
    start = T0 - timedelta(days=30)
    deadline = start + timedelta(microseconds=span_us)
    milestones = backward_milestones(start, deadline, baseline, target, n)
    noise = 1e-12 * max(1.0, abs(baseline), abs(target))  # float rounding of the intermediate targets
    assert len(milestones) == n
    for k, m in enumerate(milestones, start=1):
        # exact reference in whole microseconds and rationals
        due = deadline - timedelta(microseconds=float(Fraction((n - k) * span_us, n)))
        assert abs(m.due - due) <= US
        aim = Fraction(baseline) + (Fraction(target) - Fraction(baseline)) * Fraction(k, n)
        assert m.target == pytest.approx(float(aim), abs=noise)
        assert m.fraction == pytest.approx(k / n, abs=1e-15)
        assert m.index == k
    assert milestones[-1].due == deadline
    assert milestones[-1].target == target
    assert all(a.due < b.due for a, b in itertools.pairwise(milestones))
    assert all(start < m.due <= deadline for m in milestones)


@pytest.mark.parametrize(
    ("baseline", "target"),
    [
        (12.5, 3.3),  # churn from 12.5% down to 3.3%
        (12.3, 0.0),  # open incidents down to none
        (100.0, 1000.3),
    ],
)
def test_the_last_milestone_carries_the_goal_target_exactly(baseline: float, target: float) -> None:
    # Milestone n of n is the goal itself: due at the deadline, aimed at the goal's own target (DESIGN §2).
    milestones = backward_milestones(T0, T0 + 90 * DAY, baseline, target, 3)
    assert milestones[-1].due == T0 + 90 * DAY
    assert milestones[-1].fraction == 1.0
    assert milestones[-1].target == target


@pytest.mark.parametrize("n", [0, -1, 367])
def test_a_milestone_count_out_of_range_is_refused(n: int) -> None:
    with pytest.raises(RuleError) as refused:
        backward_milestones(T0, T0 + 90 * DAY, 0.0, 100.0, n)
    assert refused.value.field == "milestones"


def test_checkpoints_in_order_become_milestones() -> None:
    start, deadline = T0, T0 + 90 * DAY
    given_out_of_order = [(T0 + 60 * DAY, 80.0), (T0 + 30 * DAY, 50.0)]
    milestones = checkpoint_milestones(start, deadline, 0.0, 100.0, given_out_of_order)
    assert [(m.index, m.due, m.target, m.fraction) for m in milestones] == [
        (1, T0 + 30 * DAY, 50.0, 0.5),
        (2, T0 + 60 * DAY, 80.0, 0.8),
    ]
    # a decreasing target: churn 10% -> 6%, 8% by day 45 is halfway
    down = checkpoint_milestones(start, deadline, 10.0, 6.0, [(T0 + 45 * DAY, 8.0), (deadline, 6.0)])
    assert [m.fraction for m in down] == [0.5, 1.0]


@pytest.mark.parametrize(
    "checkpoints",
    [
        [],
        [(T0, 50.0)],  # due at start_at: outside (start_at, deadline]
        [(T0 - DAY, 50.0)],
        [(T0 + 90 * DAY + US, 50.0)],  # after the deadline
        [(T0 + 30 * DAY, 50.0), (T0 + 60 * DAY, 50.0)],  # does not advance
        [(T0 + 30 * DAY, 60.0), (T0 + 60 * DAY, 40.0)],  # goes back
        [(T0 + 30 * DAY, 0.0)],  # no further than the baseline
        [(T0 + 30 * DAY, -10.0)],  # the wrong way
        [(T0 + 30 * DAY, 120.0)],  # past the target
        [(T0 + 30 * DAY, 40.0), (T0 + 30 * DAY, 60.0)],  # two at one time
    ],
)
def test_impossible_checkpoints_are_refused_naming_checkpoints(checkpoints: list[tuple[datetime, float]]) -> None:
    with pytest.raises(RuleError) as refused:
        checkpoint_milestones(T0, T0 + 90 * DAY, 0.0, 100.0, checkpoints)
    assert refused.value.field == "checkpoints"
