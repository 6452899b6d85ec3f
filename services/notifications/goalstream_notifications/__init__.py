"""goalstream notifications service: turns goal events into signed webhook deliveries, retried until done or dead."""
