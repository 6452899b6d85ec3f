"""`goalstream connections show` prints what platforms sent (an event's name, its id, why it matched nothing):
their terminal escapes are written out, never obeyed."""

from __future__ import annotations

import pytest

from goalstream_cli.mappings_api import show


def test_a_platforms_text_cannot_drive_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    row = {"object_type": "Deal\x1b[2J Closed", "count": 3, "last_event_id": "m-1\u202egpj.exe", "last_reason": "-"}
    show([row], ["object_type", "count", "last_event_id", "last_reason"])
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "\u202e" not in printed
    assert "Deal\\x1b[2J Closed  3  m-1\\u202egpj.exe" in printed
