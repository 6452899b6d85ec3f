"""The rules are a shared library: the standard library, themselves, and the literal types of
goalstream_contracts.common; never a service, the runtime, pydantic or anything that does I/O."""

from __future__ import annotations

import ast
import sys
import typing
from pathlib import Path

import goalstream_contracts.common as common
import goalstream_rules

PACKAGE = Path(goalstream_rules.__file__).parent


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            found.append((node.module, [a.name for a in node.names]))
    return found


def test_the_rules_import_only_the_standard_library_themselves_and_literal_types() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) > 5
    for path in modules:
        for module, names in _imports(path):
            top = module.split(".")[0]
            if top == "goalstream_contracts":
                assert module == "goalstream_contracts.common", (path.name, module)
                for name in names:
                    assert typing.get_origin(getattr(common, name)) is typing.Literal, (path.name, name)
            else:
                assert top in sys.stdlib_module_names or top in ("__future__", "goalstream_rules"), (path.name, module)
