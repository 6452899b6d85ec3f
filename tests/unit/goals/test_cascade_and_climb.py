"""The session's decisions as values: which parent rolls up next (deepest first), a parent's rollup, a ladder's step."""

from __future__ import annotations

import uuid

from goalstream_contracts.events import LadderRungUnlocked
from goalstream_goals.domain.ladder import decide_ladder, fold_ladder
from goalstream_goals.service_layer import cascade, climb
from goalstream_goals.service_layer.tree import _depth
from goalstream_rules.rollup import Child
from tests.unit.goals.builders import DAY, T0, TOL, rolled_up_parent


def test_the_deepest_marked_parent_goes_first_and_keeps_its_latest_observation_and_cause() -> None:
    marks, first, last = cascade.Marks(), uuid.uuid4(), uuid.uuid4()
    marks.mark("top", T0, None)
    marks.mark("mid", T0 + DAY, first)
    marks.mark("other-mid", T0, None)
    marks.mark("mid", T0, last)  # an older observation: the mark keeps the newer one, and the last cause
    depths = {"top": 0, "mid": 1, "other-mid": 1}
    taken = marks.take_deepest(depths)
    assert (taken.goal_id, taken.observed_at, taken.cause) == ("mid", T0 + DAY, last)
    assert marks.take_deepest(depths).goal_id == "other-mid"  # equals: the first marked
    assert marks.take_deepest(depths).goal_id == "top"
    assert not marks


def test_a_parent_rolls_up_from_its_children_rows_without_reading() -> None:
    parent = rolled_up_parent("sum")
    children = [Child(1.0, 0.5, 30.0, 0.0, None), Child(1.0, 0.1, 12.0, 0.0, None)]
    rollup = cascade.decide_parent(parent, children, T0 + DAY, TOL, T0 + DAY)
    assert rollup.numbers.current == 42.0
    assert cascade.rolls_up(parent)


def test_depths_count_the_stored_ancestors_and_a_repeated_id_ends_the_walk() -> None:
    parents: dict[str, str | None] = {"leaf": "team", "team": "dept", "dept": "org", "org": None}
    assert [_depth(g, parents) for g in ("leaf", "team", "dept", "org")] == [3, 2, 1, 0]
    assert _depth("orphan", {"orphan": "gone"}) == 0  # a parent without a row is not counted
    assert _depth("a", {"a": "b", "b": "a"}) == 1  # a corrupt cycle cannot loop


def test_achieving_the_current_rung_decides_the_next_rungs_unlock_as_a_value() -> None:
    ladder = fold_ladder(decide_ladder("L", "climb", None, [("r1", "one"), ("r2", "two"), ("r3", "three")]))
    assert ladder is not None
    achieved = climb.Achieved("L", "r1", T0 + DAY, uuid.uuid4())
    step = climb.decide_climb(ladder, achieved)
    assert step is not None and step.following == "r2" and step.ladder.current_rung == 2
    (unlocked,) = step.events
    assert isinstance(unlocked, LadderRungUnlocked) and unlocked.unlocked_at == T0 + DAY
    assert ladder.current_rung == 1  # the ladder it was given is left as it was
    assert climb.decide_climb(step.ladder, achieved) is None  # r1 is no longer the current rung
