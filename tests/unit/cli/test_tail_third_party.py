"""`goalstream tail` reads a third-party record as the live consumers do: one without `ce_time` or `ce_orgid`
takes its time from the record's timestamp and its organisation from the record's key. The broker is replaced by
a list of records (the decoding is what is under test; the e2e suite tails a real broker)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from goalstream_cli import tail
from goalstream_contracts.cloudevents import to_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalSet
from goalstream_contracts.topics import GOAL_EVENTS
from goalstream_runtime import kafka_clients

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@dataclass
class Record:
    """What aiokafka's ConsumerRecord gives `tail_events`."""

    topic: str
    offset: int
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]
    timestamp: int


class Consumer:
    def __init__(self, records: list[Record]) -> None:
        self.records = records

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def __aiter__(self) -> AsyncIterator[Record]:
        for record in self.records:
            yield record


def test_a_record_without_time_or_organisation_is_shown_from_its_key_and_timestamp(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    goal = GoalSet(goal_id="g-1", kind="hard", title="Ship", target=1, start_at=T0, deadline=T0 + timedelta(days=9))
    envelope = Envelope[GoalSet].new(goal, org_id="o", stream_id="g-1", stream_version=1, occurred_at=T0, source="/")
    sent: Any = to_kafka(envelope)
    headers = [(k, v) for k, v in sent.headers if k not in ("ce_time", "ce_orgid", "ce_partitionkey")]
    at = T0 + timedelta(minutes=5)
    record = Record(GOAL_EVENTS, 3, b"org-b", sent.value, headers, int(at.timestamp() * 1000))
    monkeypatch.setattr(kafka_clients, "consumer", lambda *_, **__: Consumer([record]))
    shown = asyncio.run(tail.tail_events("kafka:9092", [GOAL_EVENTS], True, 1, lambda _: True))
    out = capsys.readouterr().out
    assert shown == 1 and "undecodable" not in out, out
    assert out.startswith("2026-01-02T03:09:05+00:00 GoalSet org=org-b subject=g-1 "), out
