"""`goalstream import`: a CRM or analytics export into measurements, through the goals API.

Streams the file: rows are checked locally (see `cli_import_rows`) and the valid ones are posted in
batches to `POST /v1/measurements`; only one batch is held in memory. Exit status: 0 when every
row landed (accepted, or a duplicate of one that had), 1 when any row was invalid or rejected,
2 when the import could not run (unreadable file, missing column, API unreachable or refusing).
"""

from __future__ import annotations

import contextlib
import csv
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TextIO

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from goalstream_runtime.cli_import_rows import ImportFileError, check_row, count_rows, read_rows

MAX_BATCH = 10_000
# How every command that talks to the goals API is pointed at it and authenticated (also `goalstream goals import`).
ApiUrl = Annotated[str, typer.Option(envvar="GOALSTREAM_API_URL", help="goals API base URL")]
ApiKey = Annotated[str, typer.Option(envvar="GOALSTREAM_KEY", help="organisation API key (write scope)")]
DEFAULT_API = "http://127.0.0.1:8001"


def api_client(api: str, key: str) -> httpx.Client:
    """A client of the goals API with the organisation's key; a missing key is the --key option's error."""
    if not key:
        raise typer.BadParameter("an API key is needed (or set GOALSTREAM_KEY)", param_hint="--key")
    return httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}, timeout=120)


class ImportAborted(Exception):
    """The API refused the import as a whole (authentication, scope, unreachable)."""


@dataclass
class Summary:
    read: int = 0
    accepted: int = 0
    unmatched: int = 0  # of the accepted, those no goal used yet (kept for goals to come)
    duplicate: int = 0
    rejected: int = 0
    invalid: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # the first few (line, kind, reason)


class Importer:
    """Posts batches and tallies the answers; problems go to the summary and the errors file."""

    def __init__(self, client: httpx.Client, errors: TextIO | None, show: int) -> None:
        self.client, self.show, self.summary = client, show, Summary()
        self.errors = csv.writer(errors) if errors is not None else None
        if self.errors is not None:
            self.errors.writerow(["line", "kind", "reason"])

    def problem(self, line: int, kind: str, reason: str) -> None:
        if kind == "invalid":
            self.summary.invalid += 1
        else:
            self.summary.rejected += 1
        if len(self.summary.problems) < self.show:
            self.summary.problems.append((line, kind, reason))
        if self.errors is not None:
            self.errors.writerow([line, kind, reason])

    def post(self, lines: list[int], items: list[dict[str, Any]]) -> None:
        body = self._send({"measurements": items})
        for result in body["results"]:
            status, line = result["status"], lines[result["index"]]
            if status == "accepted":
                self.summary.accepted += 1
                self.summary.unmatched += int(result.get("goals") == 0)
            elif status == "duplicate":
                self.summary.duplicate += 1
            else:
                self.problem(line, "rejected", result.get("reason") or "rejected by the goals API")

    def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        """The 202 answer; retries (the ids make it safe) on 5xx and connection errors."""
        for attempt in range(5):
            try:
                response = self.client.post("/v1/measurements", json=body)
            except httpx.TransportError as exc:
                failure = f"cannot reach the goals API: {exc}"
            else:
                if response.status_code == 202:
                    answer: dict[str, Any] = response.json()
                    return answer
                if response.status_code < 500:
                    raise ImportAborted(f"the goals API answered {response.status_code}: {response.text[:500]}")
                failure = f"the goals API answered {response.status_code}"
            time.sleep(min(0.5 * 2**attempt, 5))
        raise ImportAborted(failure)


def run_import(
    path: Path, fmt: str, client: httpx.Client, batch: int, source: str | None, errors: TextIO | None, show: int
) -> Summary:
    importer = Importer(client, errors, show)
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
    api: ApiUrl = DEFAULT_API,
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
    try:
        with (
            api_client(api, key) as client,
            errors.open("w", newline="") if errors else contextlib.nullcontext() as sink,
        ):
            summary = run_import(file, fmt, client, batch, source, sink, show)
    except (ImportFileError, ImportAborted, OSError) as exc:
        console.print(f"[red]import failed:[/] {exc}", highlight=False)
        console.print("rows sent before the failure have landed; importing the file again is safe")
        raise typer.Exit(2) from exc
    print_summary(console, summary, errors)
    raise typer.Exit(1 if summary.invalid or summary.rejected else 0)
