"""`goalstream dlq list|show|replay`: what consumers refused, read and sent back (`dlq_replay`)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from goalstream_cli.dlq_read import read_all
from goalstream_cli.dlq_records import SOURCES, DeadLetter, dlq_topic, parse_at
from goalstream_cli.dlq_replay import replay, replay_log
from goalstream_cli.dlq_show import line, whole
from goalstream_cli.settings import bootstrap_of
from goalstream_cli.terminal_text import safe

T = TypeVar("T")
dlq_app = typer.Typer(help="Dead letters: list, show and replay what consumers refused.", no_args_is_help=True)

Bootstrap = Annotated[str | None, typer.Option(help="Kafka bootstrap (default: GOALSTREAM_KAFKA_BOOTSTRAP)")]
Org = Annotated[str | None, typer.Option(help="only dead letters of this organisation")]
Consumer = Annotated[str | None, typer.Option(help="only those this consumer group refused")]


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True, markup=False)


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run `work`; an unreachable broker is one line naming its address, exit status 2."""
    try:
        return asyncio.run(work)
    except RuntimeError as exc:
        if "could not reach Kafka" not in str(exc):
            raise
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


async def _letters(bootstrap: str, topics: list[str]) -> tuple[list[DeadLetter], set[str]]:
    """The dead letters of `topics` and the replay keys already replayed."""
    letters, replayed = [], set()
    for topic in topics:
        letters += await read_all(bootstrap, topic)
        replayed |= set(await replay_log(bootstrap, topic))
    return letters, replayed


@dlq_app.command("list")
def list_command(
    topic: Annotated[list[str] | None, typer.Argument(help=f"{', '.join(SOURCES)} (default: all)")] = None,
    org: Org = None,
    consumer: Consumer = None,
    limit: Annotated[int, typer.Option(min=1, help="show the newest this many")] = 50,
    bootstrap: Bootstrap = None,
) -> None:
    """One line per dead letter: topic, PARTITION:OFFSET, time, organisation, key, type, consumer, reason."""
    topics = [dlq_topic(t) for t in topic] if topic else [dlq_topic(t) for t in SOURCES]
    server = bootstrap_of(bootstrap)
    letters, replayed = _run(_letters(server, topics))
    chosen = sorted((d for d in letters if d.matches(org, consumer)), key=lambda d: (d.timestamp_ms, d.topic, d.at))
    out = _console()
    for letter in chosen[-limit:]:
        out.print(line(letter, letter.replay_key in replayed))
    typer.echo(f"{len(chosen[-limit:])} of {len(chosen)} dead letters", err=True)


@dlq_app.command("show")
def show_command(
    topic: Annotated[str, typer.Argument(help=", ".join(SOURCES))],
    at: Annotated[str, typer.Argument(help="PARTITION:OFFSET, as `list` prints it")],
    bootstrap: Bootstrap = None,
) -> None:
    """One dead letter whole: where it came from, why, its headers and its payload (control characters escaped)."""
    name, (partition, offset, _) = dlq_topic(topic), parse_at(at)
    server = bootstrap_of(bootstrap)
    letters, replayed = _run(_letters(server, [name]))
    found = [d for d in letters if (d.partition, d.offset) == (partition, offset)]
    if not found:
        typer.echo(f"error: no dead letter at {safe(at)} on {name}", err=True)
        raise typer.Exit(1)
    _console().print(whole(found[0], found[0].replay_key in replayed))


@dlq_app.command("replay")
def replay_command(
    topic: Annotated[str, typer.Argument(help=", ".join(SOURCES))],
    at: Annotated[list[str] | None, typer.Argument(help="PARTITION:OFFSET or PARTITION:FIRST-LAST; repeatable")] = None,
    all_: Annotated[bool, typer.Option("--all", help="every dead letter that matches --org / --consumer")] = False,
    org: Org = None,
    consumer: Consumer = None,
    again: Annotated[bool, typer.Option("--again", help="replay even what was replayed before")] = False,
    bootstrap: Bootstrap = None,
) -> None:
    """Send dead letters back to the topic they came from, each once; every replay is recorded."""
    if not at and not all_:
        raise typer.BadParameter("name dead letters (PARTITION:OFFSET) or pass --all", param_hint="AT")
    name, ranges = dlq_topic(topic), [parse_at(a) for a in at or []]
    server = bootstrap_of(bootstrap)
    letters, _ = _run(_letters(server, [name]))
    chosen = [
        d
        for d in letters
        if d.matches(org, consumer)
        and (not ranges or any(p == d.partition and a <= d.offset <= b for p, a, b in ranges))
    ]
    if ranges and not chosen:
        typer.echo(f"error: no dead letter at {', '.join(safe(a) for a in at or [])} on {name}", err=True)
        raise typer.Exit(1)
    out = _console()
    for outcome in _run(replay(server, name, chosen, again=again, now=datetime.now(UTC))):
        where = f" as {outcome.replayed_as}" if outcome.replayed_as else ""
        out.print(f"{outcome.letter.at} {outcome.note}{where}")
