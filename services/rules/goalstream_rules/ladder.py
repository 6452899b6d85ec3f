"""A ladder's progress: the rungs climbed, and how far up the current one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from goalstream_rules.progress import clamp01

RungState = Literal["achieved", "missed", "archived", "locked", "active"]


@dataclass(frozen=True)
class Rung:
    """A rung goal as its ladder sees it."""

    achieved: bool
    active: bool  # unlocked and not archived
    progress: float | None  # raw; None: no progress yet


def ladder_progress(achieved_rungs: int, current_rung_progress: float | None, rungs: int) -> float:
    """(achieved rungs + clamped progress of the current rung) / number of rungs."""
    if achieved_rungs >= rungs:
        return 1.0
    return (achieved_rungs + clamp01(current_rung_progress or 0.0)) / rungs


def climbed(rungs: Sequence[Rung]) -> float:
    """A ladder's progress from its rungs in order: the current rung is the first active one not achieved (an
    archived rung has left the numbers, like an archived goal leaves its parent's, so it brings nothing)."""
    current = next((r for r in rungs if r.active and not r.achieved), None)
    return ladder_progress(sum(r.achieved for r in rungs), None if current is None else current.progress, len(rungs))


def rung_state(*, achieved: bool, missed: bool, archived: bool, locked: bool) -> RungState:
    """What a rung shows, the first that holds: achieved (even if archived since), missed, archived, locked, active."""
    if achieved:
        return "achieved"
    if missed:
        return "missed"
    if archived:
        return "archived"
    return "locked" if locked else "active"


def rung_shown_progress(state: RungState, raw: float | None) -> float | None:
    """A rung not yet unlocked, or archived before it was achieved, shows no progress: it is not being climbed."""
    return None if state in ("locked", "archived") else raw
