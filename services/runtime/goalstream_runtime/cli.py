"""The `goalstream` command."""

from __future__ import annotations

import typer
from rich.console import Console

from goalstream_runtime.supervisor import RunSettings
from goalstream_runtime.supervisor import run as run_supervisor

app = typer.Typer(help="goalstream: goals, KPIs and events for large organisations.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """goalstream command-line interface."""


@app.command()
def run() -> None:
    """Run the infrastructure (embedded unless configured) and the three services until Ctrl-C."""
    console = Console()
    try:
        code = run_supervisor(RunSettings(), console)
    except RuntimeError as exc:
        console.print(f"[red]goalstream could not start:[/] {exc}")
        code = 1
    raise typer.Exit(code)


if __name__ == "__main__":
    app()
