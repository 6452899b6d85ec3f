"""The JSON log line: one object per record, whatever the record carries (tracebacks, colours, arguments)."""

from __future__ import annotations

import json
import logging
import sys

from goalstream_runtime.logs import JsonFormatter


def _line(**fields: object) -> dict[str, object]:
    record = logging.makeLogRecord({"levelname": "INFO", "name": "x", **fields})
    text = JsonFormatter("goals").format(record)
    assert "\n" not in text and "\x1b" not in text
    line = json.loads(text)
    assert isinstance(line, dict)
    return line


def test_a_traceback_goes_inside_the_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        line = _line(msg="it failed", levelname="ERROR", exc_info=sys.exc_info())
    assert line["level"] == "error" and line["msg"] == "it failed"
    assert isinstance(line["exc"], str) and "Traceback" in line["exc"] and "ValueError: boom" in line["exc"]


def test_colour_codes_are_taken_out() -> None:
    line = _line(msg="\x1b[32mINFO\x1b[0m - `Handle` waiting", tag="\x1b[1mbold\x1b[0m", lone="a\x1bb")
    assert line["msg"] == "INFO - `Handle` waiting"
    assert (line["tag"], line["lone"]) == ("bold", "ab")


def test_extra_fields_never_replace_the_line_s_own() -> None:
    line = _line(msg="hello", service="other", logger="other", reason="why")
    assert (line["service"], line["logger"], line["reason"]) == ("goals", "x", "why")


def test_an_access_line_names_method_path_and_status() -> None:
    args = ("127.0.0.1:5000", "GET", "/v1/nothing?x=1", "1.1", 404)
    line = _line(name="uvicorn.access", msg='%s - "%s %s HTTP/%s" %d', args=args)
    assert line["msg"] == '127.0.0.1:5000 - "GET /v1/nothing?x=1 HTTP/1.1" 404'
    assert (line["method"], line["path"], line["status"]) == ("GET", "/v1/nothing?x=1", 404)
