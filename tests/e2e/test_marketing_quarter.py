"""The marketing-quarter scenario (tests/data/scenarios/marketing-quarter.json), end to end on the goals service.

Cascading goals with weights and a sum rollup, an anti-goal guarding email leads, a backward plan and
a ladder, created over HTTP on the real services; three batches of measurements; after each, once the
system has settled, the goals service's numbers and the events read back from Kafka must be those the
scenario lists.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.e2e.conftest import Platform
from tests.support.scenario import SCENARIOS_DIR, Check, Scenario, ScenarioRunner, counts_summary

pytestmark = pytest.mark.e2e

SCENARIO = SCENARIOS_DIR / "marketing-quarter.json"

# `open_breaches` is a read model of the tracking service (anti-goal health rolled up the goal tree),
# a later issue; the goals service has no view of it. This test asserts everything else the scenario
# lists, and leaves open_breaches to the tracking service's run of the same file.
GOALS_SERVICE_CHECKS = frozenset(Check) - {Check.OPEN_BREACHES}

# The event types that must not appear beyond what the scenario says ("none unexpected").
OUTCOME_EVENTS = (
    "MilestoneHit",
    "MilestoneMissed",
    "AntiGoalBreached",
    "AntiGoalRecovered",
    "LadderRungUnlocked",
    "GoalMissed",
    "GoalAchieved",
)


async def test_marketing_quarter(platform: Platform) -> None:
    scenario = Scenario.load(SCENARIO)
    now = datetime.now(UTC)  # every relative time of the file resolves against this one instant
    runner = ScenarioRunner(
        scenario,
        now=now,
        goals_url=platform.goals.url,
        headers=platform.auth,
        kafka_bootstrap=platform.kafka_bootstrap,
        org_id=platform.org_id,
        checks=GOALS_SERVICE_CHECKS,
        settle_timeout=30,
    )
    try:
        async with runner:
            await runner.run()

            # None unexpected: per ref, exactly what the scenario says, and 0 where it says nothing ...
            totals = scenario.final_event_counts(OUTCOME_EVENTS)
            # ... except GoalAchieved, which the file implies without listing it: the 12 posts of step 3
            # achieve rung R1 (target 10), which is what unlocks R2 (LadderRungUnlocked L1 = 1). Exactly once.
            totals["GoalAchieved"]["R1"] = 1
            await runner.check_event_totals(totals)

            # Every record of this organisation follows the CloudEvents Kafka binding, keyed by the org.
            assert runner.log.events, "no records of this organisation on the topic"
            assert runner.log.problems() == []
            assert {e.headers["ce_specversion"] for e in runner.log.events} == {"1.0"}
            assert {e.headers["content-type"] for e in runner.log.events} == {"application/json"}
            assert {e.key for e in runner.log.events} == {platform.org_id.encode()}

            # What this test deliberately left unasserted, as a record of the choice above.
            assert {check for _, check in runner.skipped} <= {Check.OPEN_BREACHES}
    except AssertionError as exc:
        seen = counts_summary(runner.log, runner.refs, OUTCOME_EVENTS) if runner.refs.by_id() else {}
        raise AssertionError(
            f"{exc}\n--- refs: {runner.refs.by_id()}\n--- outcome events on the topic: {seen}"
            f"\n--- goals service log ({platform.goals.log_path}), tail:\n{platform.goals.logs()[-6000:]}"
        ) from exc
