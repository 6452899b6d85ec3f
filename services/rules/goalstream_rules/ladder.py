"""A ladder's progress: the rungs climbed, and how far up the current one."""

from __future__ import annotations

from goalstream_rules.progress import clamp01


def ladder_progress(achieved_rungs: int, current_rung_progress: float | None, rungs: int) -> float:
    """(achieved rungs + clamped progress of the current rung) / number of rungs."""
    if achieved_rungs >= rungs:
        return 1.0
    return (achieved_rungs + clamp01(current_rung_progress or 0.0)) / rungs
