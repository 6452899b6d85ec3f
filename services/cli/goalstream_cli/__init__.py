"""The `goalstream` command: every command lives here; the services and the runtime hold none."""
