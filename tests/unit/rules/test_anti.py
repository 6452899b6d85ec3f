"""Anti-goals: in breach past the threshold, recovered only back at the recovery threshold, and the window mean."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from goalstream_contracts.common import Comparator
from goalstream_rules.anti import in_breach, in_window, mean, recovered, safe_recovery, window_values
from tests.unit.rules.helpers import T0

MINUTE = timedelta(minutes=1)


def test_breach_and_recovery_edges() -> None:
    # below: stock under 100 units is a breach, over only at 120 or more
    assert in_breach("below", 100.0, 99.9) and not in_breach("below", 100.0, 100.0)
    assert recovered("below", 120.0, 120.0) and not recovered("below", 120.0, 119.9)
    assert recovered("above", 3.0, 3.0) and not recovered("above", 3.0, 3.01)


@given(
    comparator=st.sampled_from(["above", "below"]),
    threshold=st.floats(-100, 100),
    margin=st.floats(0, 50),
    value=st.floats(-200, 200),
)
def test_a_value_in_breach_is_never_recovered(
    comparator: Comparator, threshold: float, margin: float, value: float
) -> None:
    """With the recovery threshold on the safe side, a value cannot open a breach and end one at once."""
    recovery = threshold - margin if comparator == "above" else threshold + margin
    assert safe_recovery(comparator, threshold, recovery)
    breach = in_breach(comparator, threshold, value)
    assert not (breach and recovered(comparator, recovery, value))
    assert breach == (value > threshold if comparator == "above" else value < threshold)


def test_window_helpers() -> None:
    values = [(T0 + 50 * MINUTE, 4.0), (T0, 100.0), (T0 + 30 * MINUTE, 2.0)]
    kept = window_values(values, 45 * MINUTE)
    assert kept == ((T0 + 30 * MINUTE, 2.0), (T0 + 50 * MINUTE, 4.0))  # oldest first, the 0:00 value is out
    assert mean(kept) == 3.0
    assert window_values([], timedelta(hours=1)) == ()


def test_the_window_is_open_at_its_start_and_closed_at_the_newest() -> None:
    """(newest - window, newest]: a value observed exactly one window before the newest has left it."""
    newest, hour = T0 + 60 * MINUTE, timedelta(hours=1)
    assert in_window(newest, newest, hour) and in_window(T0 + MINUTE, newest, hour)
    assert not in_window(T0, newest, hour)
    assert window_values([(T0, 9.0), (newest, 1.0)], hour) == ((newest, 1.0),)


def test_a_recovery_threshold_on_the_unsafe_side_is_not_safe() -> None:
    assert safe_recovery("above", 100.0, 100.0) and not safe_recovery("above", 100.0, 100.5)
    assert safe_recovery("below", 100.0, 120.0) and not safe_recovery("below", 100.0, 99.0)
