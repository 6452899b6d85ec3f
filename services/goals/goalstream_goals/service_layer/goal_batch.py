"""Bulk goal creation: many goals in one transaction, parents named inside the batch by a `ref`.

Each item is decided as `set_goal` decides one goal (decide_set, the parent and guard checks, the kept
values of its metric folded in), parents before their children, and the rollups settle once at the end.
Any refused item refuses the batch: nothing is written. A refusal names the item, `goals.<index>.<field>`,
the way the API names any list item's field.

What makes it cheap is reading and writing in bulk: the existing goals the batch links to in one read,
the kept values of all its metrics in one query, and the session's writes one statement per table. A
new goal has no descendants, so linking it cannot close a cycle: only the batch's own references can,
and those are checked before anything is read.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from goalstream_contracts.events import GoalSet
from goalstream_goals.adapters import event_store, series
from goalstream_goals.domain.define import decide_set
from goalstream_goals.domain.errors import DomainError
from goalstream_goals.domain.goal import Goal
from goalstream_goals.service_layer import idempotency
from goalstream_goals.service_layer.goal_batch_refs import BatchItem, plan
from goalstream_goals.service_layer.goals import (
    IDEMPOTENCY_NAMESPACE,
    GoalsService,
    NotFound,
    check_guarded,
    check_parent,
)
from goalstream_goals.service_layer.series_fold import fold_series, wanted
from goalstream_goals.service_layer.unit_of_work import Session

# Keyed batches derive their goals' ids in a namespace of their own: never the id of a keyed single goal.
BATCH_NAMESPACE = uuid.uuid5(IDEMPOTENCY_NAMESPACE, "goal batch")

__all__ = ["BatchItem", "BatchRecord", "create_goals"]


@dataclass(frozen=True)
class BatchRecord:
    goals: list[Goal]  # in input order, as the transaction left them (a parent's rollup moved its version)
    replayed: bool = False


async def create_goals(
    service: GoalsService,
    org_id: str,
    items: list[BatchItem],
    correlation_id: uuid.UUID,
    idempotency_key: str | None = None,
) -> BatchRecord:
    batch = plan(items)
    ids = [_goal_id(org_id, idempotency_key, i) for i in range(len(items) + 1)]  # one past the end: see _replayed
    ids, beyond = ids[:-1], ids[-1]
    fields = [_resolved(item, batch.parents.get(i), ids) for i, item in enumerate(items)]
    async with service.session(org_id, correlation_id) as s:
        if idempotency_key is not None and await _replayed(s, fields, ids, beyond):
            return BatchRecord([_known(s, g) for g in ids], replayed=True)
        await s.load_goals([v for f in fields for v in (f.get("parent_id"), f.get("guards")) if v is not None])
        await s.tree.load(ids)  # none has a row: read at once rather than one query each
        s.new_streams.update(ids)
        created: list[Goal] = []
        for i in batch.order:
            with _item(i):
                definition = _definition(ids[i], {"start_at": s.now, **fields[i]})
                if definition.parent_id is not None:
                    check_parent(definition.parent_id, s.known(definition.parent_id))
                if definition.guards is not None:
                    check_guarded(definition.guards, s.known(definition.guards))
                events = decide_set(definition, s.now, s.tolerances)
            event_ids = [uuid.uuid5(uuid.UUID(ids[i]), str(n)) for n in range(len(events))] if idempotency_key else None
            created.append(await s.commit(None, events, event_ids=event_ids))
        kept = await series.newest_many(s.conn, org_id, [w for g in created if (w := wanted(g)) is not None])
        for goal in created:
            await fold_series(s, goal, stored=kept.get(goal.goal_id, []))
        await s.flush()  # the new rows in place, so settling rolls the new tree up deepest first
    return BatchRecord([_known(s, g) for g in ids])


def _goal_id(org_id: str, key: str | None, index: int) -> str:
    return str(uuid.uuid5(BATCH_NAMESPACE, f"{org_id}:{key}:{index}") if key is not None else uuid.uuid4())


def _resolved(item: BatchItem, parent: int | None, ids: list[str]) -> dict[str, Any]:
    return item.fields if parent is None else {**item.fields, "parent_id": ids[parent]}


def _definition(goal_id: str, fields: dict[str, Any]) -> GoalSet:
    try:
        return GoalSet(goal_id=goal_id, **fields)
    except ValidationError as exc:  # the request's schema holds the same bounds: a guard, not a path
        location = exc.errors()[0]["loc"]
        raise DomainError(exc.errors()[0]["msg"], str(location[0]) if location else None) from exc


@contextlib.contextmanager
def _item(index: int) -> Iterator[None]:
    """A refusal of one item names it: `goals.3.target`, `goals.3.parent_id`."""
    try:
        yield
    except NotFound as exc:
        raise NotFound(exc.ref, f"goals.{index}.{exc.field}") from exc
    except DomainError as exc:
        raise DomainError(str(exc), f"goals.{index}" + (f".{exc.field}" if exc.field else ""), exc.code) from exc


async def _replayed(s: Session, fields: list[dict[str, Any]], ids: list[str], beyond: str) -> bool:
    """Whether the key made this batch already (then its goals are loaded); 422 naming the header if another.

    `beyond` is the id an item after the last would have: if it exists, the key made a longer batch."""
    probe = [idempotency.first_event_id(g) for g in [*ids, beyond]]
    stored = {e.stream_id: e.payload for e in await event_store.stored(s.conn, probe)}
    if not stored:
        return False
    same = (
        len(stored) == len(ids)
        and beyond not in stored
        and all(
            isinstance(p := stored.get(g), GoalSet) and idempotency.same_request(p, f, s.now, s.tolerances)
            for g, f in zip(ids, fields, strict=True)
        )
    )
    if not same:
        raise DomainError(
            f"this {idempotency.HEADER} was first used with a different batch; send that batch again to get the"
            " goals it made, or use a new key for a new batch",
            idempotency.HEADER,
            "idempotency_key_reused",
        )
    await s.load_goals(ids)
    return True


def _known(s: Session, goal_id: str) -> Goal:
    goal = s.known(goal_id)
    assert goal is not None, f"goal {goal_id} was created or loaded by this session"
    return goal
