"""entrypoints layer of the goals service."""
