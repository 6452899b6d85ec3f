"""What `GET /v1/goals/{goal_id}` shows of a goal's numbers when it has none yet (issue 18, item 11).

A hard goal with no value yet stands at its baseline and has made no progress: 0, as tracking shows it
(docs/design.md, "Progress"). Only an anti-goal has no progress at all. A rolled-up goal whose tree row is not
there to read (no numbers reached the record) is such a goal, not an unknown.
"""

from __future__ import annotations

from goalstream_contracts.events import GoalSet
from goalstream_goals.domain.define import decide_set
from goalstream_goals.domain.goal import fold
from goalstream_goals.entrypoints.views import GoalView
from goalstream_goals.service_layer.goals import GoalRecord, record_of
from tests.unit.goals.builders import DAY, T0, TOL, anti_goal, hard_goal


def test_a_rolled_up_goal_without_numbers_yet_shows_no_progress_as_zero() -> None:
    definition = GoalSet(goal_id="p", kind="hard", title="parent", target=1, start_at=T0, deadline=T0 + 30 * DAY)
    parent = fold(decide_set(definition, T0, TOL))
    assert parent is not None
    view = GoalView.of(record_of(parent, None))  # no tree row read
    assert view.progress == 0.0
    assert view.current_value is None  # no value: nothing to show as its value


def test_a_measured_goal_without_a_value_shows_zero_and_an_anti_goal_shows_none() -> None:
    assert GoalView.of(record_of(hard_goal(), None)).progress == 0.0
    assert GoalView.of(GoalRecord(hard_goal(), None, None)).progress == 0.0
    assert GoalView.of(record_of(anti_goal(comparator="above", threshold=3), None)).progress is None
