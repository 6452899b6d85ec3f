"""`python -m tests.support.parity.clocked_goals`: the goals service, started as `python -m goalstream_goals` is,
but on a clock the parity test moves: real now plus an offset in seconds read from the file PARITY_CLOCK_FILE names.

The clock is the one `build_app` takes in-process (tests inject it so too): no production setting or endpoint
moves time. Every "now" of goals (requests, the scheduler) comes from it; tracking takes its times from events.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from goalstream_goals.bootstrap import build_app
from goalstream_goals.settings import GoalsSettings
from goalstream_runtime.serve import serve

CLOCK_FILE = "PARITY_CLOCK_FILE"  # the test's environment variable, read by this launcher only


class FileClock:
    """Real now + the file's offset. The file is read again only when it changed: the test replaces it whole
    (a rename, so a new inode), so (inode, mtime) tells a new offset even within one mtime tick."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: tuple[int, int] | None = None
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return datetime.now(UTC) + self.offset  # not written yet: no move so far
        if (stat.st_ino, stat.st_mtime_ns) != self.seen:
            self.offset = timedelta(seconds=float(self.path.read_text()))
            self.seen = (stat.st_ino, stat.st_mtime_ns)
        return datetime.now(UTC) + self.offset


def move_to(path: Path, offset: timedelta) -> None:
    """Set the offset, atomically: the service never reads a half-written file."""
    new = path.with_suffix(".new")
    new.write_text(repr(offset.total_seconds()))
    new.replace(path)


def main() -> None:
    clock = FileClock(Path(os.environ[CLOCK_FILE]))
    serve("goals", GoalsSettings(), lambda settings: build_app(settings, clock=clock))


if __name__ == "__main__":
    main()
