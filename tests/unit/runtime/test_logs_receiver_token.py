"""A Salesforce receiver token travels in the URL (Outbound Messages carry no signature and no header of ours),
so it is a credential in every access line: the log keeps the route and leaves the token out."""

from __future__ import annotations

import json
import logging

from goalstream_runtime.logs import JsonFormatter

TOKEN = "gsr_Q2hhbmdlIG1lIGlmIHlvdSBjYW4gcmVhZCB0aGlz-_0"


def _line(**fields: object) -> dict[str, object]:
    record = logging.makeLogRecord({"levelname": "INFO", "name": "x", **fields})
    line = json.loads(JsonFormatter("goals").format(record))
    assert isinstance(line, dict)
    return line


def test_an_access_line_and_a_warning_leave_the_receiver_token_out() -> None:
    path = f"/v1/receivers/salesforce/{TOKEN}"
    access = _line(name="uvicorn.access", msg='%s - "%s %s HTTP/%s" %d', args=("10.0.0.1:1", "POST", path, "1.1", 200))
    warning = _line(msg="a dependency is unavailable", path=path)
    assert TOKEN not in json.dumps(access) and TOKEN not in json.dumps(warning)
    assert access["path"] == warning["path"] == "/v1/receivers/salesforce/gsr_<redacted>"
    assert access["msg"] == '10.0.0.1:1 - "POST /v1/receivers/salesforce/gsr_<redacted> HTTP/1.1" 200'
