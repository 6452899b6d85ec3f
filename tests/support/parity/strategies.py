"""Hypothesis strategies for organisations: small on purpose, each example runs on the real services."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.support.parity.draws import GoalDraw, LadderDraw, MoveDraw, OpDraw, OrgDraw, ReadingDraw, RevisionDraw

SLOTS = st.integers(0, 4)


def _sometimes(values: st.SearchStrategy[int], times: int, out_of: int) -> st.SearchStrategy[int | None]:
    """A value about `times` in `out_of` draws, else None (and None is what it shrinks to)."""
    return st.tuples(st.integers(1, out_of), values).map(
        lambda t: t[1] if t[0] > out_of - times else None
    )  # taken modulo the batches + 1: most goals come first, some between batches


goal_draws = st.builds(
    GoalDraw,
    kind=st.sampled_from(["hard", "hard", "hard", "hard", "anti"]),
    measured=st.booleans(),  # hard goals: a metric of their own, or a parent that rolls up its children
    metric_pick=st.integers(0, 3),
    aggregation=st.sampled_from(["latest", "sum"]),
    rollup=st.sampled_from(["weighted_mean", "sum", "worst"]),
    parent_pick=_sometimes(st.integers(0, 3), 3, 4),  # most goals are in the tree
    weight=st.sampled_from([1.0, 0.5, 2.0, 3.0]),
    baseline=st.sampled_from([0.0, 10.0]),
    span=st.sampled_from([20.0, 40.0, -10.0]),  # -10: a decreasing target
    short=st.sampled_from([False, False, False, True]),  # a deadline that passes while the example runs
    slot=st.one_of(st.just(0), SLOTS),
    comparator=st.sampled_from(["above", "below"]),
    wide_recovery=st.booleans(),  # hysteresis: recover only 8 below (above) the threshold
    window=st.sampled_from([None, "P2D", "P7D"]),
)

ladder_draws = st.builds(
    LadderDraw,
    aggregation=st.sampled_from(["sum", "latest"]),
    first=st.sampled_from([10.0, 20.0]),
    step=st.sampled_from([5.0, 15.0]),
)

reading_draws = st.builds(
    ReadingDraw,
    metric_pick=st.integers(0, 9),
    value=st.integers(0, 30),
    hour=st.integers(0, 480),  # observed over 20 days: later readings are often older (late gauge values)
    dup_pick=_sometimes(st.integers(0, 20), 1, 7),  # an id sent before: one effect only
    checkin_pick=_sometimes(st.integers(0, 5), 1, 4),
    confidence=st.none() | st.sampled_from([0.0, 0.5, 1.0]),
)

op_draws = st.builds(
    OpDraw,
    kind=st.sampled_from(["reparent", "archive", "plan"]),
    slot=st.integers(1, 4),  # between or after batches: changes to a tree that already has numbers
    goal_pick=st.integers(0, 6),
    parent_pick=st.none() | st.integers(0, 3),
    milestones=st.integers(1, 4),
)

revision_draws = st.builds(
    RevisionDraw,
    # What counts (metric, start_at, window) more often than the rest: it recounts. `extend` waits for a short
    # goal's deadline to pass (about SHORT of the budget each): rarer.
    kind=st.sampled_from(
        [
            *("metric", "metric", "metric", "aggregation", "later", "later", "earlier", "earlier", "earlier"),
            *("window", "window", "target", "target", "baseline", "deadline", "deadline", "extend"),
        ]
    ),
    slot=st.integers(1, 4),  # after a batch, mostly: revisions of goals that already count values
    goal_pick=st.integers(0, 6),
    pick=st.integers(0, 5),
)

move_draws = st.builds(
    MoveDraw,
    slot=st.integers(1, 4),  # between batches, or after the last
    # Past DEADLINE (every goal's, the first rung's) first, what hypothesis tries most and shrinks to; then an
    # hour (a status band, a milestone) and days (milestones, a revised deadline 10 days on).
    hours=st.sampled_from([24 * 32, 24 * 40, 1, 20, 24 * 6, 24 * 12]),
)

organisations = st.builds(
    OrgDraw,
    goals=st.lists(goal_draws, min_size=2, max_size=7).map(tuple),
    ladders=st.lists(ladder_draws, max_size=1).map(tuple),
    batches=st.lists(st.lists(reading_draws, min_size=1, max_size=8).map(tuple), min_size=1, max_size=4).map(tuple),
    ops=st.lists(op_draws, min_size=1, max_size=5).map(tuple),
    revisions=st.lists(revision_draws, min_size=2, max_size=8).map(tuple),
    moves=st.lists(move_draws, max_size=2).map(tuple),  # drawn last: the seed's other draws stay as they were
)
