"""Cascade rollups (DESIGN §2 "Cascading"): weighted_mean, sum and worst parents, subtree counts by status,
open anti-goal breaches, and archived goals leaving the tree; all built from goal events in memory."""

from __future__ import annotations

import pytest

from goalstream_contracts.events import GoalAchieved, GoalMissed
from goalstream_tracking.domain.node import GoalNode
from goalstream_tracking.domain.rollup import own_breaches, roll_up, roll_up_all
from tests.unit.tracking.builders import (
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


def rolled(*events: object) -> dict[str, GoalNode]:
    return roll_up_all(fold(events))  # type: ignore[arg-type]


# -- weighted_mean -----------------------------------------------------------------------------------------------


def test_weighted_mean_of_clamped_children() -> None:
    nodes = rolled(
        parent("P"),
        hard("A", parent_id="P", weight=3, target=100),
        hard("B", parent_id="P", weight=1, target=100),
        hard("C", parent_id="P", weight=2, baseline=50, target=100),
        measured("A", 150),  # progress 1.5, feeds the parent as 1
        measured("B", -40),  # -0.4, feeds as 0
        measured("C", 75),  # 0.5
    )
    assert nodes["A"].progress == 1.5 and nodes["A"].rollup_value == 1.0  # shown raw, fed clamped
    assert nodes["B"].progress == -0.4 and nodes["B"].rollup_value == 0.0
    assert nodes["P"].progress == pytest.approx((3 * 1 + 1 * 0 + 2 * 0.5) / 6)
    assert nodes["P"].rollup_value == nodes["P"].progress and nodes["P"].rollup_current is None
    assert nodes["P"].rolled_from == (("A", 3.0, 1.0), ("B", 1.0, 0.0), ("C", 2.0, 0.5))


def test_weighted_mean_is_the_default_and_nests() -> None:
    nodes = rolled(
        hard("G", metric=None, target=1),  # no rollup named: weighted_mean
        parent("D1", parent_id="G", weight=1),
        parent("D2", parent_id="G", weight=3),
        hard("T1", parent_id="D1", target=10),
        hard("T2", parent_id="D2", target=10),
        measured("T1", 2),
        measured("T2", 14),
    )
    assert nodes["D1"].progress == pytest.approx(0.2) and nodes["D2"].progress == 1.0
    assert nodes["G"].progress == pytest.approx((0.2 + 3 * 1.0) / 4)


def test_a_clamped_parent_feeds_its_own_parent_clamped() -> None:
    nodes = rolled(
        parent("G"),
        parent("S", "sum", parent_id="G", target=100),
        hard("L", parent_id="S", target=100),
        hard("M", parent_id="G", target=100),
        measured("L", 250),
        measured("M", 50),
    )
    assert nodes["S"].progress == 2.5 and nodes["S"].rollup_value == 1.0
    assert nodes["G"].progress == pytest.approx(0.75)


def test_a_leaf_without_measurements_feeds_zero() -> None:
    nodes = rolled(parent("P"), hard("A", parent_id="P"), hard("B", parent_id="P"), measured("B", 100))
    assert nodes["A"].progress == 0.0 and nodes["P"].progress == 0.5


# -- sum ---------------------------------------------------------------------------------------------------------


def test_sum_parent_current_is_its_childrens_and_progress_its_own() -> None:
    nodes = rolled(
        parent("D2", "sum", baseline=100, target=600),
        hard("T3", parent_id="D2", weight=5, target=400),
        hard("T4", parent_id="D2", weight=1, target=200),
        measured("T3", 200),
        measured("T4", 150),
    )
    d2 = nodes["D2"]
    assert d2.rollup_current == 350  # weights play no part in a sum
    assert d2.progress == pytest.approx((350 - 100) / (600 - 100)) and d2.rollup_value == d2.progress
    assert d2.rolled_from == (("T3", 5.0, 200.0), ("T4", 1.0, 150.0))


def test_sum_under_sum_adds_the_nested_total() -> None:
    nodes = rolled(
        parent("G", "sum", target=1000),
        parent("S", "sum", parent_id="G", target=500),
        hard("A", parent_id="S", target=300),
        hard("B", parent_id="S", target=200),
        hard("C", parent_id="G", target=500),
        measured("A", 120),
        measured("B", 80),
        measured("C", 300),
    )
    assert nodes["S"].rollup_current == 200 and nodes["S"].progress == pytest.approx(0.4)
    assert nodes["G"].rollup_current == 500 and nodes["G"].progress == pytest.approx(0.5)


def test_sum_progress_is_raw_beyond_the_target() -> None:
    nodes = rolled(
        parent("S", "sum", target=100),
        hard("A", parent_id="S", target=100),
        hard("B", parent_id="S", target=100),
        measured("A", 90),
        measured("B", 60),
    )
    assert nodes["S"].rollup_current == 150 and nodes["S"].progress == 1.5 and nodes["S"].rollup_value == 1.0


# -- worst -------------------------------------------------------------------------------------------------------


def test_worst_progress_is_the_weighted_mean_and_status_its_own() -> None:
    nodes = rolled(
        parent("W", "worst"),
        hard("A", parent_id="W", weight=1, target=10),
        hard("B", parent_id="W", weight=3, target=10),
        measured("A", 2),
        measured("B", 6),
        status("A", "off_track"),
        status("B", "on_track"),
        status("W", "off_track"),  # the goals service names the worst child's status
    )
    assert nodes["W"].progress == pytest.approx((0.2 + 3 * 0.6) / 4)
    assert nodes["W"].status == "off_track"
    assert nodes["W"].counts == {"off_track": 2, "on_track": 1}


# -- counts ------------------------------------------------------------------------------------------------------


def test_counts_by_status_cover_the_subtree_including_the_node() -> None:
    nodes = rolled(
        parent("G"),
        parent("D", parent_id="G"),
        hard("A", parent_id="D"),
        hard("B", parent_id="D"),
        hard("C", parent_id="G"),
        hard("N", parent_id="G"),  # no status yet: not counted
        anti("X", parent_id="D"),  # anti-goals are not counted
        status("G", "at_risk"),
        status("D", "on_track"),
        status("A", "on_track"),
        status("B", "off_track"),
        status("C", "missed"),
        status("X", "on_track"),
    )
    assert nodes["A"].counts == {"on_track": 1}
    assert nodes["N"].counts == {}
    assert nodes["D"].counts == {"on_track": 2, "off_track": 1}
    assert nodes["G"].counts == {"on_track": 2, "off_track": 1, "missed": 1, "at_risk": 1}
    assert nodes["X"].counts == {}


def test_achieved_and_missed_goals_are_counted_as_such() -> None:
    nodes = rolled(
        parent("G"),
        hard("A", parent_id="G"),
        hard("B", parent_id="G"),
        status("A", "on_track"),
        GoalAchieved(goal_id="A", value=100, target=100, progress=1.0, achieved_at=T0),
        GoalMissed(goal_id="B", target=100, deadline=T0),
    )
    assert nodes["G"].counts == {"achieved": 1, "missed": 1}


# -- open breaches -----------------------------------------------------------------------------------------------


def _breach_tree(*more: object) -> dict[str, GoalNode]:
    return rolled(
        parent("G"),
        parent("D1", parent_id="G"),
        parent("D2", parent_id="G"),
        hard("T1", parent_id="D1"),
        hard("T3", parent_id="D2"),
        *more,
    )


def test_an_open_breach_counts_on_the_guarded_goal_and_every_ancestor() -> None:
    nodes = _breach_tree(anti("A1", guards="T3", parent_id="D1"), breached("A1", guards="T3"))
    assert {g: nodes[g].open_breaches for g in ("T3", "D2", "G", "D1", "T1")} == {
        "T3": 1,
        "D2": 1,
        "G": 1,
        "D1": 0,  # the guarded goal wins over the anti-goal's parent
        "T1": 0,
    }


def test_an_open_breach_without_a_guarded_goal_counts_on_the_anti_goals_parent() -> None:
    nodes = _breach_tree(anti("A2", parent_id="D1"), breached("A2"))
    assert {g: nodes[g].open_breaches for g in ("D1", "G", "D2", "T1")} == {"D1": 1, "G": 1, "D2": 0, "T1": 0}
    assert nodes["A2"].open_breaches == 0  # not on itself


def test_open_breaches_add_up() -> None:
    nodes = _breach_tree(
        anti("A1", guards="T3"),
        anti("A2", guards="T1"),
        anti("A3", guards="T3"),
        anti("A4", parent_id="G"),
        breached("A1"),
        breached("A2"),
        breached("A3"),
        breached("A4"),
    )
    assert {g: nodes[g].open_breaches for g in ("T3", "T1", "D1", "D2", "G")} == {
        "T3": 2,
        "T1": 1,
        "D1": 1,
        "D2": 2,
        "G": 4,
    }


def test_recovered_archived_and_unattached_anti_goals_count_nowhere() -> None:
    nodes = _breach_tree(
        anti("R", guards="T3"),
        anti("Z", guards="T3"),
        anti("U"),
        breached("R"),
        recovered("R"),
        breached("Z"),
        archived("Z"),
        breached("U"),
    )
    assert all(n.open_breaches == 0 for n in nodes.values())
    assert own_breaches(nodes.values()) == {}


def test_own_breaches_per_target() -> None:
    nodes = fold([anti("A1", guards="T3"), anti("A2", parent_id="D1"), anti("A3"), breached("A1"), breached("A2")])
    assert own_breaches(nodes.values()) == {"T3": 1, "D1": 1}


# -- archived goals leave the tree -------------------------------------------------------------------------------


def test_archived_children_leave_weighted_means_sums_counts_and_breaches() -> None:
    nodes = rolled(
        parent("G"),
        parent("S", "sum", parent_id="G", target=100),
        hard("A", parent_id="S", target=100),
        hard("B", parent_id="S", target=100),
        parent("W", parent_id="G"),
        hard("C", parent_id="W", target=10),
        hard("D", parent_id="W", target=10),
        hard("E", parent_id="D", target=10),  # under an archived goal
        anti("X", guards="E"),
        measured("A", 30),
        measured("B", 50),
        measured("C", 5),
        measured("D", 10),
        status("B", "on_track"),
        status("D", "on_track"),
        status("E", "on_track"),
        breached("X"),
        archived("B"),
        archived("D"),
    )
    assert nodes["S"].rollup_current == 30 and nodes["S"].progress == pytest.approx(0.3)
    assert nodes["S"].rolled_from == (("A", 1.0, 30.0),) and nodes["S"].counts == {}
    assert nodes["W"].progress == pytest.approx(0.5) and nodes["W"].counts == {}
    assert nodes["W"].open_breaches == 0 and nodes["G"].open_breaches == 0
    assert nodes["G"].progress == pytest.approx((0.3 + 0.5) / 2)


def test_roll_up_uses_only_in_tree_hard_children() -> None:
    nodes = fold(
        [
            parent("P"),
            hard("A", parent_id="P", target=10),
            hard("B", parent_id="P", target=10),
            anti("X", parent_id="P"),
            measured("A", 4),
            measured("B", 10),
            archived("B"),
        ]
    )
    kids = [roll_up(nodes[c], [], 0) for c in ("A", "B", "X")]
    p = roll_up(nodes["P"], kids, own_breaches=2)
    assert p.progress == pytest.approx(0.4) and p.rolled_from == (("A", 1.0, 0.4),)
    assert p.open_breaches == 2
