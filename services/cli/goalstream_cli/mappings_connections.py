"""`goalstream connections list|show|add|remove`: platform accounts bound to the organisation, through the goals
API's `/v1/connections` (admin scope). Without --secret, the secret is read from GOALSTREAM_CONNECTION_SECRET or
a hidden prompt, which keeps it out of the shell's history."""

from __future__ import annotations

from typing import Annotated

import typer

from goalstream_cli.goals_api import ApiKey, ApiUrl
from goalstream_cli.mappings_api import call, console, show
from goalstream_cli.settings import goals_api_found

connections_app = typer.Typer(help="Receiver connections: CRM and analytics accounts.", no_args_is_help=True)
COLUMNS = ["id", "platform", "account", "receiver_url", "created_at"]


@connections_app.command("list")
def list_connections(api: ApiUrl = "", key: ApiKey = "") -> None:
    """The organisation's connections, one a line: id, platform, account, receiver URL, created."""
    show(call(api, key, "GET", "/v1/connections"), COLUMNS)


@connections_app.command("show")
def show_connection(connection_id: str, api: ApiUrl = "", key: ApiKey = "") -> None:
    """A connection and the records no mapping matched, by object type (how many, the last one and why)."""
    connection = call(api, key, "GET", f"/v1/connections/{connection_id}")
    show([connection], COLUMNS)
    console.print("unmatched records, by object type:")
    show(connection["unmatched"], ["object_type", "count", "last_event_id", "last_seen_at", "last_reason"])


@connections_app.command("add")
def add_connection(
    platform: Annotated[str, typer.Option(help="hubspot, salesforce or segment")],
    account: Annotated[str, typer.Option(help="HubSpot portalId, Salesforce OrganizationId or Segment source id")],
    secret: Annotated[
        str,
        typer.Option(
            envvar="GOALSTREAM_CONNECTION_SECRET",
            help="HubSpot client secret or Segment shared secret; asked for (hidden) when left out",
        ),
    ] = "",
    receiver_url: Annotated[str, typer.Option(help="the URL the platform calls, if a proxy stands between")] = "",
    api: ApiUrl = "",
    key: ApiKey = "",
) -> None:
    """Bind an account to the organisation: HubSpot needs the app's client secret, Segment the shared secret;
    Salesforce gets a receiver token, printed once."""
    if platform in ("hubspot", "segment") and not secret:
        secret = typer.prompt(f"{platform} secret", hide_input=True)
    body = {"platform": platform, "account": account, "secret": secret or None, "receiver_url": receiver_url or None}
    created = call(api, key, "POST", "/v1/connections", body)
    console.print(f"connection {created['id']} added: {platform} {account}", markup=False)
    if created.get("receiver_token"):
        url = f"{goals_api_found(api or None).value.rstrip('/')}/v1/receivers/salesforce/{created['receiver_token']}"
        console.print(f"Salesforce endpoint URL (shown once, keep it): {url}", markup=False)


@connections_app.command("remove")
def remove_connection(connection_id: str, api: ApiUrl = "", key: ApiKey = "") -> None:
    """Remove a connection: its platform's deliveries are refused (401) from now on."""
    call(api, key, "DELETE", f"/v1/connections/{connection_id}")
    console.print(f"connection {connection_id} removed", markup=False)
