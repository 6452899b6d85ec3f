"""Planning a goal (DESIGN §2): GoalPlanned, milestones already reached, and refusals that name the field.

The milestones' numbers (due times, targets, fractions) are the rules' own: tests/unit/rules/test_plan.py.
"""

from __future__ import annotations

import pytest

from goalstream_contracts.events import GoalPlanned, MilestoneHit
from goalstream_goals.domain.define import decide_plan
from goalstream_goals.domain.errors import DomainError
from tests.unit.goals.builders import DAY, T0, TOL, hard_goal, measure, of_type


def test_planning_emits_goal_planned_and_hits_milestones_already_reached() -> None:
    now = T0 + 40 * DAY
    goal = hard_goal(aggregation="sum", start_at=T0, deadline=T0 + 90 * DAY, target=300.0)
    goal, _ = measure(goal, 150.0, T0 + 35 * DAY, now)
    events = decide_plan(goal, now, TOL, milestones=3)
    planned = of_type(events, GoalPlanned)
    assert len(planned) == 1 and [m.target for m in planned[0].milestones] == [100.0, 200.0, 300.0]
    hits = of_type(events, MilestoneHit)
    assert [(h.milestone_index, h.late) for h in hits] == [(1, True)]  # due day 30, noticed on day 40


def test_a_plan_needs_exactly_one_of_milestones_or_checkpoints() -> None:
    goal = hard_goal()
    for kwargs in ({}, {"milestones": 2, "checkpoints": [(T0 + DAY, 10.0)]}):
        with pytest.raises(DomainError):
            decide_plan(goal, T0, TOL, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"milestones": 0}, "milestones"), ({"checkpoints": [(T0 + 100 * DAY, 50.0)]}, "checkpoints")],
)
def test_a_plan_the_rules_refuse_is_a_domain_error_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(DomainError) as refused:
        decide_plan(hard_goal(), T0, TOL, **kwargs)  # type: ignore[arg-type]
    assert refused.value.field == field
