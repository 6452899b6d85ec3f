"""Which revisions restart a goal's count, and a goal's value as its events report it."""

from __future__ import annotations

import pytest

from goalstream_rules.progress import goal_value, value_at
from goalstream_rules.recount import RECOUNT_FIELDS, recounts


@pytest.mark.parametrize("changed", [("metric",), ("start_at",), ("window",), ("deadline", "start_at", "title")])
def test_a_revision_of_what_counts_recounts(changed: tuple[str, ...]) -> None:
    assert recounts(changed)


@pytest.mark.parametrize("changed", [(), ("title",), ("target", "baseline"), ("deadline",), ("threshold",)])
def test_other_revisions_do_not(changed: tuple[str, ...]) -> None:
    assert not recounts(changed)


def test_the_fields_that_recount() -> None:
    assert {"metric", "start_at", "window"} == RECOUNT_FIELDS  # `metric`: its key and its aggregation


def test_a_goals_value_is_its_own_else_what_its_progress_stands_for() -> None:
    assert goal_value(155.0, 0.4, 100.0, 200.0) == 155.0  # a measured goal's value, a sum parent's total
    assert goal_value(None, 0.4, 100.0, 200.0) == value_at(0.4, 100.0, 200.0) == 140.0
    assert goal_value(None, 0.5, 10.0, 6.0) == 8.0  # a decreasing target
    assert goal_value(None, 0.0, 100.0, 200.0) == 100.0  # no progress: the baseline
