"""`goalstream admin`: organisations, API keys and operator keys, against the goals database directly.

The CLI package does not depend on the goals service: `goalstream_goals` is imported inside each
command, so the rest of the CLI works where only the runtime is installed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from goalstream_cli.admin_db import DatabaseUrl, in_transaction
from goalstream_cli.admin_operator import operator_app

SCOPES = ("read", "write", "admin")

admin_app = typer.Typer(
    help="Organisations and API keys, in the goals database (--database-url, GOALSTREAM_DATABASE_URL or the running"
    " platform's .goalstream/addresses.json).",
    no_args_is_help=True,
)
org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)
admin_app.add_typer(org_app, name="org")
admin_app.add_typer(key_app, name="key")
admin_app.add_typer(operator_app, name="operator")

Scopes = Annotated[str, typer.Option(help="comma-separated: read, write, admin")]


def parse_scopes(text: str) -> tuple[Any, ...]:
    scopes = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    wrong = [s for s in scopes if s not in SCOPES]
    if wrong or not scopes:
        raise typer.BadParameter(f"scopes are {', '.join(SCOPES)}", param_hint="--scopes")
    return scopes


@org_app.command("create")
def org_create(
    org_id: str,
    name: Annotated[str, typer.Option(help="display name")],
    database_url: DatabaseUrl = "",
    scopes: Scopes = "read,write,admin",
) -> None:
    """Create an organisation and print its first API key (shown once)."""
    from goalstream_goals.adapters.organisations import ORG_ID_PATTERN, OrganisationExists, create_organisation
    from goalstream_runtime.auth import new_api_key

    if not re.fullmatch(ORG_ID_PATTERN, org_id):
        message = "use letters, digits, '.', '_' and '-' (at most 100), starting with a letter or digit"
        raise typer.BadParameter(message, param_hint="ORG_ID")
    key = new_api_key()
    allowed = parse_scopes(scopes)
    try:
        key_id = in_transaction(
            database_url, lambda conn: create_organisation(conn, org_id, name, key, allowed, datetime.now(UTC))
        )
    except OrganisationExists:
        Console(stderr=True).print(f"[red]organisation {org_id} already exists[/]")
        raise typer.Exit(1) from None
    Console(highlight=False).print(f"organisation {org_id} created; key {key_id} (shown once):\n{key}")


@key_app.command("issue")
def key_issue(org_id: str, database_url: DatabaseUrl = "", scopes: Scopes = "read,write") -> None:
    """Issue another API key for an organisation and print it (shown once)."""
    from goalstream_goals.adapters.api_keys import UnknownOrganisation, issue_key

    allowed = parse_scopes(scopes)
    try:
        key_id, key = in_transaction(database_url, lambda conn: issue_key(conn, org_id, allowed, datetime.now(UTC)))
    except UnknownOrganisation:
        Console(stderr=True).print(f"[red]no organisation {org_id}[/]")
        raise typer.Exit(1) from None
    Console(highlight=False).print(f"key {key_id} for {org_id} (shown once):\n{key}")


@key_app.command("revoke")
def key_revoke(key_id: str, database_url: DatabaseUrl = "") -> None:
    """Revoke an API key; every service refuses it once the identity event reaches it."""
    from goalstream_goals.adapters.api_keys import revoke_key

    if not in_transaction(database_url, lambda conn: revoke_key(conn, key_id, datetime.now(UTC))):
        Console(stderr=True).print(f"[red]no active key {key_id}[/]")
        raise typer.Exit(1)
    Console().print(f"key {key_id} revoked")


@key_app.command("list")
def key_list(org_id: str, database_url: DatabaseUrl = "") -> None:
    """An organisation's API keys (their visible prefixes, never the keys)."""
    from goalstream_goals.adapters.api_keys import KeyInfo, list_keys

    keys: list[KeyInfo] = in_transaction(database_url, lambda conn: list_keys(conn, org_id))
    table = Table(title=f"API keys of {org_id}")
    for column in ("key id", "prefix", "scopes", "created", "revoked"):
        table.add_column(column)
    for k in keys:
        revoked = k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else ""
        table.add_row(k.key_id, k.prefix + "…", ",".join(k.scopes), k.created_at.isoformat(timespec="seconds"), revoked)
    Console(width=200).print(table)
