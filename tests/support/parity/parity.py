"""Goals' view of every goal and ladder against tracking's, field by field."""

from __future__ import annotations

from typing import Any

from tests.support.parity.expectations import same
from tests.support.parity.snapshot import Snapshot

EXACT = ("status", "achieved", "missed", "archived")
NUMBERS = ("current_value", "progress")


def _milestones(goals: dict[str, Any], tracking: dict[str, Any]) -> list[str]:
    """Goals lists hit and missed indices (a milestone hit late after its miss is in both); tracking a state each."""
    hit, missed = set(goals["milestones_hit"]), set(goals["milestones_missed"])
    states = {m["index"]: m["state"] for m in tracking["milestones"]}
    theirs = {s: {i for i, x in states.items() if x == s} for s in ("hit", "missed")}
    if (hit, missed - hit) != (theirs["hit"], theirs["missed"]):
        return [f"milestones hit/missed: goals {sorted(hit)}/{sorted(missed - hit)}, tracking {states}"]
    return []


def goal_problems(snap: Snapshot) -> list[str]:
    problems: list[str] = []
    for ref in snap.ids:
        g, t = snap.goals[ref], snap.tracking[ref]
        found = [f"{n}: goals {g[n]!r}, tracking {t[n]!r}" for n in EXACT if g[n] != t[n]]
        found += [f"{n}: goals {g[n]!r}, tracking {t[n]!r}" for n in NUMBERS if not same(g[n], t[n])]
        if g["kind"] == "anti" and g["breached"] != t["breached"]:
            found.append(f"breached: goals {g['breached']}, tracking {t['breached']}")
        found += _milestones(g, t)
        problems += [f"{ref} {p}" for p in found]
    return problems


def _rung_state(goal: dict[str, Any], index: int) -> str:
    """A rung's state in tracking's words, from goals' view of the rung goal: the first that holds of achieved
    (even if archived since), missed, archived, locked (a later rung not started), active."""
    for state in ("achieved", "missed", "archived"):
        if goal[state]:
            return state
    return "locked" if index > 1 and "start_at" not in goal["definition"] else "active"


def ladder_problems(snap: Snapshot) -> list[str]:
    problems: list[str] = []
    for ref in snap.ladder_ids:
        g, t = snap.ladders[ref], snap.tracking_ladders[ref]
        if g["current_rung"] != t["current_rung"] or not same(g["progress"], t["progress"]):
            problems.append(
                f"{ref} current rung/progress: goals {g['current_rung']}/{g['progress']}, "
                f"tracking {t['current_rung']}/{t['progress']}"
            )
        for mine, theirs in zip(g["rungs"], t["rungs"], strict=True):
            rung = f"{ref}.{mine['index']}"
            state = _rung_state(snap.goals[rung], mine["index"])
            if (state, mine["goal_id"]) != (theirs["state"], theirs["goal_id"]):
                problems.append(f"{rung} state: goals {mine['state']} ({state}), tracking {theirs['state']}")
            if not same(mine["progress"], theirs["progress"]):
                why = f"goals' rung state {mine['state']}, tracking's {theirs['state']}"
                problems.append(f"{rung} progress: goals {mine['progress']}, tracking {theirs['progress']} ({why})")
    return problems
