"""The rules of the numbers, written once: both the goals service (which decides) and the tracking service (which
shows) import them, so a number cannot mean one thing on the command side and another on the read side.

Pure functions and frozen dataclasses over the standard library and the literal types of
`goalstream_contracts.common`; no I/O, no clock (every function that needs the time takes it).

- `progress`: raw progress, clamping, the EPSILON "reached" test, a goal's value (a parent's from its progress)
- `recount`: which revisions restart a goal's count from its kept values
- `counting`: which observed values a goal counts (from `start_at`, after a rung's unlock)
- `expected`: expected progress, linear or through a plan's points
- `status`: status bands with an organisation's tolerances, and when time alone next moves them
- `rollup`: a parent's numbers from its children (weighted_mean, sum, worst), the worst-status order, a level's mean
- `ladder`: a ladder's progress
- `anti`: an anti-goal's breach and recovery (hysteresis), its window and the window mean
- `plan`: milestone due times and targets (n equal steps, or checkpoints as fractions)
- `checkin`: when a check-in cadence has lapsed
"""
