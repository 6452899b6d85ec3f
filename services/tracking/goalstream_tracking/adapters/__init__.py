"""adapters layer of the tracking service."""
