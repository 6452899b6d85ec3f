"""A goal's status, achieved and missed after its lifecycle events: one rule (`goalstream_rules.lifecycle`), folded
alike by goals' aggregate (`evolve`) and tracking's read model (`evolve_node`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goalstream_contracts.base import Payload
from goalstream_contracts.common import GoalStatus
from goalstream_contracts.events import GoalAchieved, GoalMissed, GoalSet, GoalStatusChanged
from goalstream_goals.domain.goal import evolve
from goalstream_rules.lifecycle import Lifecycle, lifecycle_after
from goalstream_tracking.domain.node import evolve_node

T0 = datetime(2026, 4, 1, tzinfo=UTC)
STATUSES: tuple[GoalStatus, ...] = ("on_track", "at_risk", "off_track", "achieved", "missed")
SET = GoalSet(goal_id="g", kind="hard", title="g", target=10.0, start_at=T0, deadline=T0 + timedelta(days=30))


def _event(kind: str, status: GoalStatus) -> Payload:
    if kind == "achieved":
        return GoalAchieved(goal_id="g", value=10.0, target=10.0, progress=1.0, achieved_at=T0)
    if kind == "missed":
        return GoalMissed(goal_id="g", target=10.0, deadline=T0)
    return GoalStatusChanged(goal_id="g", status=status)


events = st.lists(
    st.builds(_event, st.sampled_from(["achieved", "missed", "status"]), st.sampled_from(STATUSES)), max_size=8
)


@given(events)
def test_goals_and_tracking_fold_lifecycle_events_alike(stream: list[Payload]) -> None:
    goal = evolve(None, SET)
    node = evolve_node(None, SET, T0, "acme")
    for k, event in enumerate(stream):
        goal = evolve(goal, event)
        node = evolve_node(node, event, T0 + timedelta(seconds=k + 1), "acme")
        assert (goal.status, goal.achieved, goal.missed) == (node.status, node.achieved, node.missed)


def test_achieved_clears_missed_and_a_status_off_missed_clears_it_too() -> None:
    missed = lifecycle_after(Lifecycle("off_track", False, False), "GoalMissed")
    assert missed == Lifecycle("missed", achieved=False, missed=True)
    assert lifecycle_after(missed, "GoalStatusChanged", "missed").missed  # still missed while the status says so
    assert not lifecycle_after(missed, "GoalStatusChanged", "on_track").missed  # a later deadline: live again
    assert lifecycle_after(missed, "GoalAchieved") == Lifecycle("achieved", True, False)
    assert lifecycle_after(Lifecycle("achieved", True, False), "GoalMissed").achieved  # achieved is for good


def test_any_other_event_is_refused() -> None:
    with pytest.raises(ValueError, match=r"GoalSet .* is not a lifecycle event"):
        lifecycle_after(Lifecycle(None, False, False), "GoalSet")
