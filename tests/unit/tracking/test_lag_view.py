"""`GET /v1/lag` dates its measurement as every other answer does: ISO-8601 in UTC, not Unix time."""

from __future__ import annotations

from datetime import UTC, datetime

from goalstream_runtime.lag import LagSnapshot, PartitionLag
from goalstream_tracking.entrypoints.lag import LagView, lag_view

TOPIC = "goalstream.goals.events.v1"


def test_measured_at_is_an_iso_8601_utc_timestamp() -> None:
    taken = datetime(2026, 12, 5, 21, 31, 34, 250000, tzinfo=UTC)
    snapshot = LagSnapshot("g", taken.timestamp(), [PartitionLag(TOPIC, 0, 2, 5, 3, 1.5)])
    body = lag_view(snapshot, [TOPIC]).model_dump(mode="json")
    assert body["measured_at"] == "2026-12-05T21:31:34.250000Z"
    assert datetime.fromisoformat(body["measured_at"]) == taken
    assert body["topics"] == [
        {
            "topic": TOPIC,
            "partitions": [{"partition": 0, "committed": 2, "end": 5, "lag_messages": 3, "lag_seconds": 1.5}],
        }
    ]


def test_the_openapi_schema_says_date_time() -> None:
    assert LagView.model_json_schema()["properties"]["measured_at"]["format"] == "date-time"
