"""Which failures a consumer waits out and which are one record's own: the one rule every consumer follows.

A transient failure is the infrastructure's: the database or the broker cannot be reached, is
shutting down or out of resources, or aborted a transaction to settle a conflict. Trying again
later fixes it, so the batch is redelivered for as long as it lasts and no record is dead-lettered
for it. Any other error raised while applying a record is that record's own (it does not fit the
code, or trips a bug): it gets `ATTEMPTS` tries on its own, then goes to the DLQ with the reason,
and its partition moves on.
"""

from __future__ import annotations

import asyncpg
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError, ProducerClosed

# Tries of a record on its own (after its batch failed) before it is dead-lettered. An error that is
# the record's own is almost always the same each time; three tries ride out a rare one that is not.
ATTEMPTS = 3
# Pause before the next try of a failing record, times the try's number: short, as the partition waits.
PAUSE_SECONDS = 0.05
REASON_CHARS = 1000

# SQLSTATE classes of a server that cannot serve now but will: connection exception (08), insufficient
# resources (53), operator intervention (57: shutdown, cannot connect now, query cancelled), system error (58).
_TRANSIENT_CLASSES = ("08", "53", "57", "58")
# Single conditions that trying again settles: serialization failure, deadlock, statement completion
# unknown, lock not available, a read-only transaction (a standby, during a failover).
_TRANSIENT_STATES = frozenset({"40001", "40P01", "40003", "55P03", "25006"})
_BROKER_DOWN = (KafkaConnectionError, KafkaTimeoutError, ProducerClosed)


def is_transient(exc: BaseException, also: tuple[type[BaseException], ...] = ()) -> bool:
    """Whether `exc` is the infrastructure's (retry without end) rather than the record's (dead-letter it).

    `also` adds a service's own transient errors (goals' lost race for a goal's version).
    """
    if isinstance(exc, also):
        return True
    if isinstance(exc, asyncpg.PostgresError):
        state = str(getattr(exc, "sqlstate", "") or "")
        return state.startswith(_TRANSIENT_CLASSES) or state in _TRANSIENT_STATES
    if isinstance(exc, asyncpg.InterfaceError):
        # A closed connection or a closing pool; not a value asyncpg cannot encode (DataError is a ValueError).
        return not isinstance(exc, ValueError)
    if isinstance(exc, KafkaError):
        return isinstance(exc, _BROKER_DOWN) or bool(exc.retriable)
    # OSError covers refused and reset connections and timeouts (TimeoutError is one since 3.11).
    return isinstance(exc, OSError | asyncpg.exceptions.OutdatedSchemaCacheError)


def describe(exc: BaseException) -> str:
    """The reason a dead letter carries: the error's type and message, cut to `REASON_CHARS`."""
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1] + "…"
