"""Which observed values a goal counts, by their observed time: a counter's from its start, a later ladder rung's
only after its unlock, a gauge's whenever observed (an anti-goal's window is `anti.in_window`).

goals applies it to each measurement as it arrives and to the values kept in a metric's series that a goal folds
when it starts, so a value counts the same whichever way it reached the goal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from goalstream_contracts.common import Aggregation


@dataclass(frozen=True)
class Since:
    """The earliest observed time a goal counts: `at` itself too, unless `strictly`; None: every value."""

    at: datetime | None = None
    strictly: bool = False

    def admits(self, observed_at: datetime) -> bool:
        if self.at is None:
            return True
        return observed_at > self.at or (not self.strictly and observed_at == self.at)


def counts_since(aggregation: Aggregation, start_at: datetime | None, *, later_rung: bool) -> Since:
    """A later ladder rung counts only what was observed strictly after its unlock (its `start_at`, the observed time
    of the value that achieved the rung below); a `sum` goal what was observed at or after `start_at`; a gauge
    (`latest`) has no start: its newest value counts, whenever it was observed."""
    if later_rung:
        return Since(start_at, strictly=True)
    if aggregation == "sum":
        return Since(start_at)
    return Since()


def aggregate(
    aggregation: Aggregation,
    current: float | None,
    latest_observed_at: datetime | None,
    observed_at: datetime,
    value: float,
) -> tuple[bool, float | None]:
    """(counts?, the goal's current value after a value observed then): a `sum` adds it; a gauge (`latest`) takes
    it unless it was observed before the newest value it counted (a late gauge value does not replace a newer one).
    goals applies it as values arrive, tracking's observed-time fold in observed order."""
    if aggregation == "sum":
        return True, (current or 0.0) + value
    if latest_observed_at is not None and observed_at < latest_observed_at:
        return False, current
    return True, value
