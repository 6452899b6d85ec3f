"""`as_of_mode=observed` on real PostgreSQL through the projection (issue 20): the event log folded by observed time
answers for a goal recorded after the time asked about, with its values observed by then, in observed order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from goalstream_contracts.common import Metric
from goalstream_tracking.service_layer.read_models import as_observed, as_of
from tests.integration.tracking.harness import Feed
from tests.unit.tracking.builders import hard, measured

NOW = datetime.now(UTC)
DAY = timedelta(days=1)


async def test_a_goal_recorded_now_answers_by_the_observed_time_of_its_imported_values(feed: Feed) -> None:
    goal = hard("g", metric=Metric(key="k", aggregation="sum"), start_at=NOW - 40 * DAY, deadline=NOW + 20 * DAY)
    late, early = (
        measured("g", 60.0, value=40.0, observed_at=NOW - 15 * DAY, measurement_id="b", recorded_at=NOW),
        measured("g", 80.0, value=20.0, observed_at=NOW - 30 * DAY, measurement_id="a", recorded_at=NOW),
    )
    await feed.apply([(goal, NOW - DAY), (late, NOW - DAY), (early, NOW - DAY)])  # imported newest first
    then = NOW - 20 * DAY

    assert "g" not in (await as_of(feed.conn, feed.schema, feed.org_id, then)).nodes  # not known then
    found = (await as_observed(feed.conn, feed.schema, feed.org_id, then, NOW)).nodes["g"]
    assert (found.current, found.progress, found.status) == (20.0, 0.2, "at_risk")
    assert (await as_observed(feed.conn, feed.schema, feed.org_id, NOW, NOW)).nodes["g"].current == 60.0
