"""The expected line a goal page draws: the corners of the expected-progress curve, with the value at each."""

from __future__ import annotations

from goalstream_rules.expected import expected_line, expected_progress
from tests.unit.rules.helpers import DAY, T0


def test_the_line_runs_from_the_start_through_each_milestone_to_the_deadline_with_values() -> None:
    plan = [(T0 + 60 * DAY, 0.75), (T0 + 30 * DAY, 0.25)]
    line = expected_line(T0, T0 + 90 * DAY, plan, 10.0, 110.0)
    assert line == [
        (T0, 0.0, 10.0),
        (T0 + 30 * DAY, 0.25, 35.0),
        (T0 + 60 * DAY, 0.75, 85.0),
        (T0 + 90 * DAY, 1.0, 110.0),
    ]
    for at, fraction, _ in line:  # every corner lies on the curve the expected progress follows
        assert expected_progress(at, T0, T0 + 90 * DAY, plan) == fraction or at == T0


def test_without_a_target_the_line_has_fractions_but_no_values() -> None:
    assert expected_line(T0, T0 + DAY, (), 0.0, None) == [(T0, 0.0, None), (T0 + DAY, 1.0, None)]
