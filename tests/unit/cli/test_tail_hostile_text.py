"""`goalstream tail` prints user text as text: a goal title or a refused record's type with terminal escapes or
rich `[markup]` reaches the terminal escaped and literal. The broker is replaced by a list of records (the decoding
and the printing are what is under test; the e2e suite tails a real broker)."""

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
HOSTILE = "[bold red]fake alert[/] \x1b[2J\x1b]0;pwned\x07\u202egnp"  # markup, clear screen, window title, bidi


@dataclass
class Record:
    topic: str
    offset: int
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]
    timestamp: int | None = None


class Consumer:
    """What `tail_events` uses of aiokafka's consumer: start, stop and iterating its records."""

    def __init__(self, records: list[Record]) -> None:
        self.records = records

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def __aiter__(self) -> AsyncIterator[Record]:
        for record in self.records:
            yield record


def _goal_set() -> Envelope[GoalSet]:
    goal = GoalSet(goal_id="g-1", kind="hard", title=HOSTILE, target=1, start_at=T0, deadline=T0 + timedelta(days=30))
    return Envelope[GoalSet].new(goal, org_id="org-a", stream_id="g-1", stream_version=1, occurred_at=T0, source="/t")


def _tail(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], records: list[Record]) -> str:
    monkeypatch.setattr(kafka_clients, "consumer", lambda *_, **__: Consumer(records))
    asyncio.run(tail.tail_events("kafka:9092", [GOAL_EVENTS], True, len(records), lambda _: True))
    return capsys.readouterr().out


def _assert_inert(out: str) -> None:
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out, repr(out)
    assert "[bold red]fake alert[/]" in out, out  # shown as typed, not taken as markup
    assert "\\x1b[2J" in out and "\\u202e" in out, out


def test_a_hostile_goal_title_is_printed_escaped_and_without_markup(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record: Any = to_kafka(_goal_set())
    out = _tail(monkeypatch, capsys, [Record(GOAL_EVENTS, 7, record.key, record.value, list(record.headers))])
    assert "GoalSet org=org-a subject=g-1 " in out, out
    _assert_inert(out)


def test_a_hostile_undecodable_record_is_printed_escaped_and_without_markup(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record: Any = to_kafka(_goal_set())
    headers = [(k, f"io.goalstream.{HOSTILE}".encode() if k == "ce_type" else v) for k, v in record.headers]
    out = _tail(monkeypatch, capsys, [Record(GOAL_EVENTS, 7, record.key, record.value, headers)])
    assert f"undecodable record {GOAL_EVENTS}@7: " in out, out
    assert "\x1b" not in out and "[bold red]fake alert[/]" in out, repr(out)


def test_describe_escapes_what_it_quotes() -> None:
    _assert_inert(tail.describe(_goal_set()))
