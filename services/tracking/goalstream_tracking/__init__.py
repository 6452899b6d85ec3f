"""goalstream tracking service: read models of goal progress, built from the goal events."""
