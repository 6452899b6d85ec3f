"""domain layer of the tracking service."""
