"""Replaying dead letters to the topic they came from, each once, every replay recorded.

A replay is recorded on the DLQ's replay log (`dlq_replays(topic)`, one partition, keyed by the dead letter's
`replay_key`) after its record is republished: a key on the log is never republished again (unless `again`). A
crash between the two leaves a republished record unrecorded; replaying it anew sends the same event (same
`ce_id`) again, which every consumer's per-event idempotency makes a repeat. The republished record keeps its
key, value and CloudEvent headers, loses the `dlq_*` headers and gains `dlq_replay_of`: if it is still bad, the
consumer dead-letters it again, once, carrying that header, so it falls under the replay already recorded and
`replay --all` does not send it round again.

The log is compacted (only the last entry of a key is read; entries never expire, so `replay --all` never resends
an old letter) and has the cluster's replication factor, so the acks=all write of an entry succeeds where the
broker asks for `min.insync.replicas` >= 2. The deployments' topic jobs create it; so does a first replay.

Two operators replaying the same letter at the same moment both read the log before either records, so both
republish it: nothing locks the log. The consumers dedupe by `ce_id`, so the second copy has no effect; the log
then holds both entries under one key and shows the later.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from goalstream_cli.dlq_read import producer_at, read_all
from goalstream_cli.dlq_records import REPLAY_OF, DeadLetter
from goalstream_contracts.topics import REPLAY_LOG_CONFIG, REPLAY_LOG_PARTITIONS, dlq_replays, source_of
from goalstream_runtime.kafka_admin import ensure_topics


@dataclass(frozen=True)
class Outcome:
    letter: DeadLetter
    replayed_as: str | None  # topic/partition/offset it was republished as; None when skipped
    note: str  # why skipped, or what was recorded


def log_topic(dlq_topic: str) -> str:
    return dlq_replays(source_of(dlq_topic))


async def replay_log(bootstrap: str, dlq_topic: str) -> dict[str, dict[str, Any]]:
    """What was replayed from this DLQ: replay key -> the last entry recorded for it."""
    entries: dict[str, dict[str, Any]] = {}
    for record in await read_all(bootstrap, log_topic(dlq_topic)):
        try:
            entries[(record.key or b"").decode()] = json.loads(record.value)
        except ValueError:
            continue  # not ours: the log is written by this module only
    return entries


def republished_headers(letter: DeadLetter) -> list[tuple[str, bytes]]:
    kept = [(k, v) for k, v in letter.headers if not k.startswith("dlq_")]
    return [*kept, (REPLAY_OF, letter.replay_key.encode())]


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "unknown"


async def replay(
    bootstrap: str, dlq_topic: str, letters: Iterable[DeadLetter], *, again: bool, now: datetime
) -> list[Outcome]:
    """Republish each dead letter unless it (or another of its line) was replayed before; record each replay."""
    log = log_topic(dlq_topic)
    # as the deployments create it (REPLAY_LOGS): one order of replays, the broker's replication factor, compacted
    await ensure_topics(bootstrap, [log], REPLAY_LOG_PARTITIONS, replication_factor=-1, config=REPLAY_LOG_CONFIG)
    done = await replay_log(bootstrap, dlq_topic)
    outcomes: list[Outcome] = []
    this_run: set[str] = set()  # one republish per line and run, even with `again`
    async with producer_at(bootstrap) as producer:
        for letter in letters:
            key, before = letter.replay_key, done.get(letter.replay_key)
            if before is not None and (key in this_run or not again):
                outcomes.append(Outcome(letter, None, f"already replayed at {before['at']} as {before['as']}"))
                continue
            sent = await producer.send_and_wait(
                letter.source_topic, letter.value, key=letter.key, headers=republished_headers(letter)
            )
            replayed_as = f"{sent.topic}/{sent.partition}/{sent.offset}"
            entry = {
                "dead_letter": f"{letter.topic}/{letter.partition}/{letter.offset}",
                "origin": key,
                "as": replayed_as,
                "at": now.isoformat(),
                "by": _user(),
                "again": before is not None,
            }
            await producer.send_and_wait(log, json.dumps(entry).encode(), key=key.encode())
            done[key] = entry
            this_run.add(key)
            outcomes.append(Outcome(letter, replayed_as, "replayed" + (" again" if before else "")))
    return outcomes
