"""A node as the API shows it (`GoalProgress`), kept as JSON text on the node's row when the node is written.

Two fields depend on the time of the answer, not on the node: `expected_progress` (from the goal's start,
deadline and plan, kept beside the view as `plan_json`) and `as_of`. A query adds them to the stored text,
so an answer is built from stored JSON with no per-node model validation (issue 17, item 4). `fields` is also
what `GoalProgress.of` validates, so both paths show the same names and values (a unit test holds them to it).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic_core import to_json

from goalstream_contracts.common import Rollup
from goalstream_rules.expected import expected_progress
from goalstream_rules.progress import clamp01
from goalstream_rules.rollup import contributions
from goalstream_tracking.domain.node import GoalNode


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def fields(n: GoalNode) -> dict[str, Any]:
    """`GoalProgress`'s fields but `expected_progress` and `as_of`, in its order."""
    d = n.definition
    source: dict[str, Any] | None = n.source
    if d.get("metric") is None and n.rolled_from:
        rollup: Rollup = d.get("rollup") or "weighted_mean"
        added = contributions(rollup, [(w, v) for _, w, v in n.rolled_from])
        source = {
            "kind": "rollup",
            "rollup": rollup,
            "children": [
                {"goal_id": g, "weight": w, "value": v, "contribution": c}
                for (g, w, v), c in zip(n.rolled_from, added, strict=True)
            ],
        }
    return {
        "goal_id": n.goal_id,
        "title": n.title,
        "kind": n.kind,
        "level": n.level,
        "owner": d.get("owner"),
        "parent_id": n.parent_id,
        "ladder_id": d.get("ladder_id"),
        "rung": (d.get("rung_index") or 1) if d.get("ladder_id") is not None else None,
        "weight": float(d.get("weight", 1.0)),
        "rollup": d.get("rollup"),
        "metric": (d.get("metric") or {}).get("key"),
        "unit": d.get("unit"),
        "baseline": _float(d.get("baseline", 0.0 if n.kind == "hard" else None)),
        "target": _float(d.get("target")),
        "start_at": d.get("start_at"),
        "deadline": d.get("deadline"),
        "current_value": n.rollup_current if n.rollup_current is not None else n.current,
        "progress": n.progress,
        "progress_clamped": None if n.progress is None else clamp01(n.progress),
        "status": n.status,
        "achieved": n.achieved,
        "missed": n.missed,
        "archived": n.archived,
        "breached": n.breached if n.kind == "anti" else None,
        "open_breaches": n.open_breaches,
        "counts": n.counts,
        "milestones": [
            {"index": m.index, "due": m.due, "target": m.target, "state": m.state, "at": m.at, "late": m.late}
            for m in n.milestones
        ],
        "source": source,
        "version": n.version,
    }


def view_json(n: GoalNode) -> str:
    return to_json(fields(n)).decode()


def plan_json(n: GoalNode) -> str | None:
    """What the expected progress is worked out from at the time of an answer; None: the goal has none."""
    d = n.definition
    if n.kind != "hard" or d.get("start_at") is None or d.get("deadline") is None:
        return None
    return json.dumps([d["start_at"], d["deadline"], [[m.due.isoformat(), m.fraction] for m in n.milestones]])


def expected_of(plan: str | None, at: datetime) -> float | None:
    if plan is None:
        return None
    start_at, deadline, points = json.loads(plan)
    steps = [(datetime.fromisoformat(due), float(fraction)) for due, fraction in points]
    return expected_progress(at, datetime.fromisoformat(start_at), datetime.fromisoformat(deadline), steps)


class Answer:
    """Completes stored views for one answer's time; goals sharing a plan (most do) work it out once."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self._as_of = to_json(at).decode()
        self._tails: dict[str | None, str] = {}

    def goal(self, view: str, plan: str | None) -> str:
        tail = self._tails.get(plan)
        if tail is None:
            expected = to_json(expected_of(plan, self.at)).decode()
            tail = self._tails[plan] = f',"expected_progress":{expected},"as_of":{self._as_of}}}'
        return view[:-1] + tail
