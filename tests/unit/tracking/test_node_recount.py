"""A revision of what counts (goalstream_rules.recount): tracking forgets the value it showed, as goals does, and
shows the values goals refolds after it; other revisions keep it."""

from __future__ import annotations

import pytest

from goalstream_contracts.common import Metric
from goalstream_contracts.events import GoalMissed, GoalRevised
from goalstream_rules.recount import RECOUNT_FIELDS
from tests.unit.tracking.builders import DAY, T0, anti, breached, fold, hard, measured, status

REVISIONS: dict[str, dict[str, object]] = {
    "metric": {"metric": Metric(key="kpi.other", aggregation="sum")},
    "start_at": {"start_at": T0 - 10 * DAY},
    "window": {"window": "PT1H"},
}


def test_every_recount_field_has_a_case() -> None:
    assert set(REVISIONS) == RECOUNT_FIELDS


@pytest.mark.parametrize("name", ["metric", "start_at"])
def test_a_recount_revision_resets_a_hard_goals_current_source_and_progress(name: str) -> None:
    revised = GoalRevised(goal_id="g", changed=(name,), **REVISIONS[name])  # type: ignore[arg-type]
    nodes = fold([hard("g"), measured("g", 40.0), status("g", "on_track"), revised])
    node = nodes["g"]
    assert (node.current, node.source, node.own_progress) == (None, None, 0.0)  # as goals shows an empty count
    assert node.status == "on_track"  # a fact that happened: goals decides the status after its refold


def test_the_refolded_values_after_the_revision_are_shown() -> None:
    revised = GoalRevised(goal_id="g", changed=("metric",), metric=Metric(key="kpi.other"))
    again = measured("g", 25.0, metric="kpi.other", measurement_id="other-1")
    node = fold([hard("g"), measured("g", 40.0), revised, again])["g"]
    assert (node.current, node.own_progress) == (25.0, 0.25)
    assert node.source is not None and node.source["measurement_id"] == "other-1"


def test_a_window_revision_resets_an_anti_goals_value_but_not_its_open_breach() -> None:
    revised = GoalRevised(goal_id="a", changed=("window",), window="PT1H")
    node = fold([anti("a", window="P1D"), breached("a", 0.009), revised])["a"]
    assert (node.current, node.breached, len(node.episodes)) == (None, True, 1)


@pytest.mark.parametrize(
    "revised",
    [
        GoalRevised(goal_id="g", changed=("title",), title="renamed"),
        GoalRevised(goal_id="g", changed=("target",), target=80.0),
        GoalRevised(goal_id="g", changed=("deadline",), deadline=T0 + 90 * DAY),
    ],
)
def test_other_revisions_keep_the_value(revised: GoalRevised) -> None:
    node = fold([hard("g"), measured("g", 40.0), revised])["g"]
    assert node.current == 40.0 and node.source is not None


def test_a_new_deadline_clears_missed_even_while_the_status_stays_missed() -> None:
    """A `worst` parent shows its missed child's status; its own deadline extended, it is no longer missed itself
    (goalstream_rules.status.missed_after_revision, which goals' evolve follows too)."""
    missed = GoalMissed(goal_id="p", value=None, target=100.0, progress=0.0, deadline=T0)
    extended = GoalRevised(goal_id="p", changed=("deadline",), deadline=T0 + 30 * DAY)
    node = fold([hard("p", metric=None, rollup="worst"), status("p", "missed"), missed, extended])["p"]
    assert (node.missed, node.status) == (False, "missed")
    retitled = GoalRevised(goal_id="p", changed=("title",), title="other")
    assert fold([hard("p", metric=None, rollup="worst"), missed, retitled])["p"].missed
