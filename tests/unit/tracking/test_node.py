"""`evolve_node`: each goal event folded into the goal's node as tracking keeps it (DESIGN §2, §3)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from goalstream_contracts.common import Metric, Milestone
from goalstream_contracts.events import (
    GoalAchieved,
    GoalMissed,
    GoalPlanned,
    GoalRevised,
    MilestoneHit,
    MilestoneMissed,
)
from goalstream_tracking.domain.node import Episode, GoalNode, MilestoneState, evolve_node
from tests.unit.tracking.builders import (
    DAY,
    ORG,
    T0,
    anti,
    archived,
    breached,
    fold,
    hard,
    measured,
    parent,
    recovered,
    status,
)


def one(*events: object) -> GoalNode:
    nodes = fold(events)  # type: ignore[arg-type]
    assert len(nodes) == 1
    return next(iter(nodes.values()))


# -- GoalSet -----------------------------------------------------------------------------------------------------


def test_goal_set_starts_a_node_at_its_baseline() -> None:
    node = evolve_node(None, hard("T1", parent_id="D1", weight=2, baseline=10_000, target=15_000), T0, ORG)
    assert (node.goal_id, node.org_id, node.kind, node.title) == ("T1", ORG, "hard", "T1")
    assert (node.version, node.event_time) == (1, T0)
    assert node.parent_id == "D1" and node.definition["weight"] == 2
    assert node.definition["metric"] == {"key": "kpi.T1", "aggregation": "latest"}
    assert node.current is None and node.own_progress == 0.0  # no value yet: at the baseline
    assert node.status is None and not (node.achieved or node.missed or node.archived)
    assert node.in_tree


def test_goal_set_keeps_only_the_fields_given() -> None:
    node = evolve_node(None, parent("G0"), T0, ORG)
    assert node.parent_id is None and "metric" not in node.definition and "parent_id" not in node.definition
    assert node.definition["rollup"] == "weighted_mean" and node.definition["weight"] == 1.0


def test_an_anti_goal_has_no_progress_and_a_breach_target() -> None:
    guarded = evolve_node(None, anti("A1", guards="T3", parent_id="D1"), T0, ORG)
    assert guarded.kind == "anti" and guarded.own_progress is None and not guarded.breached
    assert guarded.breach_target == "T3"  # the guarded goal wins over the parent
    assert evolve_node(None, anti("A2", parent_id="D1"), T0, ORG).breach_target == "D1"
    assert evolve_node(None, anti("A3"), T0, ORG).breach_target is None


def test_a_hard_goal_without_a_target_has_no_own_progress() -> None:
    assert evolve_node(None, parent("G0", target=None), T0, ORG).own_progress is None


@pytest.mark.parametrize(
    "event",
    [
        measured("X", 5),
        status("X", "on_track"),
        archived("X"),
        breached("X"),
        GoalRevised(goal_id="X", changed=("title",), title="renamed"),
    ],
)
def test_an_event_before_goal_set_is_refused(event: object) -> None:
    with pytest.raises(LookupError):
        evolve_node(None, event, T0, ORG)  # type: ignore[arg-type]


# -- measurements ------------------------------------------------------------------------------------------------


def test_a_counted_measurement_sets_current_progress_and_source() -> None:
    node = one(hard("T1", baseline=10_000, target=15_000), measured("T1", 12_500, source="crm", measurement_id="m1"))
    assert node.current == 12_500 and node.own_progress == 0.5
    assert (node.version, node.event_time) == (2, T0 + timedelta(seconds=1))
    assert node.source == {
        "kind": "measurement",
        "measurement_id": "m1",
        "source": "crm",
        "observed_at": T0.isoformat(),
        "value": 12_500,
        "comment": None,
        "confidence": None,
    }


def test_a_counter_goal_takes_the_current_value_not_the_measured_one() -> None:
    node = one(hard("T2", target=1000), measured("T2", 300, value=300), measured("T2", 500, value=200))
    assert node.current == 500 and node.own_progress == 0.5 and node.source is not None
    assert node.source["value"] == 200


def test_progress_is_raw_and_works_for_decreasing_targets() -> None:
    assert one(hard("C", baseline=100, target=50), measured("C", 75)).own_progress == 0.5
    assert one(hard("C", target=200), measured("C", 300)).own_progress == 1.5
    assert one(hard("C", baseline=10, target=20), measured("C", 5)).own_progress == -0.5


def test_a_check_in_is_named_as_one() -> None:
    node = one(hard("T1", target=10), measured("T1", 4, comment="on it", confidence=0.7))
    assert node.source is not None and node.source["kind"] == "check_in"
    assert (node.source["comment"], node.source["confidence"]) == ("on it", 0.7)


def test_an_uncounted_measurement_changes_only_the_version() -> None:
    before = one(hard("T1", target=100), measured("T1", 40, measurement_id="new"))
    late = measured("T1", 40, value=10, measurement_id="late", counted=False, observed_at=T0 - DAY)
    after = evolve_node(before, late, T0 + DAY, ORG)
    assert after.current == 40 and after.own_progress == 0.4 and after.source == before.source
    assert (after.version, after.event_time) == (before.version + 1, T0 + DAY)


# -- revisions ---------------------------------------------------------------------------------------------------


def test_a_revision_applies_only_the_fields_it_names() -> None:
    node = one(
        hard("T1", parent_id="D1", target=100, weight=2, title="old"),
        measured("T1", 40),
        GoalRevised(goal_id="T1", changed=("target",), target=80, title="not changed", weight=9),
    )
    assert node.definition["target"] == 80 and node.own_progress == 0.5  # recomputed from the current value
    assert node.title == "old" and node.definition["title"] == "old" and node.definition["weight"] == 2
    assert node.parent_id == "D1" and node.current == 40


def test_a_revision_can_rename_and_reweigh() -> None:
    node = one(hard("T1", title="old"), GoalRevised(goal_id="T1", changed=("title", "weight"), title="new", weight=3))
    assert node.title == "new" and node.definition["weight"] == 3


def test_a_revision_moves_a_goal_to_another_parent_or_makes_it_a_root() -> None:
    moved = one(hard("T1", parent_id="D1"), GoalRevised(goal_id="T1", changed=("parent_id",), parent_id="D2"))
    assert moved.parent_id == "D2"
    rooted = evolve_node(moved, GoalRevised(goal_id="T1", changed=("parent_id",)), T0 + DAY, ORG)
    assert rooted.parent_id is None and "parent_id" not in rooted.definition


def test_a_revised_metric_is_kept_as_json() -> None:
    node = one(hard("T1"), GoalRevised(goal_id="T1", changed=("metric",), metric=Metric(key="k2", aggregation="sum")))
    assert node.definition["metric"] == {"key": "k2", "aggregation": "sum"}


# -- status, achievement, archive ------------------------------------------------------------------------------


def test_status_changes_achievement_and_misses() -> None:
    node = one(hard("T1"), status("T1", "on_track"), status("T1", "at_risk", "on_track"))
    assert node.status == "at_risk" and not node.achieved
    won = evolve_node(
        node,
        GoalAchieved(goal_id="T1", value=100, target=100, progress=1.0, achieved_at=T0),
        T0 + DAY,
        ORG,
    )
    assert won.achieved and won.status == "achieved" and not won.missed
    lost = evolve_node(node, GoalMissed(goal_id="T1", target=100, deadline=T0 + 45 * DAY), T0 + 50 * DAY, ORG)
    assert lost.missed and lost.status == "missed" and not lost.achieved


def test_an_archived_goal_leaves_the_tree() -> None:
    node = one(hard("T1", parent_id="D1"), measured("T1", 30), archived("T1"))
    assert node.archived and not node.in_tree
    assert node.current == 30 and node.parent_id == "D1"  # its own numbers are kept


# -- plans and milestones ----------------------------------------------------------------------------------------


def _plan(goal_id: str) -> GoalPlanned:
    return GoalPlanned(
        goal_id=goal_id,
        milestones=tuple(
            Milestone(index=k, due=T0 + 30 * k * DAY, target=400 * k / 3, fraction=k / 3) for k in (1, 2, 3)
        ),
    )


def test_a_plan_lists_pending_milestones() -> None:
    node = one(hard("T3", target=400), _plan("T3"))
    assert node.milestones == tuple(MilestoneState(k, T0 + 30 * k * DAY, 400 * k / 3, k / 3) for k in (1, 2, 3))
    assert all(m.state == "pending" and m.at is None and not m.late for m in node.milestones)


def test_milestones_hit_and_missed() -> None:
    hit = MilestoneHit(
        goal_id="T3", milestone_index=1, due=T0 + 30 * DAY, target=133.3, value=200, hit_at=T0 + 10 * DAY, late=False
    )
    missed = MilestoneMissed(goal_id="T3", milestone_index=2, due=T0 + 60 * DAY, target=266.7, value=200)
    node = one(hard("T3", target=400), _plan("T3"), hit, missed)
    first, second, third = node.milestones
    assert (first.state, first.at, first.late) == ("hit", T0 + 10 * DAY, False)
    assert (second.state, second.at) == ("missed", T0 + 60 * DAY)
    assert third.state == "pending"


def test_a_missed_milestone_reached_later_is_hit_late_and_a_hit_one_is_never_missed() -> None:
    late_hit = MilestoneHit(
        goal_id="T3", milestone_index=1, due=T0 + 30 * DAY, target=133.3, value=140, hit_at=T0 + 31 * DAY, late=True
    )
    node = one(
        hard("T3", target=400),
        _plan("T3"),
        MilestoneMissed(goal_id="T3", milestone_index=1, due=T0 + 30 * DAY, target=133.3),
        late_hit,
        MilestoneMissed(goal_id="T3", milestone_index=1, due=T0 + 30 * DAY, target=133.3),
    )
    assert (node.milestones[0].state, node.milestones[0].late, node.milestones[0].at) == ("hit", True, T0 + 31 * DAY)


# -- anti-goal episodes ------------------------------------------------------------------------------------------


def test_breach_episodes_open_and_close() -> None:
    node = one(anti("A1", guards="T3"), measured("A1", 0.004), breached("A1", 0.009))
    assert node.breached and node.current == 0.009 and node.episodes == (Episode(T0, 0.009),)
    node = evolve_node(node, recovered("A1", 0.003, T0 + DAY), T0 + DAY, ORG)
    assert not node.breached and node.current == 0.003
    assert node.episodes == (Episode(T0, 0.009, T0 + DAY),)
    node = evolve_node(node, breached("A1", 0.02, at=T0 + 2 * DAY), T0 + 2 * DAY, ORG)
    node = evolve_node(node, recovered("A1", 0.001, T0 + 3 * DAY), T0 + 3 * DAY, ORG)
    assert node.episodes == (Episode(T0, 0.009, T0 + DAY), Episode(T0 + 2 * DAY, 0.02, T0 + 3 * DAY))
    assert node.own_progress is None


def test_a_recovery_without_an_open_episode_closes_nothing() -> None:
    node = one(anti("A1"), recovered("A1"))
    assert not node.breached and node.episodes == ()
