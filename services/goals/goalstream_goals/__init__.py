"""goalstream goals service: the command side and the only writer of goal events."""
