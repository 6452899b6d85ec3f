"""Which revisions change what a goal's values add up to, so its running aggregate starts again.

A goal's current value is an aggregate of the values it counted: which metric, how they combine
(`sum` from `start_at`, `latest`, a `window`'s mean) and from when. A revision of any of those
makes the old aggregate meaningless for the new definition (a `sum` would mix two metrics' numbers,
or keep values observed before a later start), so the goal forgets it (current value, the newest
counted observation, the window's values, the value by the deadline) and counts again from the
values kept for the new definition. goals resets its aggregate and refolds the kept series; tracking
resets the current value it shows; both read this one list. Status, achievement, missed and the
milestones already hit are facts that happened and are not reset.
"""

from __future__ import annotations

from collections.abc import Iterable

# The fields of a goal definition whose revision recounts: `metric` covers its key and its aggregation.
RECOUNT_FIELDS: frozenset[str] = frozenset({"metric", "start_at", "window"})


def recounts(changed: Iterable[str]) -> bool:
    """Does a revision of these fields restart the goal's count from its kept values?"""
    return not RECOUNT_FIELDS.isdisjoint(changed)
