"""The goals/tracking parity test's parts: draws, the organisation script, its runner, snapshot, checks, reference."""
