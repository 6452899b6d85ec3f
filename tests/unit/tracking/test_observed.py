"""`as_of_mode=observed` (issue 20): the organisation as it stood at a time by the measurements' observed time."""

from __future__ import annotations

from datetime import datetime

from goalstream_contracts.base import Payload
from goalstream_contracts.common import LadderRung, Metric, Milestone
from goalstream_contracts.events import GoalArchived, GoalPlanned, GoalRevised, LadderSet
from goalstream_tracking.domain.observed import observed
from tests.unit.tracking.builders import DAY, ORG, T0, anti, hard, measured, parent

NOW = T0 + 60 * DAY  # every event below is recorded now: an import of history into goals created today
START, DEADLINE = T0, T0 + 30 * DAY


def _log(*events: Payload) -> list[tuple[Payload, datetime]]:
    return [(e, NOW) for e in events]


def _value(goal_id: str, value: float, day: int, n: int = 0) -> Payload:
    return measured(goal_id, -1.0, value=value, observed_at=T0 + day * DAY, measurement_id=f"m{day}.{n}")


def _counter() -> list[Payload]:
    plan = (
        Milestone(index=1, due=T0 + 10 * DAY, target=25.0, fraction=0.25),
        Milestone(index=2, due=T0 + 20 * DAY, target=50.0, fraction=0.5),
    )
    return [
        hard("g", metric=Metric(key="k", aggregation="sum"), start_at=START, deadline=DEADLINE),
        GoalPlanned(goal_id="g", milestones=plan),
    ]


def test_values_imported_out_of_order_are_summed_in_observed_order_up_to_then() -> None:
    log = _log(*_counter(), _value("g", 40.0, 22), _value("g", 30.0, 5))
    nodes, _ = observed(log, ORG, T0 + 12 * DAY)
    g = nodes["g"]
    assert g.current == 30.0 and g.own_progress == 0.3  # the value of day 22 was not observed yet
    assert g.source is not None and g.source["measurement_id"] == "m5.0"
    hit, pending = g.milestones
    assert (hit.state, hit.at, hit.late) == ("hit", T0 + 5 * DAY, False)
    assert pending.state == "pending"


def test_milestones_are_hit_late_or_missed_by_then_and_the_status_is_worked_out_then() -> None:
    log = _log(*_counter(), _value("g", 30.0, 12))
    first, second = observed(log, ORG, T0 + 21 * DAY)[0]["g"].milestones
    assert (first.state, first.late) == ("hit", True) and (second.state, second.at) == ("missed", T0 + 20 * DAY)
    # Expected through the plan: 0.225 on day 9 (nothing yet), 0.35 on day 14 and 0.75 on day 25 (0.3 since day 12).
    assert observed(log, ORG, T0 + 9 * DAY)[0]["g"].status == "at_risk"
    assert observed(log, ORG, T0 + 14 * DAY)[0]["g"].status == "on_track"
    assert observed(log, ORG, T0 + 25 * DAY)[0]["g"].status == "off_track"


def test_a_goal_is_achieved_by_a_value_observed_by_its_deadline_and_missed_after_it_without() -> None:
    log = _log(hard("g", start_at=START, deadline=DEADLINE), _value("g", 100.0, 20))
    assert observed(log, ORG, T0 + 19 * DAY)[0]["g"].status != "achieved"
    after = observed(log, ORG, T0 + 20 * DAY)[0]["g"]
    assert (after.status, after.achieved) == ("achieved", True)
    late = _log(hard("g", start_at=START, deadline=DEADLINE), _value("g", 100.0, 31))
    missed = observed(late, ORG, T0 + 40 * DAY)[0]["g"]
    assert (missed.status, missed.missed, missed.achieved) == ("missed", True, False)


def test_a_late_gauge_value_does_not_replace_a_newer_one() -> None:
    log = _log(hard("g"), _value("g", 70.0, 8), _value("g", 20.0, 3))
    assert observed(log, ORG, T0 + 9 * DAY)[0]["g"].current == 70.0
    assert observed(log, ORG, T0 + 4 * DAY)[0]["g"].current == 20.0


def test_breach_episodes_then_and_the_parent_counts_the_open_one() -> None:
    log = _log(
        parent("p", start_at=START, deadline=DEADLINE),
        anti("a", parent_id="p", threshold=10.0, recovery_threshold=5.0),
        _value("a", 12.0, 2),
        _value("a", 4.0, 6),
    )
    during, p = (observed(log, ORG, T0 + 3 * DAY)[0][k] for k in ("a", "p"))
    assert during.breached and during.episodes[0].breached_at == T0 + 2 * DAY and p.open_breaches == 1
    after = observed(log, ORG, T0 + 7 * DAY)[0]
    assert not after["a"].breached and after["a"].episodes[0].recovered_at == T0 + 6 * DAY
    assert after["p"].open_breaches == 0


def test_a_parent_rolls_up_its_children_then_and_is_judged_then() -> None:
    log = _log(
        parent("p", start_at=START, deadline=DEADLINE),
        hard("c1", parent_id="p", start_at=START, deadline=DEADLINE),
        hard("c2", parent_id="p", start_at=START, deadline=DEADLINE),
        _value("c1", 100.0, 4),
        _value("c2", 100.0, 25),
    )
    nodes, _ = observed(log, ORG, T0 + 5 * DAY)
    assert nodes["p"].progress == 0.5 and nodes["p"].status == "on_track"
    assert nodes["p"].counts == {"on_track": 1, "achieved": 1, "at_risk": 1}
    assert observed(log, ORG, T0 + 26 * DAY)[0]["p"].status == "achieved"


def test_definitions_known_now_apply_and_an_archive_only_from_when_it_was_recorded() -> None:
    log = [
        *_log(hard("g", start_at=START, deadline=DEADLINE), _value("g", 50.0, 2)),
        (GoalRevised(goal_id="g", target=200.0, changed=("target",)), NOW),  # a correction applies to then too
        (GoalArchived(goal_id="g"), T0 + 10 * DAY),
    ]
    before = observed(log, ORG, T0 + 5 * DAY)[0]["g"]
    assert before.own_progress == 0.25 and before.in_tree
    assert not observed(log, ORG, T0 + 11 * DAY)[0]["g"].in_tree


def test_a_rung_unlocked_after_then_was_locked_then() -> None:
    rungs = (LadderRung(index=1, goal_id="r1", title="r1"), LadderRung(index=2, goal_id="r2", title="r2"))
    log = _log(
        LadderSet(ladder_id="l", title="l", rungs=rungs),
        hard("r1", ladder_id="l", rung_index=1, start_at=START, deadline=DEADLINE),
        hard("r2", ladder_id="l", rung_index=2, start_at=T0 + 10 * DAY, deadline=DEADLINE),
        _value("r1", 100.0, 10),
        _value("r2", 30.0, 12),
    )
    nodes, ladders = observed(log, ORG, T0 + 9 * DAY)
    assert nodes["r2"].locked and ladders["l"].current_rung == 1 and nodes["r2"].current is None
    nodes, ladders = observed(log, ORG, T0 + 12 * DAY)
    assert not nodes["r2"].locked and ladders["l"].current_rung == 2 and nodes["r2"].current == 30.0
