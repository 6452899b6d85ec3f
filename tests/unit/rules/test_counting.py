"""Which observed values a goal counts: a counter's from start_at, a later rung's strictly after its unlock."""

from __future__ import annotations

from datetime import timedelta

from goalstream_rules.counting import Since, counts_since
from tests.unit.rules.helpers import T0

SECOND = timedelta(seconds=1)


def test_a_counter_counts_from_its_start_and_a_later_rung_only_after_its_unlock() -> None:
    counter = counts_since("sum", T0, later_rung=False)
    assert counter == Since(T0) and counter.admits(T0) and not counter.admits(T0 - SECOND)
    rung = counts_since("latest", T0, later_rung=True)
    assert rung == Since(T0, strictly=True) and not rung.admits(T0) and rung.admits(T0 + SECOND)
    assert counts_since("sum", T0, later_rung=True) == rung  # the unlock's bound is strict whatever the aggregation


def test_a_gauge_has_no_start() -> None:
    gauge = counts_since("latest", T0, later_rung=False)
    assert gauge == Since() and gauge.admits(T0 - timedelta(days=3650))
