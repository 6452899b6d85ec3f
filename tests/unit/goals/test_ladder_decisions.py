"""Ladders (DESIGN §2): rung unlocks at the achieving time, the number of rungs, and what a later rung counts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goalstream_contracts.common import Metric
from goalstream_contracts.events import GoalRevised, GoalSet, LadderRungUnlocked, LadderSet, MeasurementRecorded
from goalstream_goals.domain.define import decide_set, decide_unlock
from goalstream_goals.domain.errors import DomainError
from goalstream_goals.domain.goal import fold
from goalstream_goals.domain.ladder import (
    check_rung_deadlines,
    decide_ladder,
    decide_rung_achieved,
    evolve_ladder,
    fold_ladder,
)
from tests.unit.goals.builders import DAY, T0, TOL, US, measure, of_type, then


@given(
    rungs=st.integers(1, 8),
    claims=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 1000)), max_size=20),
)
def test_achieving_the_current_rung_unlocks_the_next_at_the_achieving_time(
    rungs: int, claims: list[tuple[int, int]]
) -> None:
    ladder = fold_ladder(decide_ladder("L", "climb", None, [(f"r{i}", f"rung {i}") for i in range(1, rungs + 1)]))
    assert ladder is not None and ladder.current_rung == 1
    current = 1  # reference pointer
    for rung, hour in claims:  # "goal r<rung> was achieved at <hour>", for current rungs, others and unknown ids
        at = T0 + hour * DAY / 24
        events = decide_rung_achieved(ladder, f"r{rung}", at)
        if rung == current and current < rungs:
            (unlocked,) = events
            assert isinstance(unlocked, LadderRungUnlocked)
            assert (unlocked.rung_index, unlocked.goal_id, unlocked.unlocked_at) == (current + 1, f"r{current + 1}", at)
            assert unlocked.previous_goal_id == f"r{current}"
            current += 1
        else:
            assert events == []  # not the current rung, or the top rung
        for event in events:
            ladder = evolve_ladder(ladder, event)
        assert ladder.current_rung == current


@pytest.mark.parametrize("count", [0, 51])
def test_a_ladder_needs_one_to_fifty_rungs(count: int) -> None:
    with pytest.raises(DomainError) as refused:
        decide_ladder("L", "t", None, [(f"r{i}", "t") for i in range(count)])
    assert refused.value.field == "rungs"
    assert isinstance(decide_ladder("L", "t", None, [("r1", "t")])[0], LadderSet)


def test_a_later_rung_counts_only_what_is_observed_after_it_unlocks() -> None:
    rung = GoalSet(
        goal_id="r2",
        kind="hard",
        title="second rung",
        metric=Metric(key="k", aggregation="latest"),
        target=10.0,
        deadline=T0 + 90 * DAY,
        ladder_id="L",
        rung_index=2,
    )
    goal = fold(decide_set(rung, T0, TOL))
    assert goal is not None and goal.locked and not goal.active
    assert measure(goal, 5.0, T0 + DAY, T0 + DAY)[1] == []  # locked: ignored
    unlocked_at = T0 + 10 * DAY
    events = decide_unlock(goal, unlocked_at, unlocked_at + DAY, TOL)
    assert isinstance(events[0], GoalRevised) and events[0].start_at == unlocked_at
    goal = then(goal, events)
    goal, recorded = measure(goal, 7.0, unlocked_at, unlocked_at + DAY, "at")
    assert of_type(recorded, MeasurementRecorded)[0].counted is False and goal.current is None
    goal, recorded = measure(goal, 7.0, unlocked_at + US, unlocked_at + DAY, "after")
    assert of_type(recorded, MeasurementRecorded)[0].counted is True and goal.current == 7.0


def test_rung_deadlines_may_repeat_but_never_go_back() -> None:
    check_rung_deadlines([T0, T0, None, T0 + DAY])  # the same deadline twice is in order; a missing one is skipped
    with pytest.raises(DomainError) as refused:
        check_rung_deadlines([T0, T0 + 2 * DAY, T0 + DAY])
    assert refused.value.field == "rungs.2.deadline"
