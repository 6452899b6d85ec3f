"""The `goalstream` command: the runtime's commands (run, import, tail, lag, admin, tracking) and `goals`.

The runtime's typer app is extended, not copied, so its commands keep working as they move here one by one.
"""

from __future__ import annotations

import typer

from goalstream_cli.goals_import import goals_import_command
from goalstream_runtime.cli import app

goals_app = typer.Typer(help="Goals through the goals API.", no_args_is_help=True)
goals_app.command("import")(goals_import_command)
app.add_typer(goals_app, name="goals")

__all__ = ["app"]
