"""An organisation's enabled subscriptions, read once per consumer batch instead of once per event.

The consumer applies a batch's events one by one inside one transaction. The first event of an
organisation reads its subscriptions `FOR SHARE` (`subscriptions.enabled_filters`); the rows stay
share-locked until that transaction ends, so none of them can be disabled or changed meanwhile
and the answer holds for the organisation's later events of the batch. A subscription created
while the batch is applied is seen from the next batch on: the batch's records were all fetched
before it existed, so it is as if the batch were applied at once, before it (docs/decisions.md,
"Fewer statements per webhook"). Nothing is kept across transactions.
"""

from __future__ import annotations

from goalstream_notifications.adapters import subscriptions
from goalstream_notifications.domain.subscription import SubscriptionFilter
from goalstream_runtime.consumer_batch import BATCH_TRANSACTION
from goalstream_runtime.db import Connection


class BatchFilters:
    def __init__(self) -> None:
        # The consumer transaction the answers belong to (its token, held so that it cannot be reused) and them.
        self._transaction: object | None = None
        self._by_org: dict[str, list[SubscriptionFilter]] = {}

    async def enabled(self, conn: Connection, org_id: str) -> list[SubscriptionFilter]:
        # Outside a consumer's batch transaction (a test calling fan-out directly) every call reads.
        transaction = BATCH_TRANSACTION.get()
        if transaction is None:
            return await subscriptions.enabled_filters(conn, org_id)
        if transaction is not self._transaction:
            self._transaction, self._by_org = transaction, {}
        found = self._by_org.get(org_id)
        if found is None:
            found = self._by_org[org_id] = await subscriptions.enabled_filters(conn, org_id)
        return found
