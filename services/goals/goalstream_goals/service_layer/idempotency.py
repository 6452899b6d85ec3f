"""An `Idempotency-Key` sent again: the same body replays the goal it made, another body is refused.

The key names the goal (its id is derived from the organisation and the key) and the goal's first
event, GoalSet, is stored under a derived id too, so the request that made it can be compared without
keeping request bodies: the body sent again is decided as a new goal would be, and its GoalSet must
equal the stored one. A body that leaves `start_at` out means "now", which for the first request was
the stored start, so it is compared with that. As the IETF idempotency-key draft says, reusing a key
for another request is the client's mistake, answered 422 naming the header.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from goalstream_contracts.events import GoalSet
from goalstream_goals.adapters import event_store
from goalstream_goals.domain.define import decide_set
from goalstream_goals.domain.errors import DomainError
from goalstream_goals.service_layer.unit_of_work import Session
from goalstream_rules.status import Tolerances

HEADER = "Idempotency-Key"


def first_event_id(goal_id: str) -> uuid.UUID:
    """The id of a keyed goal's GoalSet (`set_goal` derives its events' ids the same way)."""
    return uuid.uuid5(uuid.UUID(goal_id), "0")


async def check_same_request(s: Session, goal_id: str, fields: dict[str, Any]) -> None:
    """Raise a 422 DomainError naming the header unless `fields` would set the goal exactly as it was set."""
    stored = await event_store.stored(s.conn, [first_event_id(goal_id)])
    if not stored or not isinstance(stored[0].payload, GoalSet):
        return  # made before its events had derived ids: nothing to compare with, so replay as before
    if not same_request(stored[0].payload, fields, s.now, s.tolerances):
        raise DomainError(
            f"this {HEADER} was first used with a different body; send that body again to get the goal it made,"
            " or use a new key for a new goal",
            HEADER,
            "idempotency_key_reused",
        )


def same_request(original: GoalSet, fields: dict[str, Any], now: datetime, tolerances: Tolerances) -> bool:
    """Whether `fields` would set the goal exactly as `original` (its stored GoalSet) set it."""
    try:
        again = GoalSet(goal_id=original.goal_id, **{"start_at": original.start_at, **fields})
        return decide_set(again, now, tolerances)[0] == original
    except (DomainError, ValueError):
        return False  # not even a valid goal now: certainly not the body that made it
