"""`goalstream admin operator`: platform operators' keys for the goals service's `/v1/admin` API.

The CLI is the root of trust: it writes the goals database directly, and the HTTP API cannot
issue operator keys, so a leaked operator key cannot mint more of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from goalstream_cli.admin_db import DatabaseUrl, in_transaction

operator_app = typer.Typer(help="Operator keys for the goals admin API (/v1/admin).", no_args_is_help=True)


@operator_app.command("issue")
def operator_issue(
    label: Annotated[str, typer.Option(help="whose key it is, e.g. a person or a tool")],
    database_url: DatabaseUrl = "",
) -> None:
    """Issue an operator key and print it (shown once)."""
    from goalstream_goals.adapters.operator_keys import issue_operator_key

    if not label.strip():
        raise typer.BadParameter("give the key a label", param_hint="--label")
    key_id, key = in_transaction(database_url, lambda conn: issue_operator_key(conn, label.strip(), datetime.now(UTC)))
    Console(highlight=False).print(f"operator key {key_id} ({label.strip()}, shown once):\n{key}")


@operator_app.command("revoke")
def operator_revoke(key_id: str, database_url: DatabaseUrl = "") -> None:
    """Revoke an operator key; the admin API refuses it from the next request."""
    from goalstream_goals.adapters.operator_keys import revoke_operator_key

    if not in_transaction(database_url, lambda conn: revoke_operator_key(conn, key_id, datetime.now(UTC))):
        Console(stderr=True).print(f"[red]no active operator key {key_id}[/]")
        raise typer.Exit(1)
    Console().print(f"operator key {key_id} revoked")


@operator_app.command("list")
def operator_list(database_url: DatabaseUrl = "") -> None:
    """Operator keys (their visible prefixes, never the keys)."""
    from goalstream_goals.adapters.operator_keys import OperatorKeyInfo, list_operator_keys

    keys: list[OperatorKeyInfo] = in_transaction(database_url, list_operator_keys)
    table = Table(title="operator keys")
    for column in ("key id", "prefix", "label", "created", "revoked"):
        table.add_column(column)
    for k in keys:
        revoked = k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else ""
        table.add_row(k.key_id, k.prefix + "…", k.label, k.created_at.isoformat(timespec="seconds"), revoked)
    Console(width=200).print(table)
