"""Times shared by the rule tests (the rules take every time as an argument)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
US = timedelta(microseconds=1)
