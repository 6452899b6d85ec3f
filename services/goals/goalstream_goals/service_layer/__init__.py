"""service_layer layer of the goals service."""
