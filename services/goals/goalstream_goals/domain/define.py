"""Decisions on a goal's definition: set, revise, archive, plan, and a ladder rung's unlock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from goalstream_contracts.base import Payload
from goalstream_contracts.common import Milestone
from goalstream_contracts.events import GoalArchived, GoalPlanned, GoalRevised, GoalSet
from goalstream_goals.domain.durations import parse_duration
from goalstream_goals.domain.errors import DomainError
from goalstream_goals.domain.goal import Goal
from goalstream_goals.domain.status import milestone_hits, status_events, then
from goalstream_rules.anti import safe_recovery
from goalstream_rules.errors import RuleError
from goalstream_rules.plan import backward_milestones, checkpoint_milestones
from goalstream_rules.recount import recounts
from goalstream_rules.status import Tolerances

HARD_ONLY = ("target", "deadline", "rollup")
ANTI_ONLY = ("comparator", "threshold", "recovery_threshold", "window", "severity", "guards")
FIXED = ("kind", "goal_id", "ladder_id", "rung_index")
REQUIRED = ("title", "weight", "start_at")  # every goal has them once set (a later rung's start_at comes with unlock)


def validate(d: GoalSet) -> None:
    """Every rule a goal definition must satisfy, whether new or revised."""
    if d.weight <= 0:
        raise DomainError("weight must be greater than 0", "weight")
    if d.checkin_every is not None:
        parse_duration(d.checkin_every, "checkin_every")
    if d.kind == "hard":
        _validate_hard(d)
    else:
        _validate_anti(d)


def _validate_hard(d: GoalSet) -> None:
    for name in ANTI_ONLY:
        if getattr(d, name) is not None:
            raise DomainError(f"{name} applies only to anti-goals", name)
    if d.target is None:
        raise DomainError("a hard goal needs a target (a weighted_mean or worst parent may leave it out)", "target")
    if d.deadline is None:
        raise DomainError("a hard goal needs a deadline", "deadline")
    if d.target == (d.baseline or 0.0):
        raise DomainError("target must differ from baseline", "target")
    if d.start_at is not None and d.deadline <= d.start_at:
        raise DomainError("deadline must be after start_at", "deadline")


def _validate_anti(d: GoalSet) -> None:
    for name in HARD_ONLY:
        if getattr(d, name) is not None:
            raise DomainError(f"{name} does not apply to an anti-goal", name)
    if d.metric is None:
        raise DomainError("an anti-goal needs a metric", "metric")
    if d.comparator is None:
        raise DomainError("an anti-goal needs a comparator (above or below)", "comparator")
    if d.threshold is None:
        raise DomainError("an anti-goal needs a threshold", "threshold")
    recovery = d.recovery_threshold
    if recovery is not None and not safe_recovery(d.comparator, d.threshold, recovery):
        side = "at or below" if d.comparator == "above" else "at or above"
        raise DomainError(f"recovery_threshold must be {side} the threshold", "recovery_threshold")
    if d.window is not None:
        parse_duration(d.window, "window")


def decide_set(definition: GoalSet, now: datetime, tolerances: Tolerances) -> list[Payload]:
    """Events that set a new goal: GoalSet, then (for an active hard goal) its first status."""
    if definition.kind == "hard" and definition.start_at is None and definition.ladder_id is None:
        raise DomainError("a hard goal needs start_at", "start_at")
    if _target_implied(definition):
        definition = definition.model_copy(update={"target": FULL_PROGRESS})
    if definition.kind == "anti":
        definition = definition.model_copy(
            update={
                "severity": definition.severity or "warning",
                "recovery_threshold": definition.recovery_threshold
                if definition.recovery_threshold is not None
                else definition.threshold,
            }
        )
    validate(definition)
    goal = Goal(definition=definition, version=1)
    return [definition, *status_events(goal, now, tolerances)]


FULL_PROGRESS = 1.0  # the target a weighted_mean or worst parent is given when none is sent


def _target_implied(d: GoalSet) -> bool:
    """A weighted_mean or worst parent's progress is its children's, a fraction: it is achieved at 1 (all done),
    so its target may be left out. A sum parent adds up values, and a measured goal has values of its own: they
    need one."""
    return d.kind == "hard" and d.metric is None and d.rollup in ("weighted_mean", "worst") and d.target is None


def decide_revise(goal: Goal, changes: dict[str, Any], now: datetime, tolerances: Tolerances) -> list[Payload]:
    """GoalRevised with the fields that really change (none: no event), then any status it moves."""
    if goal.archived:
        raise DomainError("an archived goal cannot be revised", None, "archived")
    for name, value in changes.items():
        if name in FIXED:
            raise DomainError(f"{name} cannot be changed", name)
        if value is None and name in REQUIRED:
            raise DomainError(f"{name} cannot be cleared", name)
        if name == "start_at" and goal.definition.ladder_id is not None:
            raise DomainError("a ladder rung starts when the rung before it is achieved", name)
    probe = GoalRevised(goal_id=goal.goal_id, changed=tuple(changes), **changes)  # typed values
    values = {n: getattr(probe, n) for n in changes}
    changed = tuple(sorted(n for n, v in values.items() if getattr(goal.definition, n) != v))
    if not changed:
        return []
    revised = goal.definition.model_copy(update={n: values[n] for n in changed})
    try:
        checked = GoalSet.model_validate(revised.model_dump())
    except ValidationError as exc:
        location = exc.errors()[0]["loc"]
        raise DomainError(exc.errors()[0]["msg"], str(location[0]) if location else None) from exc
    validate(checked)
    event = GoalRevised(goal_id=goal.goal_id, changed=changed, **{n: values[n] for n in changed})
    if recounts(changed):
        # The count starts again: the status waits for the kept values (`decide_recounted`), or it would report
        # the empty count in between (a goal on track told "off track", then "on track" again).
        return [event]
    # A new target (or baseline) the value already meets achieves the goal now, if the deadline has not passed.
    return [event, *_own_status(then(goal, [event]), now, tolerances, observed_at=now)]


def decide_recounted(goal: Goal, now: datetime, tolerances: Tolerances) -> list[Payload]:
    """The status of a goal revised onto what counts (`goalstream_rules.recount`) once the service has refolded
    the values kept for its new definition: each refolded value was decided as a live one (achieving the goal at
    its observed time), so this reports only what they left undecided, such as a band when none was refolded."""
    return _own_status(goal, now, tolerances, observed_at=now)


def decide_archive(goal: Goal, reason: str | None) -> list[Payload]:
    """Archiving is idempotent: an archived goal stays archived with no new event."""
    return [] if goal.archived else [GoalArchived(goal_id=goal.goal_id, reason=reason)]


def decide_plan(
    goal: Goal,
    now: datetime,
    tolerances: Tolerances,
    *,
    milestones: int | None = None,
    checkpoints: Sequence[tuple[datetime, float]] = (),
) -> list[Payload]:
    """GoalPlanned, any milestone already reached, and the status against the planned curve."""
    d = goal.definition
    if d.kind != "hard":
        raise DomainError("only a hard goal can be planned", "kind")
    if goal.archived:
        raise DomainError("an archived goal cannot be planned", None, "archived")
    if d.start_at is None or d.deadline is None or d.target is None:
        raise DomainError("a locked ladder rung cannot be planned until it starts", "goal_id")
    if (milestones is None) == (not checkpoints):
        raise DomainError("give either milestones (a number) or checkpoints", "milestones")
    try:
        steps = (
            backward_milestones(d.start_at, d.deadline, goal.baseline, d.target, milestones)
            if milestones is not None
            else checkpoint_milestones(d.start_at, d.deadline, goal.baseline, d.target, checkpoints)
        )
    except RuleError as exc:
        raise DomainError(str(exc), exc.field) from exc
    plan = tuple(Milestone(index=s.index, due=s.due, target=s.target, fraction=s.fraction) for s in steps)
    planned = GoalPlanned(goal_id=goal.goal_id, milestones=plan)
    after = then(goal, [planned])
    hits = milestone_hits(after, now) if goal.current is not None else []
    after = then(after, hits)
    return [planned, *hits, *_own_status(after, now, tolerances)]


def _own_status(
    goal: Goal, now: datetime, tolerances: Tolerances, observed_at: datetime | None = None
) -> list[Payload]:
    """The status a goal's own numbers give it. A rolled-up parent has none: its status follows its children's rollup
    (decide_rollup, which the service runs after every change to the parent); judged here it would read 0 progress."""
    return [] if goal.definition.metric is None else status_events(goal, now, tolerances, observed_at=observed_at)


def decide_unlock(goal: Goal, unlocked_at: datetime, now: datetime, tolerances: Tolerances) -> list[Payload]:
    """A locked rung starts at the observed time of the measurement that achieved the rung before it."""
    if not goal.locked or goal.archived:
        return []  # an archived rung stays archived: nothing follows GoalArchived
    event = GoalRevised(goal_id=goal.goal_id, changed=("start_at",), start_at=unlocked_at)
    return [event, *status_events(then(goal, [event]), now, tolerances)]
