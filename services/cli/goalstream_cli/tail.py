"""`goalstream tail`: live events, one line each, for ops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console

from goalstream_cli.dlq_records import DeadLetter, dlq_topic
from goalstream_cli.dlq_show import line
from goalstream_cli.settings import bootstrap_found, unreachable_broker
from goalstream_cli.terminal_text import safe
from goalstream_contracts.cloudevents import ContractError, from_record
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.topics import GOAL_EVENTS, IDENTITY_EVENTS, NOTIFICATION_EVENTS, dlq, is_dlq
from goalstream_runtime import kafka_clients

TOPICS = {"goals": GOAL_EVENTS, "notifications": NOTIFICATION_EVENTS, "identity": IDENTITY_EVENTS}


def matches(envelope: Envelope[Any], types: list[str], goal: str | None, org: str | None) -> bool:
    subject = envelope.payload.subject()
    return (
        (not types or envelope.event_type in types)
        and (goal is None or goal in (subject, envelope.stream_id))
        and (org is None or envelope.org_id == org)
    )


def letter_matches(letter: DeadLetter, types: list[str], goal: str | None, org: str | None) -> bool:
    """`matches` for a dead letter, by its headers: it may be refused because it does not decode."""
    return (
        (not types or letter.event_type in types)
        and (goal is None or goal in (letter.header("ce_subject"), letter.header("ce_streamid")))
        and (org is None or letter.org == org)
    )


def topic_of(name: str) -> str:
    """A `--topic`: goals, notifications, identity, or a dead-letter topic (`dlq` of a short name or a topic)."""
    if name in TOPICS:
        return TOPICS[name]
    if is_dlq(name):
        return dlq_topic(name)
    raise typer.BadParameter(f"unknown topic {name!r}: one of {', '.join(TOPICS)} or a DLQ", param_hint="--topic")


def describe(envelope: Envelope[Any]) -> str:
    """One line: time, type, organisation, subject and the payload's scalar fields, all of it user text passed
    through `safe` (a title may carry terminal escapes); print it with markup off (or `[red]` is markup)."""
    fields = envelope.payload.model_dump(mode="json")
    shown = " ".join(f"{k}={v}" for k, v in fields.items() if isinstance(v, str | int | float | bool) and k != "id")
    when = envelope.occurred_at.isoformat(timespec="seconds")
    return safe(f"{when} {envelope.event_type} org={envelope.org_id} subject={envelope.payload.subject()} {shown}")


async def tail_events(
    bootstrap: str,
    topics: list[str],
    from_beginning: bool,
    limit: int | None,
    keep: Callable[[Envelope[Any]], bool],
    keep_letter: Callable[[DeadLetter], bool] = lambda _: True,
) -> int:
    consumer = kafka_clients.consumer(
        bootstrap,
        *topics,
        group_id=None,  # no group: nothing is committed, nobody else's offsets move
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
    )
    console, shown = Console(highlight=False, soft_wrap=True), 0
    await consumer.start()
    try:
        async for record in consumer:
            if is_dlq(record.topic):  # a dead letter: one line as `goalstream dlq list` prints it
                letter = DeadLetter.of(record)
                if keep_letter(letter):
                    console.print(line(letter, replayed=False), markup=False)
                    shown += 1
                    if limit is not None and shown >= limit:
                        break
                continue
            try:
                # the record's key and timestamp too: what a third-party event leaves out, as the consumers read it
                envelope = from_record(record)
            except ContractError as exc:
                # the error quotes the record: escaped, and printed with markup off
                console.print(
                    f"undecodable record {record.topic}@{record.offset}: {safe(str(exc))}", markup=False, style="yellow"
                )
                continue
            if keep(envelope):
                console.print(describe(envelope), markup=False)
                shown += 1
                if limit is not None and shown >= limit:
                    break
    finally:
        await consumer.stop()
    return shown


def tail_command(
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap (default: GOALSTREAM_KAFKA_BOOTSTRAP)")] = None,
    topic: Annotated[
        list[str] | None,
        typer.Option(
            help=f"goals (default), notifications, identity, or a DLQ ({dlq('measurements')}, ...); repeatable"
        ),
    ] = None,
    type_: Annotated[list[str] | None, typer.Option("--type", help="only this event type, e.g. GoalSet")] = None,
    goal: Annotated[str | None, typer.Option(help="only events of this goal (the subject)")] = None,
    org: Annotated[str | None, typer.Option(help="only events of this organisation")] = None,
    from_beginning: Annotated[bool, typer.Option("--from-beginning", help="start at the oldest record")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="stop after this many events")] = None,
) -> None:
    """Print live events, one line each, until Ctrl-C (or --limit)."""
    topics = [topic_of(n) for n in topic or ["goals"]]
    types = type_ or []
    broker = bootstrap_found(bootstrap)
    with contextlib.suppress(KeyboardInterrupt), unreachable_broker(broker):
        asyncio.run(
            tail_events(
                broker.value,
                topics,
                from_beginning,
                limit,
                lambda e: matches(e, types, goal, org),
                lambda d: letter_matches(d, types, goal, org),
            )
        )
