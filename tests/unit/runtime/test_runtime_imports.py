"""The runtime is what the services share, so it imports none of them, nor the CLI built on top of it.

A service package imported by the runtime (even inside a function) would make every service depend on
the others; the `goalstream` commands that need goals or tracking live in `goalstream_cli` instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

RUNTIME = Path(__file__).resolve().parents[3] / "services" / "runtime" / "goalstream_runtime"
ABOVE_THE_RUNTIME = ("goalstream_goals", "goalstream_tracking", "goalstream_notifications", "goalstream_cli")


def imports_above(root: Path) -> list[str]:
    """`file:line module` for every import (top-level or inside a function) of a package above the runtime."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            place = f"{path.relative_to(root)}:{node.lineno}"
            found += [f"{place} {n}" for n in names if n.split(".")[0] in ABOVE_THE_RUNTIME]
    return found


def test_the_runtime_imports_no_service_and_no_cli() -> None:
    assert RUNTIME.is_dir()
    assert imports_above(RUNTIME) == []


def test_an_import_inside_a_function_is_found(tmp_path: Path) -> None:
    (tmp_path / "cli.py").write_text("def rebuild() -> None:\n    from goalstream_tracking.settings import X\n")
    assert imports_above(tmp_path) == ["cli.py:2 goalstream_tracking.settings"]
