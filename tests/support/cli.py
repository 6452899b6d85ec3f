"""Running the `goalstream` command as a user would: a subprocess, its output captured."""

from __future__ import annotations

import os
import subprocess
import sys


def goalstream(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`python -m goalstream_cli ...` as a subprocess, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "goalstream_cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )
