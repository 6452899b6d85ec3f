"""`goalstream webhooks listen`: one line a delivery, with the goal's title, the signature's verdict, and no
terminal control from what was received."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import httpx

from goalstream_notifications.adapters.webhook import signed_headers
from goalstream_runtime.embedded.ports import free_port

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # any base64 secret


def _listen(port: int, *args: str) -> subprocess.Popen[str]:
    """The listener, once it says it listens (it binds first)."""
    command = [sys.executable, "-m", "goalstream_cli", "webhooks", "listen", "--port", str(port), *args]
    listener = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert listener.stdout is not None
    first = listener.stdout.readline()
    assert first.startswith("listening on"), first
    return listener


def _post(port: int, path: str, body: str, secret: str) -> int:
    """A delivery signed as notifications signs one."""
    headers = signed_headers("msg_1", secret, body, datetime.now(UTC))
    return httpx.post(f"http://127.0.0.1:{port}{path}", content=body, headers=headers, timeout=10).status_code


def test_a_delivery_is_one_line_with_its_title_and_the_signature_checked() -> None:
    port = free_port()
    listener = _listen(port, "--secret", SECRET, "--count", "2", "--timeout", "30")
    body = json.dumps({"type": "io.goalstream.GoalAchieved", "title": "Qualified \x1b[31mleads", "data": {}})
    assert _post(port, "/hook[/bold]", body, SECRET) == 204
    assert _post(port, "/hook", body, "whsec_" + "A" * 32) == 204  # signed with another secret
    out, _ = listener.communicate(timeout=30)
    assert listener.returncode == 0, out
    lines = [line for line in out.splitlines() if "GoalAchieved" in line]
    assert len(lines) == 2, out
    assert "Qualified \\x1b[31mleads" in lines[0] and "signature ok" in lines[0]  # the title, its escape shown
    assert "/hook[/bold]" in lines[0]  # the path as text, not rich markup (which would fail in the handler)
    assert "signature refused" in lines[1]
    assert "\x1b" not in out


def test_no_delivery_within_the_timeout_is_exit_1_saying_where_to_look() -> None:
    listener = _listen(free_port(), "--count", "1", "--timeout", "0.5")
    out, _ = listener.communicate(timeout=30)
    assert listener.returncode == 1 and "GET /v1/deliveries" in out, out
