"""Email addresses that notifications accepts: the email channel's target and the From address."""

from __future__ import annotations

import re
from email.utils import formataddr, getaddresses
from typing import Final

MAX_ADDRESS: Final = 254  # RFC 5321's limit on a forward path
# A plain ASCII addr-spec: a dot-atom local part and a host name. Quoted local parts, comments,
# IP literals and internationalised addresses are refused rather than half-supported.
_LOCAL: Final = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDRESS: Final = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})*")


def address(text: str) -> str:
    """`text` if it is one plain address (`local@domain`, no display name), else ValueError."""
    if len(text) > MAX_ADDRESS or not ADDRESS.fullmatch(text):
        raise ValueError("must be one plain email address such as ops@example.com (ASCII, no display name)")
    return text


def mailbox(text: str) -> tuple[str, str]:
    """A From mailbox, `Name <local@domain>` or a plain address: (the header value, the address)."""
    if any(c in text for c in "\r\n"):
        raise ValueError("must be one line")
    found = getaddresses([text])
    if len(found) != 1:
        raise ValueError("must be exactly one mailbox")
    name, addr = found[0]
    address(addr)
    return (formataddr((name, addr)) if name else addr), addr


def domain_of(addr: str) -> str:
    return addr.rpartition("@")[2]
