"""A data directory initialised by another PostgreSQL major (a `.goalstream/postgres` that an older `make run`
left, made by PostgreSQL 16) is refused before anything starts, with a message that says what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from goalstream_runtime.embedded.ports import free_port
from goalstream_runtime.embedded.postgres import EmbeddedPostgres, binaries_major

# What an older `goalstream run` left: PostgreSQL 16's data directory (its marker is enough to refuse it).
OLD = "16"


def _left_by_postgres_16(postgres_dir: Path) -> Path:
    pgdata = postgres_dir / "pgdata"
    pgdata.mkdir(parents=True)
    (pgdata / "PG_VERSION").write_text(f"{OLD}\n")
    return pgdata


def test_the_embedded_binaries_are_postgresql_18() -> None:
    assert binaries_major() == "18"


def test_a_data_directory_of_another_major_is_refused_with_what_to_do(tmp_path: Path) -> None:
    pgdata = _left_by_postgres_16(tmp_path / "postgres")
    with pytest.raises(RuntimeError) as refused:
        EmbeddedPostgres(tmp_path / "postgres").start(timeout=10)
    said = str(refused.value)
    assert str((tmp_path / "postgres").resolve()) in said, said
    assert "PostgreSQL 16" in said and "PostgreSQL 18" in said, said
    assert "delete" in said and "GOALSTREAM_DATABASE_URL" in said and "GOALSTREAM_DATA_DIR" in said, said
    # Nothing was started, touched or initialised over it.
    assert sorted(p.name for p in pgdata.iterdir()) == ["PG_VERSION"]
    assert not (tmp_path / "postgres" / "postgres.log").exists()


def test_goalstream_run_says_it_without_a_traceback(tmp_path: Path) -> None:
    _left_by_postgres_16(tmp_path / "data" / "postgres")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOALSTREAM_")}
    env |= {"GOALSTREAM_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "500"}  # one line for the assertions
    ports = iter(sorted({free_port() for _ in range(20)})[:3])  # three distinct ports: the check of ports passes
    env |= {f"GOALSTREAM_{s}_PORT": str(next(ports)) for s in ("GOALS", "TRACKING", "NOTIFICATIONS")}
    done = subprocess.run(
        [sys.executable, "-m", "goalstream_cli", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 1, said
    assert "Traceback" not in said, said
    assert "goalstream could not start" in said and "initialised by PostgreSQL 16" in said, said
