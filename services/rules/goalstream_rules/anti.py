"""Anti-goals: when a guarded value is in breach, when the breach is over (hysteresis), and the window mean."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from goalstream_contracts.common import Comparator


def in_breach(comparator: Comparator, threshold: float, value: float) -> bool:
    return value > threshold if comparator == "above" else value < threshold


def recovered(comparator: Comparator, recovery_threshold: float, value: float) -> bool:
    """Hysteresis: a breach ends only once the value is back on the safe side of the recovery threshold."""
    return value <= recovery_threshold if comparator == "above" else value >= recovery_threshold


def safe_recovery(comparator: Comparator, threshold: float, recovery_threshold: float) -> bool:
    """A recovery threshold must lie on the safe side of the threshold (at or below it for `above`, at or above it
    for `below`), or a value could open a breach and end it at once."""
    return recovery_threshold <= threshold if comparator == "above" else recovery_threshold >= threshold


def in_window(observed_at: datetime, newest: datetime, window: timedelta) -> bool:
    """Is a value observed then inside the window that ends at the newest observation? The window is
    (newest - window, newest]: a value observed exactly `window` before the newest has left it."""
    return observed_at > newest - window


def window_values(values: Sequence[tuple[datetime, float]], window: timedelta) -> tuple[tuple[datetime, float], ...]:
    """The values observed within `window` of the newest observation (`in_window`), oldest first."""
    if not values:
        return ()
    newest = max(t for t, _ in values)
    return tuple(sorted((t, v) for t, v in values if in_window(t, newest, window)))


def mean(values: Sequence[tuple[datetime, float]]) -> float:
    """The window's value: the mean of the values in it."""
    return sum(v for _, v in values) / len(values)


def breach_change(
    comparator: Comparator, threshold: float, recovery_threshold: float | None, breached: bool, value: float
) -> Literal["breached", "recovered"] | None:
    """What a new value does to an anti-goal: opens a breach (none open and `in_breach`), ends the open one
    (`recovered` past the recovery threshold, the threshold itself when none is set), or nothing."""
    if not breached:
        return "breached" if in_breach(comparator, threshold, value) else None
    return "recovered" if recovered(comparator, recovery_at(threshold, recovery_threshold), value) else None


def recovery_at(threshold: float, recovery_threshold: float | None) -> float:
    """Where an open breach ends: the recovery threshold, or the threshold itself when none is set."""
    return threshold if recovery_threshold is None else recovery_threshold
