"""The scenario loader (tests/support/scenario.py): times, refs, steps and expectations, without services."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from goalstream_contracts import events
from goalstream_contracts.cloudevents import to_kafka
from goalstream_contracts.envelope import Envelope
from tests.support.scenario import (
    SCENARIOS_DIR,
    Check,
    EventLog,
    Expectation,
    GoalSpec,
    LadderSpec,
    MeasurementSpec,
    PlanSpec,
    Refs,
    Scenario,
    ScenarioError,
    resolve_time,
    resolve_times,
)

NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def minimal(**overrides: Any) -> dict[str, Any]:
    """A small valid scenario: a parent, two children (one listed before the parent), an anti-goal, a ladder."""
    data: dict[str, Any] = {
        "about": "unit",
        "goals": [
            {"ref": "C1", "parent": "P", "title": "child 1", "metric": {"key": "a", "aggregation": "sum"},
             "target": 10, "start_at": "-10d", "deadline": "+10d"},
            {"ref": "P", "title": "parent", "target": 1, "start_at": "-10d", "deadline": "+10d"},
            {"ref": "C2", "parent": "P", "weight": 2, "title": "child 2", "metric": {"key": "b"},
             "target": 5, "start_at": "-1d", "deadline": "+1d"},
            {"ref": "X", "kind": "anti", "title": "anti", "metric": {"key": "c"}, "comparator": "above",
             "threshold": 1, "guards": "C1"},
        ],
        "plans": [{"goal": "C1", "milestones": 2}],
        "ladders": [
            {"ref": "L", "title": "ladder", "rungs": [
                {"ref": "R1", "title": "r1", "kind": "hard", "metric": {"key": "d"}, "target": 1,
                 "start_at": "-1d", "deadline": "+2d"},
                {"ref": "R2", "title": "r2", "metric": {"key": "d"}, "target": 2, "deadline": "+3d"},
            ]},
        ],
        "steps": [
            {"measure": [{"metric": "a", "value": 3, "observed_at": "-2d"},
                         {"metric": "b", "value": 1.5, "observed_at": "-0d", "goal": "C2", "source": "crm"}],
             "expect": {"progress": {"C1": 0.3, "P": 0.25}, "events": {"MilestoneHit": {"C1": 0}}}},
            {"measure": [{"metric": "c", "value": 2, "observed_at": "+0h"}],
             "expect": {"events": {"AntiGoalBreached": {"X": 1}, "MilestoneHit": {"C1": 1}},
                        "ladder_progress": {"L": 0}, "open_breaches": {"P": 1}}},
            {"measure": [], "expect": {"events": {"AntiGoalRecovered": {"X": 1}}, "status": {"C1": "on_track"}}},
        ],
    }  # fmt: skip
    data.update(overrides)
    return data


# --- time ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("-45d", -timedelta(days=45)),
        ("+45d", timedelta(days=45)),
        ("-0d", timedelta(0)),
        ("+0d", timedelta(0)),
        ("+2h", timedelta(hours=2)),
        ("-30m", -timedelta(minutes=30)),
        ("+90s", timedelta(seconds=90)),
        ("+1w", timedelta(weeks=1)),
        ("-1d12h", -timedelta(days=1, hours=12)),
        ("+1.5d", timedelta(days=1, hours=12)),
        ("now", timedelta(0)),
        (" -3d ", -timedelta(days=3)),
    ],
)
def test_relative_times_resolve_against_now(text: str, delta: timedelta) -> None:
    resolved = resolve_time(text, NOW)
    assert resolved == NOW + delta
    assert resolved.tzinfo is not None


def test_minus_zero_is_exactly_now() -> None:
    assert resolve_time("-0d", NOW) == NOW == resolve_time("+0h", NOW)


def test_relative_times_keep_the_zone_of_now() -> None:
    cet = timezone(timedelta(hours=1))
    now = datetime(2026, 4, 1, 13, 0, tzinfo=cet)
    resolved = resolve_time("+2h", now)
    assert resolved.utcoffset() == timedelta(hours=1)
    assert resolved == datetime(2026, 4, 1, 14, 0, tzinfo=UTC)


def test_absolute_times_with_a_zone_pass_through() -> None:
    assert resolve_time("2026-01-01T00:00:00+00:00", NOW) == datetime(2026, 1, 1, tzinfo=UTC)
    assert resolve_time("2026-01-01T00:00:00Z", NOW) == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("text", ["45d", "-45", "-45y", "--1d", "+d", "yesterday", "", "2026-01-01T00:00:00"])
def test_malformed_or_naive_times_are_rejected(text: str) -> None:
    with pytest.raises(ScenarioError):
        resolve_time(text, NOW)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        resolve_time("-1d", datetime(2026, 4, 1, 12, 0))


def test_time_fields_resolve_wherever_they_are_nested() -> None:
    resolved = resolve_times(
        {"start_at": "-1d", "title": "-1d", "checkpoints": [{"due": "+1d", "target": 3}], "checkin_every": "P7D"},
        NOW,
    )
    assert resolved == {
        "start_at": (NOW - timedelta(days=1)).isoformat(),
        "title": "-1d",  # not a time field: left alone
        "checkpoints": [{"due": (NOW + timedelta(days=1)).isoformat(), "target": 3}],
        "checkin_every": "P7D",
    }


# --- refs ------------------------------------------------------------------------------------------


def test_refs_resolve_by_kind() -> None:
    refs = Refs()
    refs.bind("G", "goal", "goal-1")
    refs.bind("L", "ladder", "ladder-1")
    assert refs.goal_id("G") == "goal-1" and refs.ladder_id("L") == "ladder-1"
    assert refs.id("G") == "goal-1" and refs.id("L") == "ladder-1"
    assert refs.ref_of("ladder-1") == "L" and refs.ref_of("nope") is None
    assert refs.goal_ids() == {"G": "goal-1"}
    assert refs.by_id() == {"goal-1": "G", "ladder-1": "L"}
    with pytest.raises(KeyError, match="not a bound ladder"):
        refs.ladder_id("G")
    with pytest.raises(KeyError, match="not a bound goal"):
        refs.goal_id("L")
    with pytest.raises(KeyError, match="not bound"):
        refs.id("missing")
    with pytest.raises(ScenarioError, match="twice"):
        refs.bind("G", "goal", "goal-2")


def test_a_goal_request_replaces_refs_with_ids_and_resolves_times() -> None:
    refs = Refs()
    refs.bind("P", "goal", "goal-p")
    refs.bind("C1", "goal", "goal-c1")
    scenario = Scenario.from_dict(minimal())
    by_ref = {g.ref: g for g in scenario.goals}

    child = by_ref["C1"].request(NOW, refs)
    assert child == {
        "kind": "hard",
        "title": "child 1",
        "metric": {"key": "a", "aggregation": "sum"},
        "target": 10,
        "start_at": (NOW - timedelta(days=10)).isoformat(),
        "deadline": (NOW + timedelta(days=10)).isoformat(),
        "parent_id": "goal-p",
    }
    anti = by_ref["X"].request(NOW, refs)
    assert anti["kind"] == "anti" and anti["guards"] == "goal-c1"
    assert "ref" not in anti and "parent" not in anti
    assert by_ref["P"].request(NOW, refs)["kind"] == "hard"  # the default kind is explicit


def test_a_goal_request_needs_its_refs_bound_first() -> None:
    spec = GoalSpec.parse({"ref": "C", "parent": "P", "title": "c", "target": 1, "deadline": "+1d"}, "goals[0]")
    with pytest.raises(KeyError, match="'P'"):
        spec.request(NOW, Refs())


def test_goals_are_created_parents_and_guarded_goals_first() -> None:
    order = [g.ref for g in Scenario.from_dict(minimal()).creation_order()]
    assert sorted(order) == ["C1", "C2", "P", "X"]
    assert order.index("P") < order.index("C1") and order.index("P") < order.index("C2")
    assert order.index("C1") < order.index("X")


def test_a_ladder_request_carries_its_rungs_in_order_without_refs() -> None:
    ladder = Scenario.from_dict(minimal()).ladders[0]
    body = ladder.request(NOW)
    assert body["title"] == "ladder" and "owner" not in body
    assert [r["title"] for r in body["rungs"]] == ["r1", "r2"]
    assert all("ref" not in r and "kind" not in r for r in body["rungs"])
    assert body["rungs"][0]["start_at"] == (NOW - timedelta(days=1)).isoformat()
    assert body["rungs"][1]["deadline"] == (NOW + timedelta(days=3)).isoformat()
    assert [r.ref for r in ladder.rungs] == ["R1", "R2"]


def test_a_rung_must_be_a_hard_goal() -> None:
    with pytest.raises(ScenarioError, match="hard goal"):
        LadderSpec.parse({"ref": "L", "title": "l", "rungs": [{"ref": "R", "kind": "anti"}]}, "ladders[0]")


def test_plans_take_milestones_or_checkpoints() -> None:
    assert PlanSpec.parse({"goal": "G", "milestones": 3}, "p").request(NOW) == {"milestones": 3}
    plan = PlanSpec.parse({"goal": "G", "checkpoints": [{"due": "+5d", "target": 4}]}, "p")
    assert plan.request(NOW) == {"checkpoints": [{"due": (NOW + timedelta(days=5)).isoformat(), "target": 4}]}
    with pytest.raises(ScenarioError, match="exactly one"):
        PlanSpec.parse({"goal": "G"}, "p")
    with pytest.raises(ScenarioError, match="exactly one"):
        PlanSpec.parse({"goal": "G", "milestones": 2, "checkpoints": []}, "p")
    with pytest.raises(ScenarioError, match="integer"):
        PlanSpec.parse({"goal": "G", "milestones": "3"}, "p")


# --- steps and expectations -------------------------------------------------------------------------


def test_steps_keep_their_measurements_in_order() -> None:
    scenario = Scenario.from_dict(minimal())
    assert [s.index for s in scenario.steps] == [1, 2, 3]
    first = scenario.steps[0]
    assert [(m.metric, m.value, m.observed_at) for m in first.measurements] == [("a", 3.0, "-2d"), ("b", 1.5, "-0d")]
    assert scenario.steps[2].measurements == ()


def test_a_measurement_request_resolves_time_goal_ref_and_keeps_other_fields() -> None:
    refs = Refs()
    refs.bind("C2", "goal", "goal-c2")
    spec = Scenario.from_dict(minimal()).steps[0].measurements[1]
    assert spec.request(NOW, refs, "run:s1m1") == {
        "id": "run:s1m1",
        "metric": "b",
        "value": 1.5,
        "observed_at": NOW.isoformat(),
        "source": "crm",
        "goal_id": "goal-c2",
    }


def test_a_measurement_needs_a_numeric_value() -> None:
    with pytest.raises(ScenarioError, match="number"):
        MeasurementSpec.parse({"metric": "a", "value": "3", "observed_at": "-1d"}, "m")
    with pytest.raises(ScenarioError, match="number"):
        MeasurementSpec.parse({"metric": "a", "value": True, "observed_at": "-1d"}, "m")
    with pytest.raises(ScenarioError, match="observed_at"):
        MeasurementSpec.parse({"metric": "a", "value": 1}, "m")


def test_expectations_parse_into_typed_tables() -> None:
    steps = Scenario.from_dict(minimal()).steps
    first, second, third = (s.expect for s in steps)
    assert first.progress == {"C1": 0.3, "P": 0.25}
    assert first.events == {"MilestoneHit": {"C1": 0}}
    assert first.present() == {Check.PROGRESS, Check.EVENTS}
    assert second.ladder_progress == {"L": 0.0} and second.open_breaches == {"P": 1}
    assert second.present() == {Check.EVENTS, Check.LADDER_PROGRESS, Check.OPEN_BREACHES}
    assert third.status == {"C1": "on_track"}
    assert Expectation.parse({}, "e").present() == frozenset()


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        ({"progres": {"C1": 1}}, "unknown expectations"),
        ({"events": {"GoalAchieve": {"C1": 1}}}, "unknown event type"),
        ({"events": {"GoalAchieved": {"C1": -1}}}, "non-negative integer"),
        ({"events": {"GoalAchieved": {"C1": 1.5}}}, "non-negative integer"),
        ({"progress": {"C1": "half"}}, "number"),
        ({"open_breaches": {"C1": True}}, "non-negative integer"),
    ],
)
def test_malformed_expectations_are_rejected(expect: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        Expectation.parse(expect, "steps[0].expect")


def mutated(path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(minimal())
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (mutated(["goals", 0, "parent"], "NOPE"), "unknown ref 'NOPE'"),
        (mutated(["goals", 3, "guards"], "L"), "unknown ref 'L'"),  # a ladder is not a goal
        (mutated(["goals", 1, "parent"], "C1"), "cycle"),
        (mutated(["goals", 2, "ref"], "C1"), "more than once"),
        (mutated(["ladders", 0, "rungs", 0, "ref"], "P"), "more than once"),
        (mutated(["plans", 0, "goal"], "Q"), "unknown ref 'Q'"),
        (mutated(["steps", 0, "measure", 1, "goal"], "Q"), "unknown ref 'Q'"),
        (mutated(["steps", 0, "expect", "progress", "L"], 1), "unknown ref 'L'"),  # a ladder has no goal progress
        (mutated(["steps", 1, "expect", "ladder_progress", "P"], 1), "unknown ref 'P'"),
        (mutated(["steps", 1, "expect", "events", "LadderRungUnlocked"], {"Z": 1}), "unknown ref 'Z'"),
        (mutated(["steps", 0, "wait"], "1d"), "unknown keys"),
        (mutated(["colour"], "red"), "unknown keys"),
        (mutated(["goals"], {"ref": "G"}), "expected a list"),
        ({**minimal(), "goals": [{"title": "no ref"}]}, "missing 'ref'"),
    ],
)
def test_scenarios_with_bad_refs_or_keys_are_rejected(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        Scenario.from_dict(data)


def test_event_refs_may_name_goals_rungs_and_ladders() -> None:
    data = mutated(["steps", 2, "expect", "events"], {"GoalAchieved": {"R1": 1}, "LadderRungUnlocked": {"L": 1}})
    assert Scenario.from_dict(data).steps[2].expect.events["LadderRungUnlocked"] == {"L": 1}


def test_final_event_counts_take_the_last_mention_and_default_to_zero_for_every_ref() -> None:
    scenario = Scenario.from_dict(minimal())
    totals = scenario.final_event_counts(["MilestoneHit", "AntiGoalBreached", "AntiGoalRecovered", "GoalMissed"])
    refs = ["C1", "P", "C2", "X", "R1", "R2", "L"]
    assert set(totals) == {"MilestoneHit", "AntiGoalBreached", "AntiGoalRecovered", "GoalMissed"}
    assert all(sorted(per_ref) == sorted(refs) for per_ref in totals.values())
    assert totals["MilestoneHit"]["C1"] == 1  # step 1 said 0, step 2 said 1: cumulative, the last one counts
    assert totals["AntiGoalBreached"]["X"] == 1 and totals["AntiGoalRecovered"]["X"] == 1
    assert sum(totals["GoalMissed"].values()) == 0
    assert sum(n for per_ref in totals.values() for n in per_ref.values()) == 3
    assert "GoalSet" not in totals  # only the types asked for


def test_scenario_refs_list_goals_then_rungs_then_ladders() -> None:
    scenario = Scenario.from_dict(minimal())
    assert scenario.goal_refs() == ["C1", "P", "C2", "X", "R1", "R2"]
    assert scenario.ladder_refs() == ["L"]


# --- the shared scenario files ---------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SCENARIOS_DIR.glob("*.json")), ids=lambda p: Path(p).stem)
def test_every_shared_scenario_loads(path: Path) -> None:
    scenario = Scenario.load(path)
    assert scenario.name == path.stem and scenario.steps
    for goal in scenario.creation_order():
        goal.request(NOW, _bound(scenario))
    for step in scenario.steps:
        for i, m in enumerate(step.measurements):
            assert resolve_time(m.observed_at, NOW).tzinfo is not None, (step.index, i)


def test_a_scenario_loads_by_name_from_the_shared_folder() -> None:
    files = sorted(SCENARIOS_DIR.glob("*.json"))
    if not files:
        pytest.fail(f"no scenario files under {SCENARIOS_DIR}")
    assert Scenario.load(files[0].name).name == files[0].stem


def test_the_marketing_quarter_scenario_is_read_as_written() -> None:
    scenario = Scenario.load(SCENARIOS_DIR / "marketing-quarter.json")
    assert scenario.org == "acme" and scenario.notes
    order = [g.ref for g in scenario.creation_order()]
    assert order.index("G0") < order.index("D1") < order.index("T1")
    assert order.index("D2") < order.index("T3") < order.index("A1")
    assert [(p.goal, p.milestones) for p in scenario.plans] == [("T3", 3)]
    assert [r.ref for r in scenario.ladders[0].rungs] == ["R1", "R2"]
    first = scenario.steps[0]
    assert len(first.measurements) == 7 and first.measurements[-1].metric == "email.unsubscribe_rate"
    assert first.expect.progress["D2"] == pytest.approx(350 / 600, abs=1e-6)
    assert first.expect.present() == {Check.PROGRESS, Check.CURRENT, Check.STATUS, Check.EVENTS}
    assert Check.OPEN_BREACHES in scenario.steps[1].expect.present()
    assert scenario.steps[2].expect.ladder_progress == {"L1": 0.5}


def _bound(scenario: Scenario) -> Refs:
    refs = Refs()
    for ref in scenario.goal_refs():
        refs.bind(ref, "goal", f"id-{ref}")
    for ref in scenario.ladder_refs():
        refs.bind(ref, "ladder", f"id-{ref}")
    return refs


# --- the topic's records ---------------------------------------------------------------------------


def _record(org_id: str, goal_id: str = "goal-1") -> tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]:
    envelope = Envelope[events.GoalArchived].new(
        events.GoalArchived(goal_id=goal_id),
        org_id=org_id,
        stream_id=goal_id,
        stream_version=1,
        occurred_at=NOW,
        correlation_id=uuid.uuid4(),
        source="/goalstream/goals",
    )
    record = to_kafka(envelope)
    return record.key, record.value, list(record.headers)


def test_the_event_log_keeps_one_organisation_and_counts_by_type_and_subject() -> None:
    log = EventLog("unused:9092", "org-a")
    log.add(*_record("org-a", "goal-1"))
    log.add(*_record("org-a", "goal-1"))
    log.add(*_record("org-a", "goal-2"))
    log.add(*_record("org-b", "goal-1"))  # another organisation on the shared topic
    log.add(None, b"{}", None)  # not a goalstream record at all
    assert len(log.events) == 3
    assert log.count("GoalArchived", "goal-1") == 2 and log.count("GoalArchived", "goal-2") == 1
    assert log.count("GoalSet", "goal-1") == 0
    assert len(log.event_ids()) == 3
    assert log.problems() == []


def test_the_event_log_names_records_that_break_the_binding() -> None:
    log = EventLog("unused:9092", "org-a")
    key, value, headers = _record("org-a")
    log.add(b"org-b", value, headers)  # wrong key
    log.add(key, value, [(k, v) for k, v in headers if k != "ce_time"])
    log.add(key, value, [(k, b"text/plain" if k == "content-type" else v) for k, v in headers])
    log.add(key, value, [(k, b"other-goal" if k == "ce_subject" else v) for k, v in headers])
    problems = "\n".join(log.problems())
    assert "is not the organisation id" in problems
    assert "missing headers ['ce_time']" in problems
    assert "content-type 'text/plain'" in problems
    assert "ce_subject 'other-goal'" in problems
