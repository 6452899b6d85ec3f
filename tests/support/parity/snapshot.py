"""One consistent reading of both services: goals' views, and tracking's once it has caught up with them.

Tracking has caught up when its version of every goal and ladder equals goals' version (a sentinel per
stream, no sleeping). The goals scheduler may act meanwhile (a deadline passes, a status band changes),
so goals is read again afterwards: if any version moved, the reading starts over.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from tests.support.parity.topic import TopicReader

Views = dict[str, dict[str, Any]]  # ref -> a JSON view


@dataclass(frozen=True)
class Snapshot:
    ids: dict[str, str]  # goal ref -> id
    ladder_ids: dict[str, str]
    goals: Views  # GET goals /v1/goals/{id}
    tracking: Views  # GET tracking /v1/goals/{id}/progress
    anti: Views  # tracking's /v1/anti-goals items (with episodes), by ref
    ladders: Views  # GET goals /v1/ladders/{id}
    tracking_ladders: Views  # GET tracking /v1/ladders/{id}/progress
    events: dict[str, list[Envelope[Payload]]]  # stream id -> its events from the topic, in order


async def _get(client: httpx.AsyncClient, path: str, wanted: int = 200) -> dict[str, Any] | None:
    response = await client.get(path)
    if response.status_code == 404:
        return None  # tracking has not seen it yet
    assert response.status_code == wanted, f"GET {path}: {response.status_code} {response.text}"
    view: dict[str, Any] = response.json()
    return view


async def _all(client: httpx.AsyncClient, paths: dict[str, str]) -> dict[str, dict[str, Any] | None]:
    found = await asyncio.gather(*(_get(client, p) for p in paths.values()))
    return dict(zip(paths, found, strict=True))


def _versions(views: dict[str, dict[str, Any] | None]) -> dict[str, int | None]:
    return {ref: None if v is None else v["version"] for ref, v in views.items()}


async def settle(
    goals: httpx.AsyncClient,
    tracking: httpx.AsyncClient,
    reader: TopicReader,
    ids: dict[str, str],
    ladder_ids: dict[str, str],
    timeout: float = 90.0,
) -> Snapshot:
    deadline = time.monotonic() + timeout
    paths = {r: f"/v1/goals/{i}" for r, i in ids.items()} | {
        f"ladder {r}": f"/v1/ladders/{i}" for r, i in ladder_ids.items()
    }
    tracked = {r: f"/v1/goals/{i}/progress" for r, i in ids.items()} | {
        f"ladder {r}": f"/v1/ladders/{i}/progress" for r, i in ladder_ids.items()
    }
    while True:
        g = await _all(goals, paths)
        wanted = _versions(g)
        t = await _all(tracking, tracked)
        while (seen := _versions(t)) != wanted and not _ahead(seen, wanted):
            assert time.monotonic() < deadline, f"tracking never caught up: goals {wanted}, tracking {seen}"
            await asyncio.sleep(0.1)
            t = await _all(tracking, tracked)
        anti = (await _get(tracking, "/v1/anti-goals?limit=100")) or {"items": []}
        if _versions(await _all(goals, paths)) != wanted:  # goals moved on while tracking was read: again
            assert time.monotonic() < deadline, "goals kept changing: no consistent reading of both services"
            continue
        streams = {_stream(ref, ids, ladder_ids): v for ref, v in wanted.items() if v is not None}
        events = await reader.until(streams, max(1.0, deadline - time.monotonic()))
        by_id = {a["goal_id"]: a for a in anti["items"]}
        views, seen_views = _some(g), _some(t)
        return Snapshot(
            ids,
            ladder_ids,
            {r: v for r, v in views.items() if r in ids},
            {r: v for r, v in seen_views.items() if r in ids},
            {r: by_id[i] for r, i in ids.items() if i in by_id},
            {r: views[f"ladder {r}"] for r in ladder_ids},
            {r: seen_views[f"ladder {r}"] for r in ladder_ids},
            events,
        )


def _ahead(seen: dict[str, int | None], wanted: dict[str, int | None]) -> bool:
    """Tracking already shows a newer version than goals did: goals moved on, read it again."""
    return any((seen[r] or 0) > (v or 0) for r, v in wanted.items())


def _stream(ref: str, ids: dict[str, str], ladder_ids: dict[str, str]) -> str:
    return ladder_ids[ref.removeprefix("ladder ")] if ref.startswith("ladder ") else ids[ref]


def _some(views: dict[str, dict[str, Any] | None]) -> Views:
    missing = [ref for ref, v in views.items() if v is None]
    assert not missing, f"not found: {missing}"
    return {ref: v for ref, v in views.items() if v is not None}
