"""`goalstream import` without a server: row checks, line numbers, ids, batching and the exit rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from goalstream_cli.main import app
from goalstream_cli.measurements_check import check_row
from goalstream_cli.measurements_file import ImportFileError, count_rows, read_rows
from goalstream_cli.measurements_import import run_import

HEADER = "id,metric,value,observed_at,source,goal_id,comment,confidence\n"


def row(**fields: Any) -> dict[str, Any]:
    return {"metric": "m", "value": "1", "observed_at": "2026-01-01T00:00:00Z"} | fields


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (row(metric=""), "missing metric"),
        ({"value": "1", "observed_at": "2026-01-01T00:00:00Z"}, "missing metric"),
        (row(value="abc"), "is not a number"),
        (row(value="NaN"), "not a finite number"),
        (row(value="inf"), "not a finite number"),
        (row(observed_at="2026-01-01T00:00:00"), "has no timezone"),
        (row(observed_at="yesterday"), "is not an ISO-8601 time"),
        (row(confidence="1.5"), "not between 0 and 1"),
        (row(metric="x" * 201), "longer than 200"),
    ],
)
def test_invalid_rows_say_why(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_row(fields)


def test_a_valid_row_becomes_a_measurement_with_a_content_id() -> None:
    item = check_row(row(value=" 2.5 ", comment="hi", confidence="0.5"), default_source="crm")
    assert item["value"] == 2.5 and item["source"] == "crm" and item["comment"] == "hi"
    assert item["id"].startswith("imp_")
    assert check_row(row(value="2.5", comment="hi", confidence="0.5"), "crm")["id"] == item["id"]
    # the same instant written another way is the same row; another value is another row
    assert check_row(row(observed_at="2026-01-01T01:00:00+01:00"))["id"] == check_row(row())["id"]
    assert check_row(row(value="2"))["id"] != check_row(row())["id"]
    assert check_row(row(id="given"))["id"] == "given"


def test_csv_rows_carry_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        HEADER + ',m,1,2026-01-01T00:00:00Z,,,,\n\n,m,2,2026-01-01T00:00:00Z,,,"two\nlines",\nonly,three,fields\n'
    )
    rows = list(read_rows(path, "csv"))
    assert [r.line for r in rows] == [2, 4, 6]
    assert rows[1].fields is not None and rows[1].fields["comment"] == "two\nlines"
    assert rows[2].fields is None and "3 fields" in (rows[2].problem or "")
    assert count_rows(path, "csv") == 5


def test_a_header_without_a_required_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("metric,observed_at\nm,2026-01-01T00:00:00Z\n")
    with pytest.raises(ImportFileError, match="value"):
        list(read_rows(path, "csv"))


def test_jsonl_rows(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"metric": "m", "value": 3, "observed_at": "2026-01-01T00:00:00Z"}\nnot json\n[1]\n')
    rows = list(read_rows(path, "jsonl"))
    assert rows[0].fields is not None and check_row(rows[0].fields)["value"] == 3.0
    assert (rows[1].line, rows[1].fields) == (2, None) and (rows[2].line, rows[2].fields) == (3, None)


class FakeApi:
    """POST /v1/measurements: accepts new ids, reports seen ones as duplicates, rejects metric 'bad'."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.batches: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        items = json.loads(request.content)["measurements"]
        self.batches.append(len(items))
        results = []
        for i, m in enumerate(items):
            status = "rejected" if m["metric"] == "bad" else "duplicate" if m["id"] in self.seen else "accepted"
            self.seen.add(m["id"])
            results.append(
                {"index": i, "id": m["id"], "status": status, "goals": [], "reason": "no" * (status == "rejected")}
            )
        return httpx.Response(202, json={"results": results})


def write_file(path: Path) -> None:
    lines = [f",m,{i},2026-01-01T00:00:{i % 60:02d}Z,,,,\n" for i in range(25)]
    lines[3] = ",m,abc,2026-01-01T00:00:00Z,,,,\n"  # line 5
    lines[10] = ",bad,1,2026-01-01T00:00:00Z,,,,\n"  # line 12
    path.write_text(HEADER + "".join(lines))


def test_batches_and_tallies(tmp_path: Path) -> None:
    path, api = tmp_path / "x.csv", FakeApi()
    write_file(path)
    client = httpx.Client(base_url="http://api", transport=httpx.MockTransport(api))
    first = run_import(path, "csv", client, 10, None, None, 20)
    assert api.batches == [10, 10, 4]
    assert (first.read, first.accepted, first.duplicate, first.rejected, first.invalid) == (25, 23, 0, 1, 1)
    assert [(line, kind) for line, kind, _ in first.problems] == [(5, "invalid"), (12, "rejected")]
    again = run_import(path, "csv", client, 10, None, None, 20)
    assert (again.accepted, again.duplicate) == (0, 23)


def test_the_command_exits_1_on_problems_and_2_when_it_cannot_run(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("metric,value\nm,1\n")
    result = CliRunner().invoke(app, ["import", str(path), "--key", "k", "--api", "http://127.0.0.1:9"])
    assert result.exit_code == 2 and "observed_at" in result.output
    path.write_text(HEADER + ",m,abc,2026-01-01T00:00:00Z,,,,\n")
    errors = tmp_path / "errors.csv"
    result = CliRunner().invoke(app, ["import", str(path), "--key", "k", "--errors", str(errors)])
    assert result.exit_code == 1, result.output
    assert "line 2: invalid: value 'abc' is not a number" in result.output
    assert errors.read_text().splitlines()[1].startswith("2,invalid,")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (row(goal_id="g" * 101), "goal_id is longer than 100 characters"),  # the API's bound, not the topic's
        (row(value=True), "value True is not a number"),
        (row(confidence=False), "confidence False is not a number"),
        (row(value="1e16"), "value is not a finite number between"),
        (row(source="a\x00b"), "source must not contain control characters"),
    ],
)
def test_rows_are_read_through_the_contract_model(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_row(fields)


def test_content_ids_stay_those_of_earlier_imports() -> None:
    """Importing a file again with this version of the CLI lands nothing new: the ids are unchanged."""
    assert check_row(row(), "dflt")["id"] == "imp_8e450ad3403bd7a1a7eb5fea73c98dede03cc95c"
    again = row(metric=" m ", value=" 2.5 ", observed_at="2026-01-01T01:00:00+01:00", comment="hi", goal_id="g1")
    assert check_row(again | {"confidence": "0.50"}, "dflt")["id"] == "imp_4823d139836072f34704f0166da67e0fa3fd1c9f"
