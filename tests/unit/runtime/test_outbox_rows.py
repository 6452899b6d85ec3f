"""The outbox row an event's text record makes is the row its Kafka record made: the same JSON of headers,
with the same trace appended, so the relay publishes the same bytes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from goalstream_contracts import examples
from goalstream_contracts.cloudevents import to_kafka, to_kafka_text
from goalstream_runtime import outbox
from goalstream_runtime.db import _jsonb_out

TRACE = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}


class RowsConnection:
    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []

    async def executemany(self, _sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.rows.extend(rows)

    async def copy_records_to_table(self, _table: str, *, records: list[tuple[Any, ...]], columns: list[str]) -> None:
        self.rows.extend(records)

    async def execute(self, _sql: str) -> None:
        pass


def stored(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The row as PostgreSQL receives it: jsonb through the codec."""
    topic, key, value, headers = row
    return topic, key, value, _jsonb_out(headers)


@pytest.mark.parametrize("traces", [None, TRACE], ids=["untraced", "traced"])
@pytest.mark.parametrize("many", [1, outbox.COPY_FROM], ids=["insert", "copy"])
async def test_text_records_make_the_rows_kafka_records_made(traces: dict[str, str] | None, many: int) -> None:
    envelopes = list(examples.example_envelopes().values()) * many
    contexts = [traces or {}] * len(envelopes)
    old, new = RowsConnection(), RowsConnection()
    await outbox.enqueue(old, [to_kafka(e) for e in envelopes], "c", traces=contexts)  # type: ignore[arg-type]
    await outbox.enqueue(new, [to_kafka_text(e) for e in envelopes], "c", traces=contexts)  # type: ignore[arg-type]
    assert [stored(r) for r in new.rows] == [stored(r) for r in old.rows]
    assert len(new.rows) == len(envelopes)
    if traces:
        assert json.loads(_jsonb_out(new.rows[0][3])[1:])[-1] == ["traceparent", TRACE["traceparent"]]


def test_the_jsonb_codec_stores_encoded_json_as_it_is() -> None:
    assert _jsonb_out(b'{"a":1}') == b'\x01{"a":1}'
    assert _jsonb_out({"a": 1}) == b'\x01{"a": 1}'
