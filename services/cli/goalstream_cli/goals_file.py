"""Reading a goal tree for `goalstream goals import`: a CSV or JSON file into the items of `POST /v1/goals/batch`.

CSV: a header row naming the fields of `POST /v1/goals` plus `ref` and `parent_ref`; `metric` and
`aggregation` make the metric object; an empty cell leaves the field out. Number columns are read as
numbers, everything else is sent as written: the API validates each item and names the one at fault.
JSON: a list of items (or `{"goals": [...]}`) in the API's own shape, sent as they are.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_GOALS = 5_000  # the API's limit for one batch: one transaction, all or nothing
NUMBERS = ("target", "baseline", "weight", "threshold", "recovery_threshold")


class GoalFileError(Exception):
    """The file cannot be imported as a whole (unreadable, not a list of goals, more than one batch)."""


@dataclass(frozen=True)
class GoalFile:
    items: list[dict[str, Any]]
    places: list[str]  # where each item is in the file: "line 7" (CSV) or "item 3" (JSON)


def read_goals(path: Path, fmt: str) -> GoalFile:
    try:
        found = _read_csv(path) if fmt == "csv" else _read_json(path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GoalFileError(f"cannot read {path}: {exc}") from exc
    if not found.items:
        raise GoalFileError(f"{path} holds no goals")
    if len(found.items) > MAX_GOALS:
        raise GoalFileError(
            f"{path} holds {len(found.items):,} goals; one import is one all-or-nothing request of at most"
            f" {MAX_GOALS:,}: split the tree into files of subtrees (a subtree's root may name a goal already"
            " created by parent_id) and import them one by one"
        )
    return found


def _read_csv(path: Path) -> GoalFile:
    items, places = [], []
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = [h.strip().lower() for h in next(reader, [])]
        if "title" not in header:
            raise GoalFileError("the header row lacks the column title")
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise GoalFileError(f"line {line} has {len(cells)} fields, the header has {len(header)}")
            items.append(_item(dict(zip(header, cells, strict=True)), line))
            places.append(f"line {line}")
    return GoalFile(items, places)


def _item(row: dict[str, str], line: int) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for name, cell in row.items():
        text = cell.strip()
        if not text or name == "aggregation":
            continue
        if name in NUMBERS:
            try:
                item[name] = float(text)
            except ValueError:
                raise GoalFileError(f"line {line}: {name} {text!r} is not a number") from None
        elif name == "metric":
            item["metric"] = {"key": text} | ({"aggregation": a} if (a := row.get("aggregation", "").strip()) else {})
        else:
            item[name] = text
    return item


def _read_json(path: Path) -> GoalFile:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except ValueError as exc:
        raise GoalFileError(f"{path} is not valid JSON: {exc}") from exc
    goals = data.get("goals") if isinstance(data, dict) else data
    if not isinstance(goals, list) or not all(isinstance(g, dict) for g in goals):
        raise GoalFileError('expected a list of goal objects, or {"goals": [...]}')
    return GoalFile(goals, [f"item {i + 1}" for i in range(len(goals))])
