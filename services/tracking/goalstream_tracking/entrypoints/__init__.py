"""entrypoints layer of the tracking service."""
