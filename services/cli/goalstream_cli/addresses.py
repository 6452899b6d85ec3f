"""The addresses file: what `goalstream run` chose, and the one place every command looks for it.

`goalstream run` writes `<data dir>/addresses.json` (`GOALSTREAM_DATA_DIR`, `.goalstream` under the
working directory by default, where it keeps the embedded servers' data and its logs) once every
service is ready, and removes it when it stops. A file whose `pid` is no longer alive (a run killed
with -9) is stale and ignored. Each address a command needs is taken, in this order, from its flag,
its environment variable(s), this file, then the built-in default (`choose`), and the answer says
where it came from so that a connection error can name both the address and its source.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

FILE_NAME = "addresses.json"


class Addresses(BaseModel):
    """What one `goalstream run` chose; the file holds the demo key and the database URL, so it is 0600."""

    pid: int
    goals_url: str
    tracking_url: str
    notifications_url: str
    kafka_bootstrap: str
    database_url: str
    demo_api_key: str
    consumer_group_prefix: str


def addresses_path(env: Mapping[str, str] | None = None) -> Path:
    """`<GOALSTREAM_DATA_DIR or .goalstream>/addresses.json`, relative to the working directory."""
    env = os.environ if env is None else env
    return Path(env.get("GOALSTREAM_DATA_DIR") or ".goalstream") / FILE_NAME


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def read_addresses(path: Path) -> Addresses | None:
    """The addresses of the run that is up, or None (no file, unreadable, or its run is gone)."""
    try:
        found = Addresses.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None
    return found if alive(found.pid) else None


def write_addresses(path: Path, addresses: Addresses) -> None:
    write_private(path, addresses.model_dump_json(indent=2) + "\n")


def private_dir(path: Path) -> None:
    """Create the folder (the data directory, which holds keys and the embedded servers' data) for its owner
    only; one that exists is left as it is, the operator's choice."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def write_private(path: Path, text: str) -> None:
    """Written whole (a reader never sees half a file) and created readable by its owner only: not written
    under the umask's mode and narrowed afterwards, which leaves a moment when others can read it."""
    private_dir(path.parent)
    partial = path.with_name(path.name + ".partial")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()  # a left-over one would keep its mode: O_CREAT sets it only on a new file
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        file.write(text)
    partial.replace(path)


def remove_addresses(path: Path, pid: int) -> None:
    """Remove the file if it is this run's (another run in the same directory keeps its own)."""
    recorded = read_addresses(path)
    if recorded is not None and recorded.pid == pid:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


@dataclass(frozen=True)
class Found:
    value: str
    source: str  # "--bootstrap", "GOALSTREAM_KAFKA_BOOTSTRAP", ".goalstream/addresses.json", "the default"


def choose(
    flag: str | None,
    flag_name: str,
    env: Mapping[str, str],
    variables: Sequence[tuple[str, str]],
    recorded: str | None,
    file: str,
    default: str | None = None,
) -> Found | None:
    """Flag > environment variable > addresses file > built-in default; None when none has a value.

    `variables` are (name, template) pairs tried in order: the template turns the variable's value into
    the address (`"http://127.0.0.1:{}"` for a port), `"{}"` takes it as it is.
    """
    if flag:
        return Found(flag, flag_name)
    for name, template in variables:
        if env.get(name):
            return Found(template.format(env[name]), name)
    if recorded:
        return Found(recorded, file)
    return Found(default, "the default") if default else None
