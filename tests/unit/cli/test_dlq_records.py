"""Dead letters as `goalstream dlq` reads them: topic names, positions and replay keys."""

from __future__ import annotations

import pytest
import typer

from goalstream_cli.dlq_records import DeadLetter, dlq_topic, parse_at
from goalstream_cli.dlq_replay import republished_headers
from goalstream_cli.dlq_show import line, whole
from goalstream_cli.tail import topic_of
from goalstream_contracts.topics import GOAL_EVENTS, MEASUREMENTS, dlq


def letter(**headers: str) -> DeadLetter:
    encoded = tuple((k, v.encode()) for k, v in headers.items())
    return DeadLetter(dlq(MEASUREMENTS), 1, 7, 1_780_000_000_000, b"k", b'{"a": "\x1b[31m"}', encoded)


def test_a_dlq_is_named_by_its_short_name_its_topic_or_itself() -> None:
    for name in ("measurements", "measurements.dlq", MEASUREMENTS, dlq(MEASUREMENTS)):
        assert dlq_topic(name) == dlq(MEASUREMENTS)
    assert dlq_topic("goals") == dlq(GOAL_EVENTS)
    with pytest.raises(typer.BadParameter, match="unknown topic 'nope'"):
        dlq_topic("nope")
    assert topic_of("goals") == GOAL_EVENTS and topic_of(f"{MEASUREMENTS}.dlq") == dlq(MEASUREMENTS)
    with pytest.raises(typer.BadParameter, match="measurements"):
        topic_of("measurements")  # the live measurements topic is not tailed; its DLQ is


def test_positions_and_ranges() -> None:
    assert parse_at("0:12") == (0, 12, 12) and parse_at("2:3-9") == (2, 3, 9)
    for bad in ("12", "a:1", "0:9-3", "0:-1", "0:1-"):
        with pytest.raises(typer.BadParameter):
            parse_at(bad)


def test_a_replay_is_keyed_by_the_first_record_of_its_line() -> None:
    first = letter(dlq_topic=MEASUREMENTS, dlq_partition="0", dlq_offset="41", dlq_consumer="g", ce_orgid="o1")
    assert first.replay_key == f"{MEASUREMENTS}/0/41"
    headers = dict(republished_headers(first))
    assert headers == {"ce_orgid": b"o1", "dlq_replay_of": f"{MEASUREMENTS}/0/41".encode()}
    # Refused again: the consumer's headers on top of those it came with.
    again = letter(**{k: v.decode() for k, v in headers.items()}, dlq_partition="2", dlq_offset="99")
    assert again.replay_key == first.replay_key and again.origin == f"{MEASUREMENTS}/2/99"
    assert letter().replay_key == f"{dlq(MEASUREMENTS)}/1/7"  # written to the DLQ by hand: its own place


def test_list_and_show_print_no_control_character() -> None:
    hostile = letter(dlq_reason="bad \x1b]0;title\x07", ce_type="io.goalstream.MeasurementSubmitted", ce_orgid="o")
    shown = line(hostile, replayed=True) + whole(hostile, replayed=False)
    assert not any(c in shown for c in "\x1b\x07")
    assert "measurements 1:7 " in shown and "type=MeasurementSubmitted" in shown and " replayed " in shown
    assert '"a": "\\x1b[31m"' in whole(hostile, replayed=False)
