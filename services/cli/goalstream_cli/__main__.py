"""`python -m goalstream_cli`: the `goalstream` command."""

from goalstream_cli.main import app

app(prog_name="goalstream")
