"""How a dead letter prints: one line for `list` (and `tail`), the whole record for `show`.

Everything that came with the record (key, headers, payload, the reason, which may quote the payload) is user
text: it goes through `safe`, so no byte of it reaches the terminal as a control sequence. The caller prints
with markup off, so `[red]` in a payload is shown as it is.
"""

from __future__ import annotations

import json

from goalstream_cli.dlq_records import DeadLetter
from goalstream_cli.terminal_text import safe

REASON_CHARS = 300  # on one line; `show` prints it whole


def _text(raw: bytes | None) -> str:
    return "-" if raw is None else safe(raw.decode(errors="replace"))


def line(letter: DeadLetter, replayed: bool) -> str:
    """`list`'s line: where, when, whose, what, who refused it and why."""
    short = letter.source_topic.split(".")[1]
    reason = safe(letter.header("dlq_reason") or "-")
    reason = reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…"
    return " ".join(
        [
            short,
            letter.at,
            letter.time.isoformat(timespec="seconds"),
            f"org={safe(letter.org or '-')}",
            f"key={_text(letter.key)}",
            f"type={safe(letter.event_type or '-')}",
            f"consumer={safe(letter.header('dlq_consumer') or '-')}",
            *(["replayed"] if replayed else []),
            f"reason={reason}",
        ]
    )


def _payload(value: bytes) -> str:
    """Indented JSON when it is JSON, else the text (invalid UTF-8 as U+FFFD) with its size."""
    try:
        shown = json.dumps(json.loads(value), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        return f"({len(value)} bytes, not JSON)\n{safe(value.decode(errors='replace'), lines=True)}"
    return safe(shown, lines=True)


def whole(letter: DeadLetter, replayed: bool) -> str:
    """`show`: the record's place, the refusal, every header and the payload."""
    lines = [
        f"dead letter   {letter.topic} {letter.at}",
        f"time          {letter.time.isoformat()}",
        f"came from     {safe(letter.origin)}",
        f"refused by    {safe(letter.header('dlq_consumer') or '-')}",
        f"reason        {safe(letter.header('dlq_reason') or '-')}",
        f"organisation  {safe(letter.org or '-')}",
        f"event type    {safe(letter.event_type or '-')}",
        f"key           {_text(letter.key)}",
        f"replayed      {'yes' if replayed else 'no'} (replay key {safe(letter.replay_key)})",
        "headers",
        *(f"  {safe(k)}: {_text(v)}" for k, v in letter.headers),
        "payload",
        _payload(letter.value),
    ]
    return "\n".join(lines)
