"""Check-in cadence: when a goal that should hear from its owner every so often has gone quiet."""

from __future__ import annotations

from datetime import datetime, timedelta


def lapse_began(last_measured_at: datetime | None, start_at: datetime | None, every: timedelta) -> datetime | None:
    """When the current lapse begins: `every` after the last measurement recorded, or after start_at before any."""
    since = last_measured_at or start_at
    return None if since is None else since + every


def lapse_to_report(began: datetime, now: datetime, deadline: datetime | None, reported: datetime | None) -> bool:
    """A lapse is reported once, once it has begun, and only if it began before the deadline (a lapse that
    began before the deadline is still reported after it)."""
    return began <= now and began != reported and (deadline is None or began < deadline)
