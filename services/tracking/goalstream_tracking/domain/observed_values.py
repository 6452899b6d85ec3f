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
    if node.definition.get("metric") is None:
        return node, None
    count = Count(node)
    for m in in_observed_order(values, at):
        count.add(m)
    return count.node(), count.achieved_at


def in_observed_order(values: list[MeasurementRecorded], at: datetime) -> list[MeasurementRecorded]:
    """The values observed by `at`, oldest observation first; a tie keeps the recorded order (a stable sort)."""
    return sorted((v for v in values if v.observed_at <= at), key=lambda v: v.observed_at)


class Count:
    """A goal's running count (of a goal with a metric), its values added one by one in observed order: the fold
    behind `fold_values`, and behind a goal's series, which reads the node after each value (`domain/series`)."""

    def __init__(self, node: GoalNode) -> None:
        d = node.definition
        self.definition, self.kind, self.plan = d, node.kind, node.milestones
        self._node = node
        self.aggregation = d["metric"].get("aggregation", "latest")
        later_rung = d.get("ladder_id") is not None and (d.get("rung_index") or 1) > 1
        self.since = counts_since(self.aggregation, time_of(d.get("start_at")), later_rung=later_rung)
        self.span = None if d.get("window") is None else _DURATION.validate_python(d["window"])
        self.baseline, self.target = float(d.get("baseline") or 0.0), d.get("target")
        self.deadline = time_of(d.get("deadline"))
        self.current: float | None = None
        self.latest: datetime | None = None
        self.kept: tuple[tuple[datetime, float], ...] = ()
        self.by_deadline: float | None = None
        self.achieved_at: datetime | None = None
        self.source: dict[str, Any] | None = None
        self.milestones = {m.index: m for m in node.milestones}
        self.episodes: list[Episode] = []

    def add(self, m: MeasurementRecorded) -> None:
        """One more value, observed no earlier than those added before."""
        if not self.since.admits(m.observed_at):
            return
        value: float | None
        if self.span is not None:
            window = window_values((*self.kept, (m.observed_at, m.value)), self.span)
            if (m.observed_at, m.value) not in window:
                return
            self.kept, counted, value = window, True, mean(window)
        else:
            counted, value = aggregate(self.aggregation, self.current, self.latest, m.observed_at, m.value)
        if not counted or value is None:
            return
        self.current, self.latest, self.source = value, m.observed_at, source_of(m)
        if self.kind == "anti":
            self.episodes = _breaches(self.definition, self.episodes, value, m.observed_at)
            return
        if self.target is None:
            return
        target = float(self.target)
        raw = progress(value, self.baseline, target)
        for i, ms in self.milestones.items():
            if ms.state != "hit" and reached(raw, ms.fraction):
                self.milestones[i] = replace(ms, state="hit", at=m.observed_at, late=late(m.observed_at, ms.due))
        if self.deadline is not None and m.observed_at <= self.deadline:
            self.by_deadline = value
        reaching = self.by_deadline is not None and reached(progress(self.by_deadline, self.baseline, target))
        if self.achieved_at is None and self.deadline is not None and achieves(reaching, m.observed_at, self.deadline):
            self.achieved_at = m.observed_at

    def node(self) -> GoalNode:
        """The node as the values added so far leave it."""
        breached = bool(self.episodes) and self.episodes[-1].recovered_at is None
        plan = tuple(self.milestones[m.index] for m in self.plan)
        changes = {"current": self.current, "source": self.source, "milestones": plan, "episodes": tuple(self.episodes)}
        return _with(self._node, breached=breached, **changes)


def _breaches(d: dict[str, Any], episodes: list[Episode], value: float, observed_at: datetime) -> list[Episode]:
    open_ = bool(episodes) and episodes[-1].recovered_at is None
    change = breach_change(d["comparator"], float(d["threshold"]), d.get("recovery_threshold"), open_, value)
    if change == "breached":
        return [*episodes, Episode(observed_at, value)]
    if change == "recovered":
        return [*episodes[:-1], replace(episodes[-1], recovered_at=observed_at)]
    return episodes
