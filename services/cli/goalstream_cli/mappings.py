"""`goalstream mappings list|add|remove`: which CRM or analytics records feed which metric, through the goals
API's `/v1/mappings` (write scope)."""

from __future__ import annotations

from typing import Annotated

import typer

from goalstream_cli.goals_api import ApiKey, ApiUrl
from goalstream_cli.mappings_api import call, console, show

mappings_app = typer.Typer(help="Field mappings: which records of a platform feed which metric.", no_args_is_help=True)
COLUMNS = ["id", "platform", "object_type", "value_path", "metric", "aggregation", "time_path", "id_path"]
Platform = Annotated[str, typer.Option(help="hubspot, salesforce or segment")]


@mappings_app.command("list")
def list_mappings(api: ApiUrl = "", key: ApiKey = "", platform: Annotated[str, typer.Option()] = "") -> None:
    """The organisation's mappings, one a line: id, platform, object, value path, metric, aggregation, paths."""
    show(call(api, key, "GET", "/v1/mappings", platform=platform), COLUMNS)


@mappings_app.command("add")
def add_mapping(
    platform: Platform,
    object_type: Annotated[
        str, typer.Option("--object-type", "--object", help="HubSpot object (deal), sObject type or event name")
    ],
    value: Annotated[
        str, typer.Option("--value-path", "--value", help="path of the number in the record: properties.amount")
    ],
    metric: Annotated[str, typer.Option(help="the metric key it feeds")],
    aggregation: Annotated[str, typer.Option(help="latest (a figure now) or sum (an amount to add)")] = "latest",
    time_path: Annotated[str, typer.Option(help="path of the time; default: the record's own time")] = "",
    id_path: Annotated[str, typer.Option(help="path of the record's id; default: the platform's event id")] = "",
    api: ApiUrl = "",
    key: ApiKey = "",
) -> None:
    """Add a mapping; prints its id."""
    body = {"platform": platform, "object_type": object_type, "value_path": value, "metric": metric,
            "aggregation": aggregation, "time_path": time_path or None, "id_path": id_path or None}  # fmt: skip
    created = call(api, key, "POST", "/v1/mappings", body)
    console.print(f"mapping {created['id']} added: {platform} {object_type} {value} -> {metric}", markup=False)


@mappings_app.command("remove")
def remove_mapping(mapping_id: Annotated[str, typer.Argument(help="the mapping's id")], api: ApiUrl = "",
                   key: ApiKey = "") -> None:  # fmt: skip
    """Remove a mapping: records it matched are counted as unmatched from now on."""
    call(api, key, "DELETE", f"/v1/mappings/{mapping_id}")
    console.print(f"mapping {mapping_id} removed", markup=False)
