"""Dead-letter topic names: `dlq`, `is_dlq` and `source_of` agree, and each DLQ has one replay log."""

from __future__ import annotations

import pytest

from goalstream_contracts.topics import ALL_TOPICS, MEASUREMENTS, REPLAY_LOGS, dlq, dlq_replays, is_dlq, source_of

SOURCES = [topic for topic in ALL_TOPICS if dlq(topic) in ALL_TOPICS]


@pytest.mark.parametrize("topic", SOURCES)
def test_a_dlq_name_is_recognised_and_leads_back_to_its_topic(topic: str) -> None:
    assert is_dlq(dlq(topic)) and not is_dlq(topic)
    assert source_of(dlq(topic)) == topic


def test_a_replay_log_is_not_a_dlq_and_every_dlq_has_one() -> None:
    assert not any(is_dlq(log) for log in REPLAY_LOGS)
    assert sorted(REPLAY_LOGS) == sorted(dlq_replays(topic) for topic in SOURCES)
    assert not set(REPLAY_LOGS) & set(ALL_TOPICS)  # the services do not create them with their partition count


@pytest.mark.parametrize("name", [MEASUREMENTS, dlq_replays(MEASUREMENTS), "goalstream.dlq.v1"])
def test_source_of_refuses_what_is_not_a_dlq(name: str) -> None:
    with pytest.raises(ValueError, match="not a dead-letter topic"):
        source_of(name)
