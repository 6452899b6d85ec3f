"""Checked-in JSON Schema snapshots of every published payload, and the check that keeps them compatible.

`contracts/schemas/<event_type>.v<schema_version>.json` holds each payload's schema as it was
released. A change to a model must stay backward compatible with its snapshot: readers on the new
model still read every message written with the old one, and readers on the old one still read new
messages. So a property may not be removed, change its JSON type (nullability included), become
required, or be narrowed (enum value removed, new enum, format, pattern or tighter bounds); a new
property needs a default. Adding an optional property is fine, and so is adding an enum value or
loosening a bound: readers treat values they do not know as data they may ignore or dead-letter.
A breaking change bumps `schema_version`, adds an upcaster in `registry.UPCASTERS` and gets a new
snapshot; the old one stays as the record of what old messages look like.

    python -m goalstream_contracts.snapshots --write   # (re)write the current versions' snapshots
    python -m goalstream_contracts.snapshots --check   # exit 1 listing every problem
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from goalstream_contracts import registry
from goalstream_contracts.base import Payload

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
Schema = dict[str, Any]
_SNAPSHOT_NAME = re.compile(r"^(?P<type>\w+)\.v(?P<version>\d+)\.json$")
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems")


def check_compatible(old_schema: Schema, new_schema: Schema) -> list[str]:
    """Why `new_schema` is not backward compatible with `old_schema`; empty when it is."""
    title = _resolve(new_schema, new_schema).get("title", "$")
    return _Checker(old_schema, new_schema).compare(old_schema, new_schema, title)


class _Checker:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root, self.new_root = old_root, new_root
        self.seen: set[tuple[int, int]] = set()  # object pairs already compared: recursive models end

    def compare(self, old: Schema, new: Schema, path: str) -> list[str]:
        """Same JSON types on both sides (null included), then each type's alternatives compared in order."""
        old_vs, new_vs = _variants(old, self.old_root), _variants(new, self.new_root)
        old_types, new_types = sorted({_type(v) for v in old_vs}), sorted({_type(v) for v in new_vs})
        if old_types != new_types:
            return [f"{path}: type changed from {' | '.join(old_types)} to {' | '.join(new_types)}"]
        problems: list[str] = []
        for json_type in old_types:
            olds = [v for v in old_vs if _type(v) == json_type]
            news = [v for v in new_vs if _type(v) == json_type]
            if len(olds) != len(news):
                problems.append(f"{path}: {len(olds)} {json_type} alternatives became {len(news)}")
                continue
            for old_v, new_v in zip(olds, news, strict=True):
                problems += self._compare_variant(old_v, new_v, path)
        return problems

    def _compare_variant(self, old: Schema, new: Schema, path: str) -> list[str]:
        problems: list[str] = []
        old_enum, new_enum = _enum(old), _enum(new)
        if new_enum is not None and old_enum is None:
            problems.append(f"{path}: a free value is now restricted to {new_enum}")
        elif new_enum is not None and old_enum is not None:
            removed = [value for value in old_enum if value not in new_enum]
            if removed:
                problems.append(f"{path}: enum values removed: {removed}")
        for keyword in ("format", "pattern"):
            if keyword in new and new[keyword] != old.get(keyword):
                problems.append(f"{path}: {keyword} changed from {old.get(keyword)!r} to {new[keyword]!r}")
        for keyword in _LOWER_BOUNDS + _UPPER_BOUNDS:
            if keyword not in new or new[keyword] == old.get(keyword):
                continue
            lower = keyword in _LOWER_BOUNDS
            if keyword not in old or (new[keyword] > old[keyword] if lower else new[keyword] < old[keyword]):
                problems.append(f"{path}: {keyword} tightened from {old.get(keyword)!r} to {new[keyword]!r}")
        if _type(new) == "object":
            problems += self._compare_object(old, new, path)
        if _type(new) == "array":
            if "items" in old or "items" in new:
                problems += self.compare(old.get("items", {}), new.get("items", {}), f"{path}[]")
            for i, (old_item, new_item) in enumerate(
                zip(old.get("prefixItems", []), new.get("prefixItems", []), strict=False)
            ):
                problems += self.compare(old_item, new_item, f"{path}[{i}]")
        return problems

    def _compare_object(self, old: Schema, new: Schema, path: str) -> list[str]:
        if (id(old), id(new)) in self.seen:
            return []
        self.seen.add((id(old), id(new)))
        old_props: Schema = old.get("properties", {})
        new_props: Schema = new.get("properties", {})
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        problems: list[str] = []
        for name, old_prop in old_props.items():
            if name not in new_props:
                problems.append(f"{path}.{name}: removed")
                continue
            problems += self.compare(old_prop, new_props[name], f"{path}.{name}")
            if name in new_required and name not in old_required:
                problems.append(f"{path}.{name}: was optional, became required")
        for name in new_props:
            if name not in old_props and name in new_required:
                problems.append(f"{path}.{name}: added as required (a new property needs a default)")
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):  # dict[str, X] values
            problems += self.compare(old_extra, new_extra, f"{path}.*")
        return problems


