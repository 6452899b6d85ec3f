"""Every line every service writes to its log file is one JSON object (issue 18, item 4): our loggers,
FastStream's, uvicorn's (error and access), aiokafka's, warnings and uncaught exceptions, without colour codes.

The services run as `goalstream run` runs them: subprocesses whose stdout and stderr go to one log file each.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from goalstream_contracts.topics import MEASUREMENTS
from tests.e2e.conftest import Platform
from tests.support.polling import eventually
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e

ESC = "\x1b"


def _lines(path: Path) -> list[str]:
    return path.read_text(errors="replace").splitlines() if path.exists() else []


def _parsed(path: Path) -> list[dict[str, Any]]:
    """The lines that parse as JSON objects (the others are what the assertions below report)."""
    found = []
    for line in _lines(path):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _assert_json_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of the file: a JSON object with a level and a logger, no ESC character, raw or decoded."""
    lines = _lines(path)
    assert lines, f"{path} is empty"
    parsed = []
    for number, line in enumerate(lines, 1):
        where = f"{path.name}:{number}: {line[:300]!r}"
        assert ESC not in line, where
        try:
            value = json.loads(line)
        except ValueError:
            pytest.fail(f"not JSON: {where}")
        assert isinstance(value, dict), where
        assert isinstance(value.get("level"), str) and value["level"], where
        assert isinstance(value.get("logger"), str) and value["logger"], where
        assert not any(ESC in s for s in _strings(value)), where
        parsed.append(value)
    return parsed


async def test_every_line_of_every_service_log_is_a_json_object(platform: Platform) -> None:
    trace_id = uuid.uuid4().hex
    traced = {"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"}
    start = datetime.now(UTC) - timedelta(days=1)
    metric = f"logs.{uuid.uuid4().hex[:8]}"
    goal = {
        "title": "JSON logs",
        "metric": {"key": metric, "aggregation": "sum"},
        "target": 10,
        "start_at": start.isoformat(),
        "deadline": (start + timedelta(days=30)).isoformat(),
    }
    measurement = {"measurements": [{"metric": metric, "value": 4, "observed_at": datetime.now(UTC).isoformat()}]}
    async with httpx.AsyncClient(headers=platform.auth, timeout=10) as client:
        created = await client.post(f"{platform.goals.url}/v1/goals", json=goal)
        assert created.status_code == 201, created.text
        sent = await client.post(f"{platform.goals.url}/v1/measurements", json=measurement, headers=traced)
        assert sent.status_code == 202, sent.text
        assert (await client.get(f"{platform.goals.url}/v1/no-such-route")).status_code == 404

        # A poison record: the goals consumer dead-letters it with an error line.
        producer = AIOKafkaProducer(bootstrap_servers=platform.kafka_bootstrap)
        await producer.start()
        try:
            poison = await producer.send_and_wait(MEASUREMENTS, b"{not json", key=uuid.uuid4().bytes)
        finally:
            await producer.stop()

        async def dead_lettered() -> bool:
            return any(
                line.get("msg") == "record dead-lettered" and line.get("offset") == poison.offset
                for line in _parsed(platform.goals.log_path)
                if line.get("topic") == MEASUREMENTS
            )

        await eventually(dead_lettered, 60, "goals logging the poison record's dead letter")

        # The sentinel: each service's access line for a request made last, so what came before is written.
        services = (platform.goals, platform.tracking, platform.notifications)
        for service in services:
            sentinel = f"/v1/sentinel-{uuid.uuid4().hex}"
            assert (await client.get(f"{service.url}{sentinel}")).status_code == 404

            async def logged(service: ServiceProcess = service, sentinel: str = sentinel) -> bool:
                return any(sentinel in str(line.get("msg")) for line in _parsed(service.log_path))

            await eventually(logged, 30, f"{service.name} logging the access line of {sentinel}")

    for service in services:
        lines = _assert_json_lines(service.log_path)
        loggers = {line["logger"] for line in lines}
        assert any(name.startswith("faststream") for name in loggers), (service.name, loggers)
        assert any(name.startswith("uvicorn") for name in loggers), (service.name, loggers)
    goals = _assert_json_lines(platform.goals.log_path)
    inside = [line for line in goals if line.get("trace_id") == trace_id]
    assert any(line["logger"] == "uvicorn.access" and "/v1/measurements" in line["msg"] for line in inside), inside


def test_a_service_that_cannot_start_logs_why_as_json(tmp_path: Path) -> None:
    """A refused setting raises before the service serves: the traceback goes inside one JSON line."""
    env = {
        "GOALSTREAM_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "GOALSTREAM_KAFKA_BOOTSTRAP": "127.0.0.1:1",
        "GOALSTREAM_HTTP_KEEP_ALIVE_SECONDS": "0",  # must be at least 1
    }
    service = ServiceProcess("goals", env, tmp_path).start()
    assert service.process is not None
    assert service.process.wait(60) != 0
    lines = _assert_json_lines(service.log_path)
    [fatal] = [line for line in lines if line["level"] == "critical"]
    assert "http_keep_alive_seconds" in fatal["exc"] and "ValidationError" in fatal["exc"], fatal
