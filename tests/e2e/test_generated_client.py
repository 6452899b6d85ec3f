"""A client generated from each service's OpenAPI document works against the running platform (issue 19).

`openapi-python-client` (a pinned dev tool, run as the .venv's own command) generates a package from the
document each service serves at /openapi.json, once per module, into a temporary directory. With those
packages a goal is created on goals (bearer key from the declared security scheme, readable method names from
the operation ids), a measurement recorded, and the goal's progress read back from tracking.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import httpx
import pytest

from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
SERVICES = ("goals", "tracking", "notifications")
T = TypeVar("T")


def _snake(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def _generate(url: str, service: str, into: Path) -> ModuleType:
    """The package generated from the document at `url`, imported as `generated_<service>`."""
    document = httpx.get(f"{url}/openapi.json", timeout=10).raise_for_status().json()
    (into / f"{service}.json").write_text(json.dumps(document))
    package = f"generated_{service}"
    command = [str(GENERATOR), "generate", "--path", str(into / f"{service}.json"), "--meta", "none"]
    result = subprocess.run(
        [*command, "--output-path", str(into / package)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    generated = {p.stem for p in (into / package / "api").glob("*/*.py")}
    missing = [
        operation["operationId"]
        for path, item in document["paths"].items()
        for operation in item.values()
        if path.startswith("/v1/") and _snake(operation["operationId"]) not in generated
    ]
    assert missing == [], f"{service}: the generated client has no method for {missing}:\n{result.stdout}"
    importlib.import_module(f"{package}.models")  # a subpackage the package itself does not import
    return importlib.import_module(package)


@pytest.fixture(scope="module")
def generated(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ModuleType]]:
    into = tmp_path_factory.mktemp("generated-clients")
    sys.path.insert(0, str(into))
    try:
        yield {service: _generate(getattr(platform, service).url, service, into) for service in SERVICES}
    finally:
        sys.path.remove(str(into))
        for name in [n for n in sys.modules if n.split(".")[0].startswith("generated_")]:
            del sys.modules[name]


def _call(package: ModuleType, operation: str, **kwargs: Any) -> Any:
    """`sync_detailed` of the generated module for `operation` (e.g. `create_goal`), wherever its tag put it."""
    for module in (Path(package.__path__[0]) / "api").glob(f"*/{operation}.py"):
        api = importlib.import_module(f"{package.__name__}.api.{module.parent.name}.{operation}")
        return api.sync_detailed(**kwargs)
    raise AssertionError(f"{package.__name__} has no operation {operation}")


def _eventually(probe: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := probe()) is not None:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not settled after {timeout:.0f}s: {what}")


def test_a_generated_client_creates_a_goal_and_reads_its_progress(
    platform: Platform, generated: dict[str, ModuleType]
) -> None:
    goals, tracking = generated["goals"], generated["tracking"]
    models = goals.models
    now, metric = datetime.now(UTC), f"crm.generated.{uuid.uuid4().hex[:8]}"
    body = models.GoalCreate(
        title="Deals closed, from a generated client",
        level=models.GoalCreateLevelType0.TEAM,
        metric=models.MetricIn(key=metric, aggregation=models.MetricInAggregation.SUM),
        target=100.0,
        start_at=now - timedelta(days=30),
        deadline=now + timedelta(days=60),
    )
    with goals.AuthenticatedClient(base_url=platform.goals.url, token=platform.api_key) as client:
        created = _call(goals, "create_goal", client=client, body=body)
        assert created.status_code == 201, created.content
        goal = created.parsed
        assert isinstance(goal, models.GoalView) and goal.title == body.title
        assert created.headers["ETag"] == f'"{goal.version}"' and created.headers["Location"] == f"/v1/goals/{goal.id}"
        batch = models.MeasurementBatch(measurements=[models.MeasurementIn(metric=metric, value=40.0, observed_at=now)])
        recorded = _call(goals, "record_measurements", client=client, body=batch)
        assert recorded.status_code == 202 and recorded.parsed.accepted == 1, recorded.content

    with tracking.AuthenticatedClient(base_url=platform.tracking.url, token=platform.api_key) as client:

        def progress() -> Any:
            answer = _call(tracking, "get_goal_progress", goal_id=goal.id, client=client)
            moved = answer.status_code == 200 and answer.parsed.current_value == 40.0
            return answer.parsed if moved else None

        shown = _eventually(progress, f"goal {goal.id} at 40 in tracking")
        assert isinstance(shown, tracking.models.GoalProgress) and shown.progress == pytest.approx(0.4)


def test_a_generated_client_with_a_wrong_key_gets_the_documented_401(
    platform: Platform, generated: dict[str, ModuleType]
) -> None:
    tracking = generated["tracking"]
    with tracking.AuthenticatedClient(base_url=platform.tracking.url, token="gs_not-a-key") as client:
        answer = _call(tracking, "get_goal_progress", goal_id=str(uuid.uuid4()), client=client)
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == "Bearer"
    assert isinstance(answer.parsed, tracking.models.Error) and answer.parsed.error == "unauthorized"
