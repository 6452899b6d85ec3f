"""What a lifecycle event does to a goal's status and its achieved and missed flags: one fold for both services.

Goals folds these events into its aggregate and tracking into its read model; each keeps its own state type, and
both take the three fields from here, so a goal never reads achieved in one service and missed in the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from goalstream_contracts.common import GoalStatus
from goalstream_rules.status import missed_after

LIFECYCLE_EVENTS = frozenset({"GoalStatusChanged", "GoalAchieved", "GoalMissed"})


@dataclass(frozen=True)
class Lifecycle:
    status: GoalStatus | None
    achieved: bool
    missed: bool


def lifecycle_after(before: Lifecycle, event_type: str, status: GoalStatus | None = None) -> Lifecycle:
    """The status and flags after an event of `event_type` (one of LIFECYCLE_EVENTS; `status` is a
    GoalStatusChanged's new status). Achieved is for good and clears missed; a status change keeps missed only
    while the status stays `missed` (`missed_after`)."""
    if event_type == "GoalAchieved":
        return Lifecycle("achieved", achieved=True, missed=False)
    if event_type == "GoalMissed":
        return Lifecycle("missed", achieved=before.achieved, missed=True)
    if event_type == "GoalStatusChanged" and status is not None:
        return Lifecycle(status, before.achieved, missed_after(before.missed, status))
    raise ValueError(f"{event_type} (status {status}) is not a lifecycle event")
