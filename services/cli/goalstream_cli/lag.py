"""`goalstream lag`: consumer lag per group and partition, in messages and seconds."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from goalstream_cli.settings import bootstrap_found, consumer_group_prefix, unreachable_broker
from goalstream_contracts.topics import GOAL_EVENTS, IDENTITY_EVENTS, MEASUREMENTS
from goalstream_runtime.lag import LagMonitor, LagSnapshot


def default_groups(prefix: str) -> dict[str, list[str]]:
    """The three services' consumer groups and the topics each consumes."""
    return {
        f"{prefix}-goals-measurements": [MEASUREMENTS],
        f"{prefix}-tracking": [GOAL_EVENTS],
        f"{prefix}-notifications": [GOAL_EVENTS],
        f"{prefix}-tracking-identity": [IDENTITY_EVENTS],
        f"{prefix}-notifications-identity": [IDENTITY_EVENTS],
    }


async def measure(bootstrap: str, groups: dict[str, list[str]]) -> list[LagSnapshot]:
    snapshots = []
    for group, topics in groups.items():
        monitor = LagMonitor(bootstrap, group, topics)
        try:
            snapshots.append(await monitor.snapshot())
        finally:
            await monitor.close()
    return snapshots


def lag_command(
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap (default: GOALSTREAM_KAFKA_BOOTSTRAP)")] = None,
    group: Annotated[list[str] | None, typer.Option(help="a consumer group (default: the services')")] = None,
    topic: Annotated[list[str] | None, typer.Option(help="topics of --group groups (default: goal events)")] = None,
) -> None:
    """Consumer lag per group and partition, in messages and seconds."""
    groups = {g: topic or [GOAL_EVENTS] for g in group} if group else default_groups(consumer_group_prefix())
    broker = bootstrap_found(bootstrap)
    with unreachable_broker(broker):
        snapshots = asyncio.run(measure(broker.value, groups))
    table = Table(title="consumer lag")
    for name, justify in (("group", "left"), ("topic", "left"), ("partition", "right"), ("committed", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    table.add_column("end", justify="right")
    table.add_column("lag (messages)", justify="right")
    table.add_column("lag (seconds)", justify="right")
    for snapshot in snapshots:
        if not snapshot.partitions:
            table.add_row(snapshot.group, "(no topic yet)", "", "", "", "0", "0")
        for p in snapshot.partitions:
            seconds = "?" if p.lag_seconds is None else f"{p.lag_seconds:.1f}"
            committed = "-" if p.committed is None else str(p.committed)
            table.add_row(
                snapshot.group, p.topic, str(p.partition), committed, str(p.end), str(p.lag_messages), seconds
            )
    Console(width=200).print(table)
