"""Disagreements the parity test found, kept as explicit examples: each runs first, on every run, shrunk.

- A `worst` parent with a short deadline, over a child with a short deadline: both are missed, then the
  parent's deadline is extended 30 days. A missed goal whose deadline is extended past now is live again
  (docs/decisions.md "Revisions, late values and milestones"), but both services kept the parent missed:
  its status is its worst child's, `missed`, so no status moved off `missed` to clear it. Fixed: a new
  deadline clears `missed` by itself (goalstream_rules.status.missed_after_revision).
"""

from __future__ import annotations

from dataclasses import replace

from tests.support.parity.draws import GoalDraw, OrgDraw, ReadingDraw, RevisionDraw

_SHORT_PARENT = GoalDraw(
    kind="hard",
    measured=False,
    metric_pick=0,
    aggregation="latest",
    rollup="worst",
    parent_pick=None,
    weight=1.0,
    baseline=0.0,
    span=20.0,
    short=True,
    slot=0,
    comparator="above",
    wide_recovery=False,
    window=None,
)

EXTENDED_WORST_PARENT = OrgDraw(
    goals=(_SHORT_PARENT, replace(_SHORT_PARENT, rollup="weighted_mean", parent_pick=0)),  # a child of the first
    ladders=(),
    batches=((ReadingDraw(metric_pick=0, value=0, hour=0, dup_pick=None, checkin_pick=None, confidence=None),),),
    ops=(),
    revisions=(RevisionDraw(kind="extend", slot=1, goal_pick=0, pick=0),),
)
