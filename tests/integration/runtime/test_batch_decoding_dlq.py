"""On the real broker: malformed records inside one batch each reach the DLQ with the reason the reader
gives, and every good record of the batch is applied once, in order."""

from __future__ import annotations

import json

import asyncpg
from faststream.kafka import KafkaBroker

from goalstream_contracts.cloudevents import to_kafka
from goalstream_runtime.consumers import subscribe
from tests.integration.runtime.test_batch_consumer import (
    Consumer,
    _dead_letters,
    apply,
    consumer,  # noqa: F401  (the fixture: the same schema, topic and producer)
    goal_set,
)
from tests.support.polling import eventually


async def test_malformed_records_in_a_batch_are_dead_lettered_and_the_rest_applies(consumer: Consumer) -> None:  # noqa: F811
    c = consumer
    good = [goal_set(f"goal {i}") for i in range(60)]
    bad = [goal_set(f"bad {i}") for i in range(3)]
    values = [
        json.dumps({**json.loads(to_kafka(bad[0]).value), "target": "a lot"}).encode(),  # JSON, not a GoalSet
        to_kafka(bad[1]).value[:-1] + b',"later":NaN}',  # NaN in a field nobody reads: still not JSON
        b"{not json",
    ]
    for i, e in enumerate(good):  # all published before the consumer starts: its first poll holds them all
        r = to_kafka(e)
        await c.producer.send(c.topic, r.value, key=r.key, headers=list(r.headers))
        if i in (10, 30, 50):
            k = (10, 30, 50).index(i)
            await c.producer.send(c.topic, values[k], key=r.key, headers=list(to_kafka(bad[k]).headers))
    await c.producer.flush()

    broker = KafkaBroker(c.bootstrap)
    subscribe(broker, c.topic, c.group, c.pool, apply, retry_delay=0.1)
    await broker.start()
    try:
        letters = await _dead_letters(c, 3)

        async def applied() -> list[asyncpg.Record] | None:
            rows = await c.applied()
            return rows if len(rows) >= len(good) else None

        rows = await eventually(applied, 60, "the good records applied")
    finally:
        await broker.stop()

    reasons = {h["ce_id"]: h["dlq_reason"] for h in letters}
    assert reasons[str(bad[0].event_id)].startswith("invalid GoalSet: ") and "'target'" in reasons[str(bad[0].event_id)]
    assert reasons[str(bad[1].event_id)] == "malformed record: NaN is not allowed in JSON"
    assert reasons[str(bad[2].event_id)].startswith("malformed record: Expecting property name")
    assert all(h["dlq_consumer"] == c.group for h in letters)
    assert [r["event_id"] for r in rows] == [e.event_id for e in good]  # each once, in order
    assert (c.count("applied"), c.count("dead_lettered"), c.count("repeat")) == (60, 3, 0)
