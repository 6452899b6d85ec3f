"""`goalstream goals import`: a goal tree from a CSV or JSON file through a real goals service (PostgreSQL, Kafka)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
import uvicorn
from typer.testing import CliRunner, Result

from goalstream_cli.main import app
from goalstream_goals.adapters import organisations
from goalstream_goals.bootstrap import build_app
from goalstream_goals.settings import GoalsSettings
from goalstream_runtime.auth import new_api_key
from tests.support.infra import Endpoints
from tests.support.polling import eventually

TREE = """\
ref,parent_ref,title,level,metric,aggregation,target,deadline,rollup
alice,sales-emea,Alice's deals,individual,crm.deals.alice,sum,10,2030-01-01T00:00:00Z,
bob,sales-emea,Bob's deals,individual,crm.deals.bob,sum,10,2030-01-01T00:00:00Z,
sales-emea,company,EMEA sales,team,,,20,2030-01-01T00:00:00Z,sum
company,,Company revenue,organisation,,,20,2030-01-01T00:00:00Z,sum
"""


@dataclass
class Served:
    url: str
    key: str
    org_id: str
    pool: asyncpg.Pool

    async def goals(self) -> dict[str, tuple[str, str | None]]:
        """title -> (goal id, parent id) of every goal of the organisation."""
        rows = await self.pool.fetch(
            "SELECT payload FROM events WHERE org_id = $1 AND event_type = 'GoalSet'", self.org_id
        )
        payloads = [json.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"] for r in rows]
        return {p["title"]: (p["goal_id"], p.get("parent_id")) for p in payloads}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
async def served(database_url: str, infra: Endpoints) -> AsyncIterator[Served]:
    """The goals service on a real port (the command is a real HTTP client) with one organisation."""
    settings = GoalsSettings(
        database_url=database_url,
        kafka_bootstrap=infra.kafka_bootstrap,
        consumer_group_prefix=f"it-{uuid.uuid4().hex[:8]}",
        scheduler_enabled=False,
    )
    application, port = build_app(settings), _free_port()
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: _true(server.started), 60, "the goals service to start")
        pool: asyncpg.Pool = application.state.pool
        org_id, key = f"org-{uuid.uuid4().hex[:8]}", new_api_key()
        async with pool.acquire() as conn, conn.transaction():
            await organisations.create_organisation(conn, org_id, "Org", key, ("read", "write"), datetime.now(UTC))
        yield Served(f"http://127.0.0.1:{port}", key, org_id, pool)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _true(value: bool) -> bool:
    return value


async def goals_import(served: Served, *args: str) -> Result:
    """`goalstream goals import ...`, in a thread: the command blocks on HTTP while this loop serves it."""
    argv = ["goals", "import", *args, "--api", served.url, "--key", served.key]
    return await asyncio.to_thread(CliRunner().invoke, app, argv, env={"COLUMNS": "200"})


async def test_a_csv_tree_in_any_order_is_imported_in_one_batch_and_again_creates_nothing(
    served: Served, tmp_path: Path
) -> None:
    tree, ids = tmp_path / "tree.csv", tmp_path / "ids.csv"
    tree.write_text(TREE)
    result = await goals_import(served, str(tree), "--ids", str(ids))
    assert result.exit_code == 0, result.output
    assert "4 goals created" in result.output, result.output
    assert "creating 4 goals" in result.output and "4/4" in result.output  # the progress bar

    made = await served.goals()
    company, _ = made["Company revenue"]
    emea, emea_parent = made["EMEA sales"]
    assert emea_parent == company and made["Alice's deals"][1] == emea and made["Bob's deals"][1] == emea
    with ids.open(newline="") as f:
        listed = {r["ref"]: r["goal_id"] for r in csv.DictReader(f)}
    assert listed == {"alice": made["Alice's deals"][0], "bob": made["Bob's deals"][0], "sales-emea": emea,
                      "company": company}  # fmt: skip
    headers = {"Authorization": f"Bearer {served.key}"}
    async with httpx.AsyncClient(base_url=served.url, headers=headers) as http:
        alice = (await http.get(f"/v1/goals/{listed['alice']}")).json()
    assert alice["definition"]["metric"] == {"key": "crm.deals.alice", "aggregation": "sum"}
    assert alice["definition"]["target"] == 10 and alice["definition"]["level"] == "individual"

    again = await goals_import(served, str(tree))
    assert again.exit_code == 0 and "4 goals were already created by this file" in again.output, again.output
    assert len(await served.goals()) == 4


async def test_a_refused_item_is_named_by_its_line_and_nothing_is_created(served: Served, tmp_path: Path) -> None:
    tree = tmp_path / "tree.csv"
    tree.write_text(TREE.replace("sum,10,2030-01-01T00:00:00Z,\ns", "sum,10,next week,\ns"))  # Bob's, on line 3
    result = await goals_import(served, str(tree))
    assert result.exit_code == 1, result.output
    assert "nothing was created" in result.output and "line 3: deadline: " in result.output, result.output
    assert await served.goals() == {}

    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"goals": [{"title": "x", "parent_ref": "nobody", "target": 1}]}))
    result = await goals_import(served, str(unknown))
    assert result.exit_code == 1 and "item 1: parent_ref: no goal of this batch" in result.output, result.output
    assert await served.goals() == {}
