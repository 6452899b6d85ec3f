"""The marketing-quarter scenario (tests/data/scenarios/marketing-quarter.json) folded in memory from the goal
events the goals service would publish: the cascade numbers and open breaches it lists."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from goalstream_contracts.base import Payload
from goalstream_contracts.common import Metric
from goalstream_contracts.events import GoalSet, MeasurementRecorded
from goalstream_tracking.domain.node import GoalNode
from goalstream_tracking.domain.rollup import roll_up_all
from tests.support.scenario import SCENARIOS_DIR, TOLERANCE, resolve_time
from tests.unit.tracking.builders import T0, breached, fold, recovered, status

SCENARIO: dict[str, Any] = json.loads((SCENARIOS_DIR / "marketing-quarter.json").read_text())
GOALS = {g["ref"]: g for g in SCENARIO["goals"]}
NOW = T0
DEFINED = ("title", "level", "weight", "rollup", "baseline", "target", "comparator", "threshold", "severity")


def goal_sets() -> Iterator[GoalSet]:
    for g in SCENARIO["goals"]:
        fields: dict[str, Any] = {k: g[k] for k in DEFINED if k in g}
        fields |= {k: resolve_time(g[k], NOW) for k in ("start_at", "deadline") if k in g}
        if "metric" in g:
            fields["metric"] = Metric(**g["metric"])
        if "parent" in g:
            fields["parent_id"] = g["parent"]
        if "guards" in g:
            fields["guards"] = g["guards"]
        yield GoalSet(goal_id=g["ref"], kind=g["kind"], **fields)


def measurements(step: dict[str, Any]) -> Iterator[MeasurementRecorded]:
    """What the goals service publishes for a step: each bound goal's current value after each measurement."""
    currents: dict[str, float] = {}
    last_seen: dict[str, datetime] = {}
    for i, m in enumerate(step["measure"]):
        observed = resolve_time(m["observed_at"], NOW)
        for ref, g in GOALS.items():
            if g.get("metric", {}).get("key") != m["metric"]:
                continue
            if g["metric"]["aggregation"] == "sum":
                counted = observed >= resolve_time(g["start_at"], NOW)
                current = currents.get(ref, 0.0) + (m["value"] if counted else 0.0)
            else:
                counted = observed >= last_seen.get(ref, observed)
                current = m["value"] if counted else currents[ref]
                last_seen[ref] = max(observed, last_seen.get(ref, observed))
            currents[ref] = current
            yield MeasurementRecorded(
                goal_id=ref,
                measurement_id=f"{ref}-{i}",
                metric=m["metric"],
                value=m["value"],
                observed_at=observed,
                recorded_at=NOW,
                counted=counted,
                current_value=current,
            )


def after(*events: Payload) -> dict[str, GoalNode]:
    return roll_up_all(fold([*goal_sets(), *events]))


def test_the_cascade_numbers_after_the_first_step() -> None:
    step = SCENARIO["steps"][0]
    statuses = [status(ref, s) for ref, s in step["expect"]["status"].items()]
    nodes = after(*measurements(step), *statuses)
    for ref, expected in step["expect"]["progress"].items():
        assert nodes[ref].progress == pytest.approx(expected, abs=TOLERANCE), ref
    for ref, expected in step["expect"]["current"].items():
        assert nodes[ref].rollup_current == pytest.approx(expected, abs=TOLERANCE), ref
    # Worked numbers of the scenario's notes, exactly.
    assert [nodes[t].progress for t in ("T1", "T2", "T3", "T4")] == [0.5, 0.5, 0.5, 0.75]
    assert nodes["D1"].progress == 0.5
    assert nodes["D2"].rollup_current == 350 and nodes["D2"].progress == pytest.approx(350 / 600)
    assert nodes["G0"].progress == pytest.approx(0.5625)
    (d1, w1, v1), (d2, w2, v2) = nodes["G0"].rolled_from
    assert (d1, w1, v1, d2, w2) == ("D1", 1.0, 0.5, "D2", 3.0) and v2 == pytest.approx(350 / 600)
    assert nodes["D2"].rolled_from == (("T3", 1.0, 200.0), ("T4", 1.0, 150.0))
    assert nodes["G0"].counts == {"on_track": 4} and nodes["D1"].counts == {"on_track": 2}
    assert all(n.open_breaches == 0 for n in nodes.values())


def test_an_open_breach_of_a1_counts_on_t3_d2_and_g0_not_d1() -> None:
    first, second, third = SCENARIO["steps"]
    events = [*measurements(first), *measurements(second), breached("A1", 0.007, guards="T3")]
    nodes = after(*events)
    assert {ref: nodes[ref].open_breaches for ref in second["expect"]["open_breaches"]} == {
        ref: n for ref, n in second["expect"]["open_breaches"].items()
    }
    assert {ref: nodes[ref].open_breaches for ref in ("T3", "D2", "G0", "D1", "T1", "T2", "T4")} == {
        "T3": 1,
        "D2": 1,
        "G0": 1,
        "D1": 0,
        "T1": 0,
        "T2": 0,
        "T4": 0,
    }
    assert nodes["A1"].breached and nodes["A1"].current == 0.007

    nodes = after(*events, *measurements(third), recovered("A1", 0.003))
    assert all(n.open_breaches == 0 for n in nodes.values())
    assert nodes["G0"].progress == pytest.approx(0.5625)  # the anti-goal never moves progress
