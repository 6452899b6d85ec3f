"""service_layer layer of the tracking service."""
