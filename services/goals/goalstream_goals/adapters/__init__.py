"""adapters layer of the goals service."""
