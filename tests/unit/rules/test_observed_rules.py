"""The rules goals decided alone until tracking's observed-time fold needed them too (issue 20)."""

from __future__ import annotations

from goalstream_rules.anti import breach_change
from goalstream_rules.counting import aggregate
from goalstream_rules.plan import late, overdue
from goalstream_rules.status import achieves, past_deadline
from tests.unit.rules.helpers import DAY, T0, US


def test_a_sum_adds_and_a_gauge_keeps_its_newest_value() -> None:
    assert aggregate("sum", None, None, T0, 3.0) == (True, 3.0)
    assert aggregate("sum", 3.0, T0 + DAY, T0, 2.0) == (True, 5.0)  # a sum counts a late value too
    assert aggregate("latest", 3.0, T0 + DAY, T0, 9.0) == (False, 3.0)  # a late gauge value replaces nothing
    assert aggregate("latest", 3.0, T0, T0, 9.0) == (True, 9.0)  # the same observed time: the newer record wins


def test_a_breach_opens_past_the_threshold_and_ends_only_past_the_recovery_threshold() -> None:
    assert breach_change("above", 10.0, 5.0, False, 10.0) is None
    assert breach_change("above", 10.0, 5.0, False, 10.5) == "breached"
    assert breach_change("above", 10.0, 5.0, True, 9.0) is None  # hysteresis: still open
    assert breach_change("above", 10.0, 5.0, True, 5.0) == "recovered"
    assert breach_change("below", 10.0, None, True, 10.0) == "recovered"  # no recovery threshold: the threshold


def test_milestones_and_deadlines_at_their_edges() -> None:
    assert not late(T0, T0) and late(T0 + US, T0)
    assert overdue(T0, T0) and not overdue(T0, T0 - US)
    assert past_deadline(T0, T0) and not past_deadline(T0 - US, T0)
    assert achieves(True, T0, T0) and not achieves(True, T0 + US, T0)
    assert not achieves(False, T0, T0 + DAY) and not achieves(True, None, T0)
