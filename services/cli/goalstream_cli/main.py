"""The `goalstream` command: run, import, tail, lag, admin, tracking and goals."""

from __future__ import annotations

from importlib.metadata import version
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from goalstream_cli.admin import admin_app
from goalstream_cli.dlq import dlq_app
from goalstream_cli.goals_import import goals_import_command
from goalstream_cli.lag import lag_command
from goalstream_cli.mappings import mappings_app
from goalstream_cli.mappings_connections import connections_app
from goalstream_cli.measurements_import import import_command
from goalstream_cli.run.settings import RunSettings
from goalstream_cli.run.supervisor import run as run_supervisor
from goalstream_cli.settings import service_addresses
from goalstream_cli.tail import tail_command
from goalstream_cli.webhooks_listen import listen_command

app = typer.Typer(help="goalstream: goals, KPIs and events for large organisations.", no_args_is_help=True)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"goalstream {version('goalstream-cli')}")
        raise typer.Exit()


@app.callback()
def main(
    _version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """goalstream command-line interface."""


@app.command()
def run() -> None:
    """Run the infrastructure (embedded unless configured) and the three services until Ctrl-C."""
    console = Console()
    try:
        code = run_supervisor(RunSettings(), console)
    except RuntimeError as exc:
        console.print(f"[red]goalstream could not start:[/] {escape(str(exc))}")  # the text may hold [brackets]
        code = 1
    raise typer.Exit(code)


app.command("import")(import_command)
app.command("tail")(tail_command)
app.command("lag")(lag_command)
app.add_typer(admin_app, name="admin")
app.add_typer(dlq_app, name="dlq")
tracking_app = typer.Typer(help="The tracking service's operator commands.", no_args_is_help=True)
app.add_typer(tracking_app, name="tracking")
goals_app = typer.Typer(help="Goals through the goals API.", no_args_is_help=True)
goals_app.command("import")(goals_import_command)
app.add_typer(goals_app, name="goals")
webhooks_app = typer.Typer(help="Try webhook subscriptions locally.", no_args_is_help=True)
webhooks_app.command("listen")(listen_command)
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(mappings_app, name="mappings")
app.add_typer(connections_app, name="connections")


@tracking_app.command("rebuild")
def tracking_rebuild() -> None:
    """Rebuild tracking's read models from the goal events topic (with a progress bar), then switch over."""
    # Imported here: the CLI package does not depend on the tracking service.
    from goalstream_tracking.__main__ import run_rebuild
    from goalstream_tracking.settings import TrackingSettings

    raise typer.Exit(run_rebuild(TrackingSettings(**service_addresses())))  # type: ignore[arg-type]


if __name__ == "__main__":
    app()
