"""domain layer of the goals service."""
