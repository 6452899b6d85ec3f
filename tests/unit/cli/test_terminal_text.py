"""Terminal-safe text: one module every command that prints user text uses, not a dead-letter helper."""

from __future__ import annotations

import subprocess
import sys

from goalstream_cli.terminal_text import safe


def test_escapes_and_bidi_overrides_are_shown_not_obeyed() -> None:
    assert safe("a\x1b[2Jb\x07\u202ec\td") == "a\\x1b[2Jb\\x07\\u202ec\\x09d"
    assert safe("one\ntwo", lines=True) == "one\ntwo" and safe("one\ntwo") == "one\\x0atwo"
    assert safe("ünïcode ✓ [red]") == "ünïcode ✓ [red]"


def test_webhooks_listen_does_not_load_the_dead_letter_module() -> None:
    code = "import sys, goalstream_cli.webhooks_listen; print('goalstream_cli.dlq_records' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
