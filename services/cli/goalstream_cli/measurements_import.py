"""`goalstream import`: a CRM or analytics export into measurements, through the goals API.

Streams the file: rows are checked locally (see `measurements_check`) and the valid ones are posted in
batches to `POST /v1/measurements`; only one batch is held in memory. Exit status: 0 when every
row landed (accepted, or a duplicate of one that had), 1 when any row was invalid or rejected,
2 when the import could not run (unreadable file, missing column, API unreachable or refusing).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated, Any, TextIO

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from goalstream_cli.goals_api import ApiKey, ApiUrl, api_client, how_to_point
from goalstream_cli.measurements_batches import ImportAborted, Importer, Summary
from goalstream_cli.measurements_check import check_row
from goalstream_cli.measurements_file import ImportFileError, count_rows, read_rows

MAX_BATCH = 10_000


def run_import(
    path: Path,
    fmt: str,
    client: httpx.Client,
    batch: int,
    source: str | None,
    errors: TextIO | None,
    show: int,
    summary: Summary | None = None,
) -> Summary:
    """Tallies into `summary` (a new one by default), so that a caller sees how far a failed import got."""
    importer = Importer(client, errors, show, summary)
    total = count_rows(path, fmt)
    columns = (TextColumn("importing {task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"))
    with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True)) as bar:
        task = bar.add_task(path.name, total=total)
        lines: list[int] = []
        items: list[dict[str, Any]] = []
        for row in read_rows(path, fmt):
            importer.summary.read += 1
            if row.fields is None:
                importer.problem(row.line, "invalid", f"line {row.problem}")
            else:
                try:
                    items.append(check_row(row.fields, source))
                    lines.append(row.line)
                except ValueError as exc:
                    importer.problem(row.line, "invalid", str(exc))
            if len(items) >= batch:
                importer.post(lines, items)
                lines, items = [], []
            bar.update(task, completed=importer.summary.read, total=max(total, importer.summary.read))
        if items:
            importer.post(lines, items)
        bar.update(task, completed=importer.summary.read, total=importer.summary.read)
    return importer.summary


def landed_so_far(summary: Summary) -> str:
    """What a failed import did, in rows: the API answered for `sent`, the rest is unknown or unsent."""
    landed = summary.accepted + summary.duplicate
    if summary.sent == 0:
        return "0 rows were sent and landed before the failure; importing the file again is safe"
    return (
        f"{summary.sent:,} rows were sent before the failure: {landed:,} landed"
        f" ({summary.accepted:,} accepted, {summary.duplicate:,} duplicate), {summary.rejected:,} rejected;"
        " importing the file again is safe (rows that landed come back as duplicates)"
    )


def print_summary(console: Console, summary: Summary, errors_path: Path | None) -> None:
    table = Table(title="import summary")
    table.add_column("rows")
    table.add_column("count", justify="right")
    for name, count in (
        ("read", summary.read),
        ("accepted", summary.accepted),
        ("unmatched (accepted, no goal yet)", summary.unmatched),
        ("duplicate", summary.duplicate),
        ("rejected (server)", summary.rejected),
        ("invalid (local)", summary.invalid),
    ):
        table.add_row(name, str(count))
    console.print(table)
    for line, kind, reason in summary.problems:
        console.print(f"line {line}: {kind}: {reason}", highlight=False, markup=False)
    hidden = summary.invalid + summary.rejected - len(summary.problems)
    if hidden > 0:
        where = f"all of them are in {errors_path}" if errors_path else "--errors FILE lists them all"
        console.print(f"... and {hidden} more ({where})")


def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or JSON-lines export")],
    api: ApiUrl = "",
    key: ApiKey = "",
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl; default: from the file name")] = "",
    batch: Annotated[int, typer.Option(min=1, max=MAX_BATCH, help="measurements per request")] = 5000,
    source: Annotated[str | None, typer.Option(help="source of rows that name none")] = None,
    errors: Annotated[Path | None, typer.Option(help="write every invalid or rejected line to this CSV")] = None,
    show: Annotated[int, typer.Option(min=0, help="how many problem lines to print")] = 20,
) -> None:
    """Import measurements from a CSV (header: metric,value,observed_at[,id,source,goal_id,comment,confidence])
    or JSON lines; exit 0 when every row landed, 1 when some were invalid or rejected, 2 when it could not run."""
    console = Console()
    fmt = (fmt or ("jsonl" if file.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv")).lower()
    if fmt not in ("csv", "jsonl"):
        raise typer.BadParameter("must be csv or jsonl", param_hint="--format")
    client, where = api_client(api, key)
    summary = Summary()
    try:
        with client, errors.open("w", newline="") if errors else contextlib.nullcontext() as sink:
            run_import(file, fmt, client, batch, source, sink, show, summary)
    except (ImportFileError, ImportAborted, OSError) as exc:
        console.print(f"[red]import failed:[/] {escape(str(exc))}", highlight=False)
        if isinstance(exc, ImportAborted):
            console.print(how_to_point(where), highlight=False, markup=False)
        console.print(landed_so_far(summary), highlight=False)
        raise typer.Exit(2) from exc
    print_summary(console, summary, errors)
    raise typer.Exit(1 if summary.invalid or summary.rejected else 0)
