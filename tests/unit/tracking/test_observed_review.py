"""Review of `as_of_mode=observed` (issue 20): a ladder's rungs show when they were unlocked in observed mode as
they do in recorded mode (a rung above the bottom one is unlocked at its `start_at`, the observed time of the
value that achieved the rung below); a rung still locked then shows none."""

from __future__ import annotations

from goalstream_contracts.common import LadderRung
from goalstream_contracts.events import LadderSet
from goalstream_tracking.domain.observed import observed
from tests.unit.tracking.builders import DAY, ORG, T0, hard, measured

NOW = T0 + 60 * DAY


def test_a_rung_unlocked_by_then_shows_when_and_a_locked_one_shows_none() -> None:
    rungs = tuple(LadderRung(index=i, goal_id=f"r{i}", title=f"r{i}") for i in (1, 2, 3))
    log = [
        (LadderSet(ladder_id="l", title="l", rungs=rungs), T0),
        (hard("r1", ladder_id="l", rung_index=1, start_at=T0, deadline=T0 + 30 * DAY), T0),
        (hard("r2", ladder_id="l", rung_index=2, start_at=T0 + 10 * DAY, deadline=T0 + 30 * DAY), NOW),
        (hard("r3", ladder_id="l", rung_index=3, start_at=None, deadline=T0 + 40 * DAY), T0),
        (measured("r1", 100.0, value=100.0, observed_at=T0 + 10 * DAY, measurement_id="a"), NOW),
    ]
    ladder = observed(log, ORG, T0 + 12 * DAY)[1]["l"]
    assert [ladder.unlocked_at(i) for i in (1, 2, 3)] == [T0, T0 + 10 * DAY, None]
    assert observed(log, ORG, T0 + 9 * DAY)[1]["l"].unlocked_at(2) is None
