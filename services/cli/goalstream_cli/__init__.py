"""The `goalstream` command. New commands live here, not in goalstream_runtime (which still holds the older ones)."""
