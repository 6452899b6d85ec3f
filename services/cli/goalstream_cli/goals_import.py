"""`goalstream goals import`: a goal tree from a CSV or JSON file, created through `POST /v1/goals/batch`.

One file is one request, so one transaction: every goal is created or none is. A file of more than
5,000 goals (the API's batch) is refused rather than sent in parts, which would leave half a tree
when a later part is refused. The request carries an Idempotency-Key made from the file's bytes:
importing the same file again answers with the goals it made and creates nothing.
Exit status: 0 created (or already created by this file), 1 the API refused an item (each is listed
with its place in the file), 2 the import could not run (unreadable file, API unreachable or refusing).
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from goalstream_cli import api_retry
from goalstream_cli.goals_api import ApiKey, ApiUrl, api_client, how_to_point
from goalstream_cli.goals_file import GoalFile, GoalFileError, read_goals


class Refused(Exception):
    """The API refused the batch for its content (4xx naming items): nothing was created."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(answer.get("message", "refused"))
        self.answer = answer


def send(client: httpx.Client, goals: GoalFile, key: str) -> tuple[list[dict[str, Any]], bool]:
    """The created goals and whether they were replayed; resent on 5xx and connection errors (`api_retry`: the
    key makes that safe). Raises Refused for a 404/409/422 about the content, RuntimeError when it cannot be sent."""
    try:
        response = api_retry.post(client, "/v1/goals/batch", {"goals": goals.items}, {"Idempotency-Key": key})
    except api_retry.Unanswered as exc:
        raise RuntimeError(str(exc)) from exc
    if response.status_code in (200, 201):
        created: list[dict[str, Any]] = response.json()["goals"]
        return created, response.headers.get("Idempotent-Replayed") == "true"
    if response.status_code in (404, 409, 422):
        raise Refused(response.json())
    raise RuntimeError(f"the goals API at {client.base_url} answered {response.status_code}: {response.text[:500]}")


def _place(field: str | None, goals: GoalFile) -> str:
    """`goals.3.target` as the file says it: `line 5: target`."""
    match = re.fullmatch(r"goals\.(\d+)(?:\.(.+))?", field or "")
    if match is None or int(match.group(1)) >= len(goals.places):
        return field or "the file"
    place = goals.places[int(match.group(1))]
    return f"{place}: {match.group(2)}" if match.group(2) else place


def goals_import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or JSON goal tree")],
    api: ApiUrl = "",
    key: ApiKey = "",
    fmt: Annotated[str, typer.Option("--format", help="csv or json; default: from the file name")] = "",
    ids: Annotated[Path | None, typer.Option(help="write each goal's index, ref and new id to this CSV")] = None,
) -> None:
    """Create a goal tree from a CSV (header: title[,ref,parent_ref,parent_id,metric,aggregation,target,deadline,
    ...any field of POST /v1/goals]) or JSON file, in one all-or-nothing request of at most 5,000 goals.
    A child names its parent in the file by the parent's ref (parent_ref), in any order. Importing the same
    file again creates nothing; a larger tree is imported as several files of subtrees (see the docs)."""
    console = Console()
    fmt = (fmt or ("json" if file.suffix.lower() == ".json" else "csv")).lower()
    if fmt not in ("csv", "json"):
        raise typer.BadParameter("must be csv or json", param_hint="--format")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("goals"))
    progress = Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True))
    client, where = api_client(api, key)
    try:
        with client, progress as bar:
            reading = bar.add_task(f"reading {file.name}", total=None)
            goals = read_goals(file, fmt)
            bar.update(reading, total=len(goals.items), completed=len(goals.items))
            creating = bar.add_task(f"creating {len(goals.items):,} goals", total=len(goals.items))
            idempotency_key = "goals-import-" + hashlib.sha256(file.read_bytes()).hexdigest()[:40]
            created, replayed = send(client, goals, idempotency_key)
            bar.update(creating, completed=len(created))
    except Refused as exc:
        console.print("[red]the goals API refused the file; nothing was created:[/]", highlight=False)
        for error in exc.answer.get("errors") or [{"field": None, "message": exc.answer.get("message", "")}]:
            console.print(f"{_place(error.get('field'), goals)}: {error.get('message')}", highlight=False, markup=False)
        raise typer.Exit(1) from exc
    except (GoalFileError, RuntimeError, OSError) as exc:
        console.print(f"[red]import failed:[/] {escape(str(exc))}", highlight=False)
        if isinstance(exc, RuntimeError):
            console.print(how_to_point(where) + "; importing the file again is safe", highlight=False, markup=False)
        raise typer.Exit(2) from exc
    if ids is not None:
        with ids.open("w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["index", "ref", "goal_id"])
            out.writerows([g["index"], g.get("ref") or "", g["goal_id"]] for g in created)
    verb = "were already created by this file" if replayed else "created"
    console.print(f"{len(created):,} goals {verb}" + (f"; their ids are in {ids}" if ids else ""), highlight=False)
    raise typer.Exit(0)
