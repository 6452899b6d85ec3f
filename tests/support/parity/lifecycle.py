"""The lifecycle events on the topic against both services' final read models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from goalstream_contracts.base import Payload
from goalstream_contracts.events import (
    AntiGoalBreached,
    AntiGoalRecovered,
    GoalAchieved,
    GoalArchived,
    GoalMissed,
    GoalPlanned,
    GoalRevised,
    GoalStatusChanged,
    LadderRungUnlocked,
    MeasurementRecorded,
    MilestoneHit,
    MilestoneMissed,
)
from tests.support.parity.expectations import same
from tests.support.parity.snapshot import Snapshot

Episode = tuple[datetime, float, datetime | None]
# Revisions of these fields start the count again (docs/decisions.md "Revisions recount"), so the values counted
# before one no longer make the current value. Written here, not imported: the check must not share the rule.
RECOUNT = frozenset({"metric", "start_at", "window"})


def _since_recount(events: list[Payload]) -> list[Payload]:
    """The events after the last revision of what counts (all of them without one)."""
    recounts = [i for i, e in enumerate(events) if isinstance(e, GoalRevised) and RECOUNT & set(e.changed)]
    return events[recounts[-1] + 1 :] if recounts else events


def _missed(events: list[Payload]) -> bool:
    """Missed: a GoalMissed after the last deadline revision, and never achieved. A new deadline clears `missed`
    by itself (the goal is judged against it again: missed again at once if it has passed too)."""
    if any(isinstance(e, GoalAchieved) for e in events):
        return False
    last_revision = max(
        (i for i, e in enumerate(events) if isinstance(e, GoalRevised) and "deadline" in e.changed), default=-1
    )
    return any(isinstance(e, GoalMissed) for e in events[last_revision + 1 :])


def _episodes(events: list[Payload]) -> list[Episode]:
    out: list[Episode] = []
    for e in events:
        if isinstance(e, AntiGoalBreached):
            out.append((e.breached_at, e.value, None))
        elif isinstance(e, AntiGoalRecovered) and out and out[-1][2] is None:
            out[-1] = (*out[-1][:2], e.recovered_at)
    return out


def _their_episodes(anti: dict[str, Any]) -> list[Episode]:
    def at(text: str | None) -> datetime | None:
        return None if text is None else datetime.fromisoformat(text)

    return [(at(e["breached_at"]), e["value"], at(e["recovered_at"])) for e in anti["episodes"]]  # type: ignore[misc]


def _goal(events: list[Payload], g: dict[str, Any], t: dict[str, Any], anti: dict[str, Any] | None) -> list[str]:
    out: list[str] = []
    kinds = [type(e) for e in events]
    statuses = [e.status for e in events if isinstance(e, GoalStatusChanged)]
    last = statuses[-1] if statuses else None
    if not last == g["status"] == t["status"]:
        out.append(f"last GoalStatusChanged {last}, status goals {g['status']} tracking {t['status']}")
    achieved, missed = kinds.count(GoalAchieved), kinds.count(GoalMissed)
    deadlines_missed = [e.deadline for e in events if isinstance(e, GoalMissed)]
    once_per_deadline = len(deadlines_missed) == len(set(deadlines_missed))
    if achieved != int(g["achieved"]) or achieved != int(t["achieved"]) or not once_per_deadline:
        out.append(
            f"{achieved} GoalAchieved, {missed} GoalMissed; achieved goals {g['achieved']} tracking {t['achieved']}"
        )
    if not _missed(events) == g["missed"] == t["missed"]:
        out.append(f"{missed} GoalMissed, {achieved} GoalAchieved; missed goals {g['missed']} tracking {t['missed']}")
    if not (GoalArchived in kinds) == g["archived"] == t["archived"]:
        out.append(
            f"GoalArchived sent: {GoalArchived in kinds}; archived goals {g['archived']} tracking {t['archived']}"
        )
    plans = [i for i, e in enumerate(events) if isinstance(e, GoalPlanned)]
    since = events[plans[-1] :] if plans else []
    hits = sorted({e.milestone_index for e in since if isinstance(e, MilestoneHit)})
    misses = sorted({e.milestone_index for e in since if isinstance(e, MilestoneMissed)})
    if (hits, misses) != (sorted(g["milestones_hit"]), sorted(g["milestones_missed"])):
        out.append(
            f"MilestoneHit {hits} MilestoneMissed {misses}; goals {g['milestones_hit']} {g['milestones_missed']}"
        )
    if g["definition"].get("metric") is not None:
        since = _since_recount(events)
        values = [e.current_value for e in since if isinstance(e, MeasurementRecorded) and e.counted]
        if not same(values[-1] if values else None, g["current_value"]):
            out.append(f"last counted MeasurementRecorded {values[-1:]}, current_value goals {g['current_value']}")
    if anti is not None:
        episodes = _episodes(events)
        open_ = bool(episodes) and episodes[-1][2] is None
        if episodes != _their_episodes(anti) or not open_ == g["breached"] == t["breached"]:
            out.append(f"episodes {episodes}, tracking {anti['episodes']}; breached goals {g['breached']}")
    return out


def lifecycle_problems(snap: Snapshot) -> list[str]:
    problems: list[str] = []
    for ref, goal_id in snap.ids.items():
        events = [e.payload for e in snap.events[goal_id]]
        problems += [f"{ref} {p}" for p in _goal(events, snap.goals[ref], snap.tracking[ref], snap.anti.get(ref))]
    for ref, ladder_id in snap.ladder_ids.items():
        problems += [f"{ref} {p}" for p in _ladder(snap, ref, [e.payload for e in snap.events[ladder_id]])]
    return problems


def _ladder(snap: Snapshot, ref: str, events: list[Payload]) -> list[str]:
    """Each unlock: the rung starts then, the rung before was achieved then; the current rung follows."""
    out: list[str] = []
    unlocks = [e for e in events if isinstance(e, LadderRungUnlocked)]
    rungs = [f"{ref}.{r['index']}" for r in snap.ladders[ref]["rungs"]]
    top = snap.goals[rungs[-1]]["achieved"]
    current = None if top else max([1, *(u.rung_index for u in unlocks)])
    if not current == snap.ladders[ref]["current_rung"] == snap.tracking_ladders[ref]["current_rung"]:
        out.append(f"unlocked {[u.rung_index for u in unlocks]}: current rung {snap.ladders[ref]['current_rung']}")
    for u in unlocks:
        rung, before = (snap.events[snap.ids[rungs[u.rung_index - k]]] for k in (1, 2))
        starts = [
            e.payload.start_at for e in rung if isinstance(e.payload, GoalRevised) and "start_at" in e.payload.changed
        ]
        achieved = [e.payload.achieved_at for e in before if isinstance(e.payload, GoalAchieved)]
        if starts != [u.unlocked_at] or achieved != [u.unlocked_at]:
            out.append(
                f"rung {u.rung_index} unlocked at {u.unlocked_at}: started {starts}, rung before achieved {achieved}"
            )
    return out
