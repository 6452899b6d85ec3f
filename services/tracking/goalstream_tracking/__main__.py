"""`python -m goalstream_tracking`: run the tracking service; `... rebuild`: rebuild its read models."""

from __future__ import annotations

import asyncio
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from goalstream_runtime.serve import serve
from goalstream_tracking.bootstrap import SCHEMA, build_app
from goalstream_tracking.service_layer.rebuild import rebuild
from goalstream_tracking.settings import TrackingSettings


def run_rebuild(settings: TrackingSettings) -> int:
    console = Console(stderr=True)
    columns = (TextColumn("rebuilding read models"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("rebuild", total=None)
        result = asyncio.run(
            rebuild(
                settings.database_url,
                SCHEMA,
                settings.kafka_bootstrap,
                lambda done, total: bar.update(task, completed=done, total=total),
            )
        )
    console.print(
        f"live generation is now [bold]{result.generation}[/] (was {result.previous}); "
        f"{result.applied} events applied, {result.skipped} skipped, from {result.records} records"
    )
    return 0


def main() -> None:
    if sys.argv[1:] == ["rebuild"]:
        raise SystemExit(run_rebuild(TrackingSettings()))  # required settings come from the environment
    if sys.argv[1:]:
        raise SystemExit("usage: python -m goalstream_tracking [rebuild]")
    serve("tracking", TrackingSettings, build_app)  # read inside serve, so a refused setting is logged as JSON


if __name__ == "__main__":
    main()