def _resolve(schema: Schema, root: Schema) -> Schema:
    while "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _variants(schema: Schema, root: Schema) -> list[Schema]:
    """The alternatives a value may take: anyOf/oneOf flattened, refs resolved, type lists split."""
    schema = _resolve(schema, root)
    if len(schema.get("allOf", ())) == 1:
        return _variants(schema["allOf"][0], root)
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            return [variant for sub in schema[keyword] for variant in _variants(sub, root)]
    if isinstance(schema.get("type"), list):
        return [{**schema, "type": json_type} for json_type in schema["type"]]
    return [schema]


def _type(schema: Schema) -> str:
    return str(schema.get("type") or ("enum" if "enum" in schema or "const" in schema else "any"))


def _enum(schema: Schema) -> list[Any] | None:
    return [schema["const"]] if "const" in schema else schema.get("enum")


def snapshot_path(event_type: str, version: int, directory: Path = SCHEMAS_DIR) -> Path:
    return directory / f"{event_type}.v{version}.json"


def render(cls: type[Payload]) -> str:
    return json.dumps(cls.model_json_schema(), indent=2, sort_keys=True) + "\n"


def compare_to_snapshot(cls: type[Payload], directory: Path = SCHEMAS_DIR) -> list[str] | None:
    """Problems of `cls` against its version's snapshot; None when there is no snapshot yet."""
    path = snapshot_path(cls.event_type, cls.schema_version, directory)
    if not path.exists():
        return None
    return [f"{path.name}: {p}" for p in check_compatible(json.loads(path.read_text()), cls.model_json_schema())]


def _readable(event_type: str, version: int) -> bool:
    """Whether messages of this type and version can still be read: current, or upcast step by step."""
    cls = registry.BY_TYPE.get(event_type)
    return (
        cls is not None
        and 1 <= version <= cls.schema_version
        and all((event_type, v) in registry.UPCASTERS for v in range(version, cls.schema_version))
    )


def check_snapshots(directory: Path = SCHEMAS_DIR) -> list[str]:
    """Every problem: incompatible or missing current snapshots, snapshots of versions no longer read."""
    problems: list[str] = []
    for cls in registry.EVENT_CLASSES:
        found = compare_to_snapshot(cls, directory)
        if found is None:
            name = snapshot_path(cls.event_type, cls.schema_version, directory).name
            problems.append(f"{name}: missing snapshot of {cls.event_type} v{cls.schema_version}; run --write")
        problems += found or []
    for path in sorted(directory.glob("*.json")):
        match = _SNAPSHOT_NAME.match(path.name)
        if match is None:
            problems.append(f"{path.name}: not named <event_type>.v<schema_version>.json")
        elif not _readable(match["type"], int(match["version"])):
            problems.append(f"{path.name}: not a current version, and no upcaster chain reads it")
    return problems


def write_snapshots(directory: Path = SCHEMAS_DIR, *, force: bool = False) -> list[str]:
    """Write the current versions' snapshots; refuses (returning the problems) to overwrite incompatibly."""
    problems = [] if force else [p for cls in registry.EVENT_CLASSES for p in compare_to_snapshot(cls, directory) or []]
    if problems:
        return problems
    directory.mkdir(parents=True, exist_ok=True)
    for cls in registry.EVENT_CLASSES:
        snapshot_path(cls.event_type, cls.schema_version, directory).write_text(render(cls))
    return []


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m goalstream_contracts.snapshots", description="JSON Schema snapshots of the payloads"
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="(re)write the snapshots of the current versions")
    mode.add_argument("--check", action="store_true", help="exit 1 if a model broke its snapshot or one is missing")
    parser.add_argument("--force", action="store_true", help="with --write: overwrite incompatible snapshots too")
    parser.add_argument("--dir", type=Path, default=SCHEMAS_DIR, help=f"snapshot folder (default {SCHEMAS_DIR})")
    args = parser.parse_args(argv)
    problems = write_snapshots(args.dir, force=args.force) if args.write else check_snapshots(args.dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems and args.write:
        print("incompatible: bump schema_version and add an upcaster, or pass --force", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
