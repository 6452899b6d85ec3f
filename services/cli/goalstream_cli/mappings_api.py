"""What `goalstream mappings` and `goalstream connections` share: one call of the goals API, its refusal
printed with the field at fault (exit 1) and an unreachable API said with where its address came from (exit 2)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import typer
from rich.console import Console

from goalstream_cli.goals_api import api_client, how_to_point
from goalstream_cli.terminal_text import safe

console = Console(highlight=False)


def call(api: str, key: str, method: str, path: str, body: dict[str, Any] | None = None, **params: str) -> Any:
    """The JSON answer of one request (None for 204); exits 1 on a refusal, 2 when the API cannot be reached."""
    client, where = api_client(api, key)
    try:
        with client:
            answer = client.request(method, path, json=body, params={k: v for k, v in params.items() if v})
    except httpx.TransportError as exc:
        console.print(f"cannot reach the goals API at {where.value}: {exc}", markup=False)
        console.print(how_to_point(where), markup=False)
        raise typer.Exit(2) from exc
    if answer.status_code >= 400:
        try:
            error = answer.json()
        except ValueError:
            error = {"message": answer.text[:500]}
        fields = [e.get("field") for e in error.get("errors") or [] if e.get("field")]
        where_at = f" ({', '.join(fields)})" if fields else ""
        console.print(f"refused, {answer.status_code}{where_at}: {error.get('message', '')}", markup=False)
        raise typer.Exit(1 if answer.status_code < 500 else 2)
    return None if answer.status_code == 204 else answer.json()


def show(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """One line per row, columns separated by two spaces; `-` for nothing. Cells hold what platforms sent (an
    event's name, its id), so their control and bidi characters are written out (`safe`), never obeyed."""
    if not rows:
        console.print("(none)")
    for row in rows:
        cells = [
            json.dumps(row[c]) if isinstance(row.get(c), (dict, list)) else str(row.get(c) or "-") for c in columns
        ]
        console.print(safe("  ".join(cells)), markup=False)
