"""Two peer organisations for fuzzing the HTTP APIs with schemathesis, and the check that keeps them apart.

Each `Peer` is an organisation with its own API key and real resources (goals of every kind, a ladder,
a plan, measurements, subscriptions, deliveries) created through the API. Each peer also has a
`marker`, a unique word in the titles and metric keys of what it owns, so that a response showing
any of its data, not only its ids, is recognisable.

`no_cross_organisation_read` is registered as a schemathesis check, so every `case.call_and_validate()`
runs it. It looks at the key a request was sent with: while `Watching((a, b))`, a request with `a`'s key
fails when its response shows anything of `b`'s that the request did not itself name, and when it names
one of `b`'s ids (in its path, query or body) and is answered differently from the same request naming
an id that does not exist: another organisation's resource answers 404 like a missing one (DESIGN §4),
never 403, never 2xx, never 5xx. And the other way round.

`fuzz` runs every operation of a service's OpenAPI through schemathesis's generation and checks, with
`IdDraws` putting real ids of both organisations into the generated requests.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.core.result import Ok

from goalstream_runtime.auth import visible_prefix

# Path, query and body fields that name a resource, by the kind of resource they name.
GOAL_FIELDS = frozenset({"goal_id", "root", "parent_id", "guards", "root_goal_id"})
ID_KINDS: dict[str, str] = {
    "goal_id": "goals",
    "root": "goals",
    "parent_id": "goals",
    "guards": "goals",
    "root_goal_id": "goals",
    "ladder_id": "ladders",
    "subscription_id": "subscriptions",
    "delivery_id": "deliveries",
    "key_id": "keys",
    "org_id": "orgs",
}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass
class Peer:
    """An organisation, its API key and what it owns (ids by kind; secrets no other organisation may see)."""

    org_id: str
    api_key: str
    marker: str
    ids: dict[str, list[str]] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)  # secrets that are not ids: signing secrets, key prefixes

    def __post_init__(self) -> None:
        self.add("orgs", self.org_id)
        self.hidden.add(visible_prefix(self.api_key))  # what a key listing shows of a key

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def add(self, kind: str, *values: str) -> None:
        self.ids.setdefault(kind, []).extend(v for v in values if v not in self.ids.get(kind, []))

    def of_kind(self, kind: str | None) -> list[str]:
        if kind is None:
            return [v for values in self.ids.values() for v in values]
        return self.ids.get(kind, []) or self.of_kind(None)

    def secrets(self) -> set[str]:
        """Every string whose presence in a response means that response shows this organisation's data."""
        return {self.org_id, self.marker, *self.hidden, *(v for values in self.ids.values() for v in values)}


# --- creating and seeding an organisation ---------------------------------------------------------


