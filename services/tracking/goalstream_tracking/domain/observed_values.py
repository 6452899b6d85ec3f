"""One goal as it stood at an observed time: its values folded in observed order by the rules goals decides with.

goals decides a goal's value, milestones, achievement and breaches as each measurement arrives, in recorded order;
a value imported later with an older observed time lands in the log after events that it preceded. This fold
takes the goal's definition as known now and its measurements observed by `at`, sorted by observed time (a tie
keeps the recorded order), and applies `goalstream_rules` to each, as goals would have had they arrived in that
order. Pure: `at` is an argument.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from goalstream_contracts.events import MeasurementRecorded
from goalstream_rules.anti import breach_change, mean, window_values
from goalstream_rules.counting import aggregate, counts_since
from goalstream_rules.plan import late
from goalstream_rules.progress import progress, reached
from goalstream_rules.status import achieves
from goalstream_tracking.domain.node import Episode, GoalNode, _with

_DURATION = TypeAdapter(timedelta)  # a window goals has already validated: read, not judged again


def time_of(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def source_of(m: MeasurementRecorded) -> dict[str, Any]:
    kind = "check_in" if m.comment is not None or m.confidence is not None else "measurement"
    return {
        "kind": kind,
        "measurement_id": m.measurement_id,
        "source": m.source,
        "observed_at": m.observed_at.isoformat(),
        "value": m.value,
        "comment": m.comment,
        "confidence": m.confidence,
    }


def fold_values(node: GoalNode, values: list[MeasurementRecorded], at: datetime) -> tuple[GoalNode, datetime | None]:
    """The node with its value, source, milestones hit and breach episodes as of `at`, and when (observed time)
    a value achieved it, if one did by then. A goal without a metric is left to its rollup."""
    d = node.definition
    metric = d.get("metric")
    if metric is None:
        return node, None
    later_rung = d.get("ladder_id") is not None and (d.get("rung_index") or 1) > 1
    since = counts_since(metric.get("aggregation", "latest"), time_of(d.get("start_at")), later_rung=later_rung)
    span = None if d.get("window") is None else _DURATION.validate_python(d["window"])
    baseline, target, deadline = float(d.get("baseline") or 0.0), d.get("target"), time_of(d.get("deadline"))
    current: float | None = None
    latest: datetime | None = None
    kept: tuple[tuple[datetime, float], ...] = ()
    by_deadline: float | None = None
    achieved_at: datetime | None = None
    source: dict[str, Any] | None = None
    milestones = {m.index: m for m in node.milestones}
    episodes: list[Episode] = []
    for m in sorted((v for v in values if v.observed_at <= at), key=lambda v: v.observed_at):
        if not since.admits(m.observed_at):
            continue
        value: float | None
        if span is not None:
            window = window_values((*kept, (m.observed_at, m.value)), span)
            if (m.observed_at, m.value) not in window:
                continue
            kept, counted, value = window, True, mean(window)
        else:
            counted, value = aggregate(metric.get("aggregation", "latest"), current, latest, m.observed_at, m.value)
        if not counted or value is None:
            continue
        current, latest, source = value, m.observed_at, source_of(m)
        if node.kind == "anti":
            episodes = _breaches(d, episodes, value, m.observed_at)
            continue
        if target is None:
            continue
        raw = progress(value, baseline, float(target))
        for i, ms in milestones.items():
            if ms.state != "hit" and reached(raw, ms.fraction):
                milestones[i] = replace(ms, state="hit", at=m.observed_at, late=late(m.observed_at, ms.due))
        if deadline is not None and m.observed_at <= deadline:
            by_deadline = value
        reaching = by_deadline is not None and reached(progress(by_deadline, baseline, float(target)))
        if achieved_at is None and deadline is not None and achieves(reaching, m.observed_at, deadline):
            achieved_at = m.observed_at
    breached = bool(episodes) and episodes[-1].recovered_at is None
    plan = tuple(milestones[m.index] for m in node.milestones)
    changes = {"current": current, "source": source, "milestones": plan, "episodes": tuple(episodes)}
    return _with(node, breached=breached, **changes), achieved_at


def _breaches(d: dict[str, Any], episodes: list[Episode], value: float, observed_at: datetime) -> list[Episode]:
    open_ = bool(episodes) and episodes[-1].recovered_at is None
    change = breach_change(d["comparator"], float(d["threshold"]), d.get("recovery_threshold"), open_, value)
    if change == "breached":
        return [*episodes, Episode(observed_at, value)]
    if change == "recovered":
        return [*episodes[:-1], replace(episodes[-1], recovered_at=observed_at)]
    return episodes
