"""Reading a measurement export (CSV or JSON lines) for `goalstream import`, one row at a time.

Pure and streaming: `read_rows` yields one row at a time with its line number; `measurements_check`
turns a row into the body of one `POST /v1/measurements` item or a reason naming what is wrong.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goalstream_cli.measurements_check import REQUIRED


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, no header, a required column missing)."""


@dataclass(frozen=True)
class Row:
    line: int  # 1-based line of the file where the row starts
    fields: dict[str, Any] | None  # None: the line could not be parsed at all
    problem: str | None = None  # why `fields` is None


def count_rows(path: Path, fmt: str) -> int:
    """The number of data rows, for the progress bar (physical lines; a multi-line CSV cell counts more)."""
    lines, last = 0, b"\n"
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    lines += last != b"\n"
    return max(lines - (1 if fmt == "csv" else 0), 0)


def read_rows(path: Path, fmt: str) -> Iterator[Row]:
    """The rows of the file, one at a time; blank lines are skipped."""
    if fmt == "csv":
        yield from _read_csv(path)
    else:
        yield from _read_jsonl(path)


def _read_csv(path: Path) -> Iterator[Row]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise ImportFileError(f"{path} is empty: expected a header row with {', '.join(REQUIRED)}")
        names = [h.strip().lower() for h in header]
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise ImportFileError(f"the header row lacks the column(s) {', '.join(missing)}")
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(names):
                yield Row(line, None, f"has {len(cells)} fields, the header has {len(names)}")
                continue
            yield Row(line, dict(zip(names, cells, strict=True)))


def _read_jsonl(path: Path) -> Iterator[Row]:
    with path.open(encoding="utf-8-sig") as f:
        for line, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                data = json.loads(text, parse_constant=_no_constant)
            except ValueError as exc:
                yield Row(line, None, f"is not valid JSON ({exc})")
                continue
            if not isinstance(data, dict):
                yield Row(line, None, "is not a JSON object")
                continue
            yield Row(line, {str(k).lower(): v for k, v in data.items()})


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")