def _admin(database_url: str, *args: str) -> str:
    """`goalstream admin ...` against the goals database; its output."""
    result = subprocess.run(
        [sys.executable, "-m", "goalstream_runtime.cli", "admin", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "GOALSTREAM_DATABASE_URL": database_url, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _key(output: str) -> str:
    return next(word for line in output.splitlines() for word in line.split() if word.startswith("gs_"))


def create_organisation(database_url: str, org_id: str) -> str:
    """`goalstream admin org create` (read, write and admin scopes); returns the new organisation's API key."""
    return _key(_admin(database_url, "org", "create", org_id, "--name", f"peer {org_id}"))


def issue_spare_key(database_url: str, peer: Peer) -> None:
    """A second, read-only key whose id the fuzzer may name (and revoke): never the key the tests use."""
    output = _admin(database_url, "key", "issue", peer.org_id, "--scopes", "read")
    peer.add("keys", output.split()[1])  # "key <key id> for <org> (shown once):"
    peer.hidden.add(visible_prefix(_key(output)))


def wait_for(probe: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last is not None and last is not False:
            return last
        time.sleep(0.2)
    raise AssertionError(f"not settled after {timeout:.0f}s: {what} (last: {last!r})")


@dataclass
class Seeder:
    """Creates a peer's resources through the real APIs and waits until every service knows them."""

    goals_url: str
    tracking_url: str
    notifications_url: str
    peer: Peer
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def _client(self) -> httpx.Client:
        return httpx.Client(headers=self.peer.auth, timeout=30)

    def _post(self, client: httpx.Client, url: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        response = client.post(url, json=body)
        assert response.status_code == status, f"POST {url} {body}: {response.status_code} {response.text}"
        created: dict[str, Any] = response.json()
        return created

    def _time(self, days: float) -> str:
        return (self.now + timedelta(days=days)).isoformat()

    def seed(self) -> Peer:
        p, m = self.peer, self.peer.marker
        with self._client() as client:
            # Other services learn a new key from the identity topic.
            wait_for(lambda: client.get(f"{self.notifications_url}/v1/subscriptions").status_code == 200, "key")
            wait_for(lambda: client.get(f"{self.tracking_url}/v1/tree").status_code == 200, "key at tracking")
            # Subscribed first, so that the goals' events below become deliveries (that fail: nothing listens).
            everything = self._subscribe(client, {"channel": "webhook", "target": "http://127.0.0.1:9/hook"})
            metric = {"aggregation": "sum"}
            root = self._goal(
                client,
                {"title": f"{m} root", "level": "organisation", "rollup": "sum", "target": 100},
            )
            child = self._goal(
                client,
                {
                    "title": f"{m} cascade child",
                    "level": "department",
                    "parent_id": root,
                    "weight": 2,
                    "metric": {"key": f"{m}.leads", **metric},
                    "target": 50,
                },
            )
            anti = self._goal(
                client,
                {
                    "title": f"{m} anti",
                    "kind": "anti",
                    "level": "team",
                    "metric": {"key": f"{m}.churn", "aggregation": "latest"},
                    "comparator": "above",
                    "threshold": 0.5,
                    "severity": "critical",
                    "guards": child,
                },
            )
            self._post(client, f"{self.goals_url}/v1/goals/{root}/plan", {"milestones": 4})
            ladder = self._post(
                client,
                f"{self.goals_url}/v1/ladders",
                {
                    "title": f"{m} ladder",
                    "rungs": [
                        {
                            "title": f"{m} rung {i}",
                            "metric": {"key": f"{m}.posts", **metric},
                            "target": 10 * i,
                            "deadline": self._time(30 * i),
                        }
                        for i in (1, 2)
                    ],
                },
            )
            p.add("ladders", ladder["id"])
            p.add("goals", *(r["goal_id"] for r in ladder["rungs"]))
            measurements = [
                {"id": f"{m}-m{i}", "metric": f"{m}.{key}", "value": value, "observed_at": self._time(-1)}
                for i, (key, value) in enumerate((("leads", 20), ("churn", 0.9), ("posts", 4)))
            ]
            self._post(client, f"{self.goals_url}/v1/measurements", {"measurements": measurements}, 202)
            p.add("measurements", *(str(item["id"]) for item in measurements))
            for goal_id in p.ids["goals"]:
                events = client.get(f"{self.goals_url}/v1/goals/{goal_id}/events").json()
                p.add("events", *(e["event_id"] for e in events))
            # A subscription to the root's subtree needs notifications to know the root already.
            self._subscribe(
                client,
                {"channel": "webhook", "target": "http://127.0.0.1:9/subtree", "root_goal_id": root},
                retry_unknown=True,
            )
            self._wait_for_tracking(client, root, anti, ladder["id"])
            self._wait_for_deliveries(client, everything)
        return p

    def _goal(self, client: httpx.Client, fields: dict[str, Any]) -> str:
        times = {} if fields.get("kind") == "anti" else {"start_at": self._time(-10), "deadline": self._time(60)}
        body = {**times, **fields}
        goal_id: str = self._post(client, f"{self.goals_url}/v1/goals", body)["id"]
        self.peer.add("goals", goal_id)
        return goal_id

    def _subscribe(self, client: httpx.Client, body: dict[str, Any], retry_unknown: bool = False) -> str:
        def attempt() -> dict[str, Any] | None:
            response = client.post(f"{self.notifications_url}/v1/subscriptions", json=body)
            if retry_unknown and response.status_code == 422 and "unknown_goal" in response.text:
                return None
            assert response.status_code == 201, response.text
            created: dict[str, Any] = response.json()
            return created

        created = wait_for(attempt, f"subscription {body}")
        self.peer.add("subscriptions", created["id"])
        self.peer.hidden.add(created["secret"])
        subscription_id: str = created["id"]
        return subscription_id

    def _wait_for_tracking(self, client: httpx.Client, root: str, anti: str, ladder_id: str) -> None:
        def applied() -> bool:
            progress = client.get(f"{self.tracking_url}/v1/goals/{anti}/progress")
            ladder = client.get(f"{self.tracking_url}/v1/ladders/{ladder_id}/progress")
            tree = client.get(f"{self.tracking_url}/v1/tree", params={"root": root})
            return progress.status_code == ladder.status_code == tree.status_code == 200 and bool(
                progress.json().get("breached")
            )

        wait_for(applied, "tracking applied the seeded goals")

    def _wait_for_deliveries(self, client: httpx.Client, subscription_id: str) -> None:
        """Deliveries to the (unanswered) webhook exist and have all failed for good, so they no longer change."""

        def settled() -> list[dict[str, Any]] | None:
            response = client.get(f"{self.notifications_url}/v1/deliveries", params={"limit": 1000})
            found: list[dict[str, Any]] = response.json() if response.status_code == 200 else []
            mine = [d for d in found if d["subscription_id"] == subscription_id]
            if not mine or any(d["status"] == "pending" for d in found):
                return None
            return found

        for delivery in wait_for(settled, "deliveries to the unanswered webhook, every one settled"):
            self.peer.add("deliveries", delivery["id"])


def snapshot(peer: Peer, goals_url: str, notifications_url: str) -> dict[str, Any]:
    """What a peer owns, as its own key reads it: another organisation's requests must change none of it."""
    state: dict[str, Any] = {}
    with httpx.Client(headers=peer.auth, timeout=30) as client:
        for goal_id in peer.ids["goals"]:
            goal = client.get(f"{goals_url}/v1/goals/{goal_id}").json()
            state[goal_id] = (goal["version"], goal["archived"], goal["definition"])
        for ladder_id in peer.ids["ladders"]:
            state[ladder_id] = client.get(f"{goals_url}/v1/ladders/{ladder_id}").json()["version"]
        subscriptions = client.get(f"{notifications_url}/v1/subscriptions", params={"limit": 1000}).json()
        deliveries = client.get(f"{notifications_url}/v1/deliveries", params={"limit": 1000}).json()
    state["subscriptions"] = sorted((s["id"], s["status"], s["secret_rotated_at"]) for s in subscriptions)
    # Settled deliveries only: a pending one settles on its own. One retried (by anyone) leaves this set.
    state["deliveries"] = {(d["id"], d["status"], d["attempts"]) for d in deliveries if d["status"] != "pending"}
    return state


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """What differs between two snapshots, but for deliveries that settled in between."""
    found = {k: (v, after.get(k)) for k, v in before.items() if k != "deliveries" and after.get(k) != v}
    if not before["deliveries"] <= after["deliveries"]:
        found["deliveries"] = (before["deliveries"] - after["deliveries"], after["deliveries"] - before["deliveries"])
    return found


# --- drawing ids for generated requests -----------------------------------------------------------


@dataclass(frozen=True)
class IdDraws:
    """Where a generated request's ids come from: mostly `first`'s real ids, some `second`'s, some as generated."""

    first: Peer
    second: Peer
    first_share: int = 14  # out of 20
    second_share: int = 3  # the rest keep the generated value

    def value(self, name: str, generated: Any) -> st.SearchStrategy[Any]:
        kind = ID_KINDS.get(name)
        first, second = self.first.of_kind(kind), self.second.of_kind(kind)

        def pick(n: int) -> st.SearchStrategy[Any]:
            if n < self.first_share:
                return st.sampled_from(first)
            if n < self.first_share + self.second_share:
                return st.sampled_from(second)
            return st.just(generated)

        return st.integers(0, 19).flatmap(pick)

    def mapping(self, values: Mapping[str, Any], names: Iterable[str] | None = None) -> st.SearchStrategy[Any]:
        """`values` with each string (under one of `names`; every one if None) replaced by a drawn id."""
        if not isinstance(values, Mapping):
            return st.just(values)
        wanted = set(values) if names is None else set(names) & set(values)
        return st.fixed_dictionaries(
            {k: self.value(k, v) if k in wanted and isinstance(v, str) else st.just(v) for k, v in values.items()}
        )

    def body(self, body: Any) -> st.SearchStrategy[Any]:
        """A JSON body with the goal ids it names (parent_id, guards, root_goal_id, measurements' goal_id) drawn."""
        if not isinstance(body, Mapping):
            return st.just(body)
        if isinstance(body.get("measurements"), list):
            items = body["measurements"]
            drawn = st.tuples(*(self.mapping(m, GOAL_FIELDS) for m in items)) if items else st.just(())
            return st.tuples(self.mapping(body, GOAL_FIELDS), drawn).map(
                lambda pair: {**pair[0], "measurements": list(pair[1])}
            )
        return self.mapping(body, GOAL_FIELDS)

    def headers(self, headers: Any) -> st.SearchStrategy[Any]:
        """An `If-Match` that is often a plausible version, so that a revision gets past it to the goal it names."""
        if not isinstance(headers, Mapping) or not any(k.lower() == "if-match" for k in headers):
            return st.just(headers)
        versions = st.sampled_from(['"1"', '"2"', "3", 'W/"4"'])
        return st.fixed_dictionaries(
            {
                k: st.one_of(st.just(v), versions) if k.lower() == "if-match" and isinstance(v, str) else st.just(v)
                for k, v in headers.items()
            }
        )

    def case(self, case: Case[Any]) -> st.SearchStrategy[Case[Any]]:
        """`case` with its path, query, header and body ids drawn (in place: schemathesis then revalidates it)."""
        parts = st.tuples(
            self.mapping(case.path_parameters),
            self.mapping(case.query, ID_KINDS),
            self.headers(dict(case.headers)),
            self.body(case.body),
        )

        def apply(drawn: tuple[Any, Any, Any, Any]) -> Case[Any]:
            path, query, headers, body = drawn
            if path != case.path_parameters:
                case.path_parameters = dict(path)
            if query != case.query:
                case.query = dict(query)
            if headers != dict(case.headers):
                case.headers = CaseInsensitiveDict(headers)
            if body != case.body:
                case.body = body
            return case

        return parts.map(apply)

    def install(self, schema: BaseSchema) -> None:
        """Register the draws as a schema hook: every generated case gets them, whatever its generation mode.

        A case hook, not per-container ones: schemathesis sees the change and re-labels the case, so a
        negative case whose invalid value was replaced by a real (valid) id is not expected to be refused.
        """
        schema.hook("flatmap_case")(lambda _ctx, case: self.case(case))


def loopback_targets(case: Any) -> None:
    """Point any generated webhook or Slack URL at a closed loopback port: fuzzing must not send alerts anywhere."""
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("target"), str):
        return
    try:
        parts = urlsplit(body["target"])
        if parts.scheme in ("http", "https") and parts.hostname:
            body["target"] = urlunsplit((parts.scheme, "127.0.0.1:9", parts.path, parts.query, ""))
    except ValueError:
        return


# --- running the fuzzer ---------------------------------------------------------------------------


def load_schema(url: str, draws: IdDraws, config: Mapping[str, Any]) -> BaseSchema:
    """A service's OpenAPI from `url`, configured by `config` alone (no schemathesis.toml), with `draws` installed."""
    schema = schemathesis.openapi.from_url(url, config=schemathesis.Config.from_dict(dict(config)))
    draws.install(schema)
    return schema


def fuzz(schema: BaseSchema, headers: Mapping[str, str], subtests: pytest.Subtests, max_examples: int) -> None:
    """Every operation of `schema`, `max_examples` generated requests each (positive and negative), one subtest each.

    Not `schema.parametrize()`: its fixture-loaded form (`schemathesis.pytest.from_fixture`, needed because the
    services start in a fixture) sets `Function._nodeid`, which pytest 9.2 no longer has. This is what that
    does, minus its reporting: a Hypothesis test per operation over `operation.as_strategy()` in each mode.
    """
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"schemathesis cannot read an operation: {result.err()}"
        operation = result.ok()
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if _has_inputs(operation) else [])
        strategy = st.one_of([operation.as_strategy(generation_mode=mode) for mode in modes])

        @hypothesis.settings(
            max_examples=max_examples,
            deadline=None,
            database=None,  # nothing written to .hypothesis/; each run explores afresh
            phases=(hypothesis.Phase.explicit, hypothesis.Phase.generate),  # no shrinking: the budget is bounded
            suppress_health_check=list(hypothesis.HealthCheck),  # each example is an HTTP request: slow is fine
        )
        @hypothesis.given(case=strategy)
        def run(case: Case[Any]) -> None:
            loopback_targets(case)
            _ = case.meta  # reading it re-labels a case the hooks changed: still negative, or not
            case.call_and_validate(headers=dict(headers))

        with subtests.test(msg=operation.label):
            run()


def _has_inputs(operation: APIOperation[Any, Any, Any, Any]) -> bool:
    return any(True for _ in operation.iter_parameters()) or bool(operation.body)


# --- the check ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Watch:
    caller: Peer
    other: Peer


_WATCHES: dict[str, Watch] = {}
# Error codes a service answers before it looks anything up: the same for any id.
_SHAPE_ERRORS = frozenset(
    {"invalid_request", "malformed_json", "payload_too_large", "precondition_required", "invalid_if_match"}
)


@dataclass
class Watching:
    """`no_cross_organisation_read` watches requests sent with each peer's key for the other peer's data."""

    peers: tuple[Peer, Peer]

    def __enter__(self) -> Watching:
        a, b = self.peers
        _WATCHES[a.auth["Authorization"]] = Watch(a, b)
        _WATCHES[b.auth["Authorization"]] = Watch(b, a)
        return self

    def __exit__(self, *_: object) -> None:
        for peer in self.peers:
            _WATCHES.pop(peer.auth["Authorization"], None)


def _request_text(request: Any) -> str:
    body = request.body or b""
    text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
    return unquote(str(request.url)) + "\n" + text


def _error_code(response: Any) -> str | None:
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


def _named(container: Any, secrets: set[str]) -> Iterator[str]:
    """Every string in a case's path, query or body (nested) that is one of `secrets`."""
    if isinstance(container, str):
        if container in secrets:
            yield container
    elif isinstance(container, Mapping):
        for value in container.values():
            yield from _named(value, secrets)
    elif isinstance(container, list | tuple):
        for value in container:
            yield from _named(value, secrets)


def _unknown_like(value: str) -> str:
    """An id of the same shape as `value` that names nothing."""
    if _UUID.match(value):
        return str(uuid.uuid4())
    return "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in value)


def _replace(container: Any, swap: Mapping[str, str]) -> Any:
    if isinstance(container, str):
        return swap.get(container, container)
    if isinstance(container, Mapping):
        return {k: _replace(v, swap) for k, v in container.items()}
    if isinstance(container, list):
        return [_replace(v, swap) for v in container]
    return container


@schemathesis.check
def no_cross_organisation_read(ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Any) -> None:
    """Another organisation's data never appears, and its ids answer exactly like ids that do not exist."""
    request = response.request
    watch = _WATCHES.get(str(request.headers.get("Authorization", "")))
    if watch is None:
        return
    secrets = watch.other.secrets()
    asked = _request_text(request)
    body = response.content.decode(errors="replace")
    shown = sorted(s for s in secrets if s in body and s not in asked)
    assert not shown, (
        f"{watch.caller.org_id}'s request got {response.status_code} showing {watch.other.org_id}'s data"
        f" it did not ask for: {shown[:5]}"
    )
    named = {
        value
        for container in (case.path_parameters, case.query, case.body if isinstance(case.body, dict | list) else None)
        for value in _named(container, secrets)
    }
    if not named:
        return
    status = response.status_code
    in_path = any(v in named for v in _named(case.path_parameters, secrets))
    assert status != 403 and status < 500 and not (in_path and 200 <= status < 300), (
        f"{watch.caller.org_id} named {watch.other.org_id}'s {sorted(named)} and got {status}:"
        " another organisation's resource must answer 404, like one that does not exist"
    )
    if status == 404 or status == 429 or (status in (400, 413, 422, 428) and _error_code(response) in _SHAPE_ERRORS):
        return  # refused before anything was looked up (429: at authentication), so the same for any id
    # Anything else must be what an id that names nothing gets.
    swap = {value: _unknown_like(value) for value in named}
    control = case.operation.Case(
        path_parameters=_replace(case.path_parameters, swap),
        query=_replace(case.query, swap),
        headers=dict(case.headers or {}),
        body=_replace(case.body, swap),
        media_type=case.media_type,
    ).call(headers=dict(watch.caller.auth))
    assert (control.status_code, _error_code(control)) == (status, _error_code(response)), (
        f"{watch.caller.org_id} named {watch.other.org_id}'s {sorted(named)} and got {status}"
        f" {_error_code(response)}, but an unknown id gets {control.status_code} {_error_code(control)}:"
        " the answer tells another organisation's ids from missing ones"
    )
