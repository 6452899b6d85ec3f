"""A process with goalstream's logging writes nothing but JSON lines, whoever writes and however.

Logging set-up is process-wide (handlers, hooks, sys.stdout), so it runs in a child process, as a service does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import logging, sys, threading, warnings

    import faststream.kafka  # installs FastStream's own coloured handler on import, as in a service
    from goalstream_runtime.logs import configure_logging

    configure_logging("goals", "INFO")
    logging.getLogger("faststream").info("`Handle` waiting for messages")
    logging.getLogger("uvicorn.error").info("Started server process [1]")
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", "/x", "1.1", 404)
    logging.getLogger("aiokafka").warning("coordinator went away")
    logging.getLogger("aiokafka").info("chatty")  # below aiokafka's level
    logging.getLogger("asyncpg").warning("a pool warning")
    warnings.warn("a deprecated thing", DeprecationWarning)
    print("a stray print")
    print("to stderr", file=sys.stderr)
    thread = threading.Thread(target=lambda: 1 / 0)
    thread.start()
    thread.join()
    raise RuntimeError("uncaught at the top")
    """
)


def test_every_line_a_process_writes_is_json() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60, check=False
    )
    assert done.returncode == 1
    output = done.stdout.decode()
    assert "\x1b" not in output
    lines = []
    for raw in output.splitlines():
        line = json.loads(raw)  # raises on the first line that is not JSON
        assert isinstance(line, dict) and line["level"] and line["logger"] and line["service"] == "goals", raw
        lines.append(line)
    by_msg = {line["msg"]: line for line in lines}
    assert by_msg["`Handle` waiting for messages"]["logger"] == "faststream"
    assert by_msg["Started server process [1]"]["logger"] == "uvicorn.error"
    assert by_msg['127.0.0.1:1 - "GET /x HTTP/1.1" 404']["status"] == 404
    assert by_msg["coordinator went away"]["level"] == "warning"
    assert "chatty" not in by_msg
    assert by_msg["a pool warning"]["logger"] == "asyncpg"
    assert by_msg["a stray print"]["logger"] == "stdout"
    assert by_msg["to stderr"]["logger"] == "stderr"
    [warned] = [line for line in lines if line["logger"] == "py.warnings"]
    assert "DeprecationWarning: a deprecated thing" in str(warned["msg"])
    uncaught = [line for line in lines if line["level"] == "critical"]
    assert [("ZeroDivisionError" in str(u["exc"]), "uncaught at the top" in str(u["exc"])) for u in uncaught] == [
        (True, False),
        (False, True),
    ]
