"""User text in a terminal: one rule for every command that prints what others wrote (titles, reasons, bodies).

A dead letter's reason, a goal title in `goalstream tail` or a webhook body in `goalstream webhooks listen` may
carry terminal escapes; each command shows them written out, never obeyed.
"""

from __future__ import annotations

import unicodedata


def safe(text: str, *, lines: bool = False) -> str:
    """User text shown in a terminal: control, format and escape characters written as `\\xNN` / `\\uNNNN`,
    so a payload cannot move the cursor, recolour the screen or reorder what follows (bidi overrides)."""

    def one(c: str) -> str:
        if (lines and c == "\n") or c == " " or (c.isprintable() and unicodedata.category(c) != "Cf"):
            return c
        return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"

    return "".join(one(c) for c in text)
