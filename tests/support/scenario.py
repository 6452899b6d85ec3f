"""Scenario files (tests/data/scenarios/*.json, or any file of that shape) as executable tests.

A scenario describes goals, plans and ladders with symbolic `ref`s and times relative to the moment
it starts (`"-45d"` is 45 days before `now`), then steps: a batch of measurements each, and what must
hold once the system has settled after it (`expect`). This module has two halves:

- the loader: `Scenario.load(path)` parses and validates a file (every ref resolves, every event type
  exists in the contract, every expectation is one this module knows), and turns its parts into API
  request bodies against a given `now` and the ids the system handed out (`Refs`);
- the runner: `ScenarioRunner` drives the goals service over HTTP, reads the goal events topic back
  from Kafka, and checks each step's expectations. It reads goal and ladder state from the goals
  service by default; a test of another read model overrides `read_goal`, `read_ladder` or
  `read_open_breaches`, and every test says which kinds of expectation it asserts (`checks`).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from goalstream_contracts.cloudevents import CONTENT_TYPE, SPEC_VERSION, TYPE_PREFIX, ContractError, from_kafka
from goalstream_contracts.registry import BY_TYPE
from goalstream_contracts.topics import GOAL_EVENTS
from tests.support.polling import eventually

# Test data kept in the repository, so that a clone with nothing beside it runs its scenarios.
SCENARIOS_DIR = Path(__file__).resolve().parents[1] / "data" / "scenarios"
TOLERANCE = 1e-6  # scenario numbers are written to 6 decimals

# Fields holding a time, relative ("-45d") or absolute (ISO-8601 with a zone), wherever they appear.
TIME_FIELDS = frozenset({"start_at", "deadline", "due", "observed_at"})

RefKind = Literal["goal", "ladder"]


class ScenarioError(ValueError):
    """The scenario file is malformed; the message says where."""


class Check(StrEnum):
    """The kinds of expectation a step may list; a runner asserts those it is asked to."""

    EVENTS = "events"
    PROGRESS = "progress"
    CURRENT = "current"
    STATUS = "status"
    LADDER_PROGRESS = "ladder_progress"
    OPEN_BREACHES = "open_breaches"


ALL_CHECKS: frozenset[Check] = frozenset(Check)


# --- time ------------------------------------------------------------------------------------------

_RELATIVE = re.compile(r"^(?P<sign>[+-])(?P<parts>(?:\d+(?:\.\d+)?[wdhms])+)$")
_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def resolve_time(text: str, now: datetime) -> datetime:
    """`"-45d"`, `"+2h"`, `"-1d12h"`, `"-0d"` or `"now"` against `now`; an absolute ISO-8601 time with a zone as is."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not isinstance(text, str):
        raise ScenarioError(f"time {text!r} is not a string")
    value = text.strip()
    if value == "now":
        return now
    match = _RELATIVE.match(value)
    if match:
        delta = timedelta()
        for amount, unit in _PART.findall(match["parts"]):
            delta += timedelta(**{_UNITS[unit]: float(amount)})
        return now - delta if match["sign"] == "-" else now + delta
    try:
        absolute = datetime.fromisoformat(value)
    except ValueError:
        raise ScenarioError(f"time {text!r} is neither relative (e.g. '-45d', '+2h') nor ISO-8601") from None
    if absolute.tzinfo is None:
        raise ScenarioError(f"time {text!r} has no timezone")
    return absolute


def resolve_times(value: Any, now: datetime) -> Any:
    """A copy of `value` (JSON) with every field named in TIME_FIELDS resolved to ISO-8601."""
    if isinstance(value, Mapping):
        return {
            k: resolve_time(v, now).isoformat() if k in TIME_FIELDS else resolve_times(v, now) for k, v in value.items()
        }
    if isinstance(value, list):
        return [resolve_times(v, now) for v in value]
    return value


# --- refs ------------------------------------------------------------------------------------------


@dataclass
class Refs:
    """Scenario refs bound to the ids the system handed out. A rung's ref is a goal ref."""

    _ids: dict[str, tuple[RefKind, str]] = field(default_factory=dict)

    def bind(self, ref: str, kind: RefKind, id_: str) -> None:
        if ref in self._ids:
            raise ScenarioError(f"ref {ref!r} bound twice")
        self._ids[ref] = (kind, id_)

    def id(self, ref: str) -> str:
        try:
            return self._ids[ref][1]
        except KeyError:
            raise KeyError(f"ref {ref!r} is not bound (yet)") from None

    def goal_id(self, ref: str) -> str:
        return self._of_kind(ref, "goal")

    def ladder_id(self, ref: str) -> str:
        return self._of_kind(ref, "ladder")

    def _of_kind(self, ref: str, kind: RefKind) -> str:
        found_kind, id_ = self._ids.get(ref, (None, ""))
        if found_kind != kind:
            raise KeyError(f"ref {ref!r} is not a bound {kind} ref")
        return id_

    def ref_of(self, id_: str) -> str | None:
        return next((ref for ref, (_, bound) in self._ids.items() if bound == id_), None)

    def goal_ids(self) -> dict[str, str]:
        return {ref: id_ for ref, (kind, id_) in self._ids.items() if kind == "goal"}

    def by_id(self) -> dict[str, str]:
        return {id_: ref for ref, (_, id_) in self._ids.items()}


# --- the file --------------------------------------------------------------------------------------


def _require(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise ScenarioError(f"{where}: missing {key!r}")
    return data[key]


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ScenarioError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"{where}: expected a number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class GoalSpec:
    """A goal of the scenario: its ref, the refs it points at, and the rest of its fields verbatim."""

    ref: str
    kind: str
    fields: Mapping[str, Any]
    parent: str | None = None
    guards: str | None = None

    @classmethod
    def parse(cls, data: Any, where: str) -> GoalSpec:
        data = _mapping(data, where)
        fields = {k: v for k, v in data.items() if k not in ("ref", "parent", "guards")}
        fields.setdefault("kind", "hard")
        return cls(
            ref=str(_require(data, "ref", where)),
            kind=str(fields["kind"]),
            fields=fields,
            parent=data.get("parent"),
            guards=data.get("guards"),
        )

    def request(self, now: datetime, refs: Refs) -> dict[str, Any]:
        """The body of `POST /v1/goals`: times resolved, `parent`/`guards` refs replaced by ids."""
        body: dict[str, Any] = resolve_times(dict(self.fields), now)
        if self.parent is not None:
            body["parent_id"] = refs.goal_id(self.parent)
        if self.guards is not None:
            body["guards"] = refs.goal_id(self.guards)
        return body


@dataclass(frozen=True)
class PlanSpec:
    goal: str
    milestones: int | None = None
    checkpoints: tuple[Mapping[str, Any], ...] | None = None

    @classmethod
    def parse(cls, data: Any, where: str) -> PlanSpec:
        data = _mapping(data, where)
        milestones, checkpoints = data.get("milestones"), data.get("checkpoints")
        if (milestones is None) == (checkpoints is None):
            raise ScenarioError(f"{where}: give exactly one of 'milestones' and 'checkpoints'")
        if milestones is not None and (isinstance(milestones, bool) or not isinstance(milestones, int)):
            raise ScenarioError(f"{where}: 'milestones' must be an integer")
        return cls(
            goal=str(_require(data, "goal", where)),
            milestones=milestones,
            checkpoints=None
            if checkpoints is None
            else tuple(_mapping(c, f"{where}.checkpoints[{i}]") for i, c in enumerate(_list(checkpoints, where))),
        )

    def request(self, now: datetime) -> dict[str, Any]:
        """The body of `POST /v1/goals/{id}/plan`."""
        if self.milestones is not None:
            return {"milestones": self.milestones}
        assert self.checkpoints is not None
        return {"checkpoints": resolve_times([dict(c) for c in self.checkpoints], now)}


@dataclass(frozen=True)
class RungSpec:
    ref: str
    fields: Mapping[str, Any]

    @classmethod
    def parse(cls, data: Any, where: str) -> RungSpec:
        data = _mapping(data, where)
        kind = data.get("kind", "hard")
        if kind != "hard":
            raise ScenarioError(f"{where}: a rung is a hard goal, not {kind!r}")
        return cls(
            ref=str(_require(data, "ref", where)),
            fields={k: v for k, v in data.items() if k not in ("ref", "kind")},
        )


@dataclass(frozen=True)
class LadderSpec:
    ref: str
    title: str
    rungs: tuple[RungSpec, ...]
    owner: str | None = None

    @classmethod
    def parse(cls, data: Any, where: str) -> LadderSpec:
        data = _mapping(data, where)
        rungs = _list(_require(data, "rungs", where), f"{where}.rungs")
        if not rungs:
            raise ScenarioError(f"{where}: a ladder needs rungs")
        return cls(
            ref=str(_require(data, "ref", where)),
            title=str(_require(data, "title", where)),
            owner=data.get("owner"),
            rungs=tuple(RungSpec.parse(r, f"{where}.rungs[{i}]") for i, r in enumerate(rungs)),
        )

    def request(self, now: datetime) -> dict[str, Any]:
        """The body of `POST /v1/ladders`."""
        body: dict[str, Any] = {
            "title": self.title,
            "rungs": [resolve_times(dict(rung.fields), now) for rung in self.rungs],
        }
        if self.owner is not None:
            body["owner"] = self.owner
        return body


@dataclass(frozen=True)
class MeasurementSpec:
    """One measurement of a step; `goal` (a ref) makes it a manual check-in of that goal."""

    metric: str
    value: float
    observed_at: str
    id: str | None = None
    goal: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: Any, where: str) -> MeasurementSpec:
        data = _mapping(data, where)
        known = ("metric", "value", "observed_at", "id", "goal")
        return cls(
            metric=str(_require(data, "metric", where)),
            value=_number(_require(data, "value", where), f"{where}.value"),
            observed_at=str(_require(data, "observed_at", where)),
            id=None if data.get("id") is None else str(data["id"]),
            goal=data.get("goal"),
            extra={k: v for k, v in data.items() if k not in known},
        )

    def request(self, now: datetime, refs: Refs, id_: str) -> dict[str, Any]:
        """One item of `POST /v1/measurements`, with the id `id_` (unique per run)."""
        body: dict[str, Any] = {
            "id": id_,
            "metric": self.metric,
            "value": self.value,
            "observed_at": resolve_time(self.observed_at, now).isoformat(),
            **self.extra,
        }
        if self.goal is not None:
            body["goal_id"] = refs.goal_id(self.goal)
        return body


@dataclass(frozen=True)
class Expectation:
    """What must hold after a step. `events` are cumulative counts since the scenario began."""

    events: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    progress: Mapping[str, float] = field(default_factory=dict)
    current: Mapping[str, float] = field(default_factory=dict)
    status: Mapping[str, str] = field(default_factory=dict)
    ladder_progress: Mapping[str, float] = field(default_factory=dict)
    open_breaches: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: Any, where: str) -> Expectation:
        data = _mapping(data, where)
        unknown = set(data) - {c.value for c in Check}
        if unknown:
            raise ScenarioError(f"{where}: unknown expectations {sorted(unknown)}")

        def table(name: str) -> Mapping[str, Any]:
            return _mapping(data.get(name, {}), f"{where}.{name}")

        def counts(value: Any, at: str) -> int:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ScenarioError(f"{at}: a count must be a non-negative integer, got {value!r}")
            return value

        events: dict[str, dict[str, int]] = {}
        for event_type, per_ref in table("events").items():
            if event_type not in BY_TYPE:
                raise ScenarioError(f"{where}.events: unknown event type {event_type!r}")
            at = f"{where}.events.{event_type}"
            events[event_type] = {ref: counts(n, f"{at}.{ref}") for ref, n in _mapping(per_ref, at).items()}
        return cls(
            events=events,
            progress={r: _number(v, f"{where}.progress.{r}") for r, v in table("progress").items()},
            current={r: _number(v, f"{where}.current.{r}") for r, v in table("current").items()},
            status={r: str(v) for r, v in table("status").items()},
            ladder_progress={
                r: _number(v, f"{where}.ladder_progress.{r}") for r, v in table("ladder_progress").items()
            },
            open_breaches={r: counts(v, f"{where}.open_breaches.{r}") for r, v in table("open_breaches").items()},
        )

    def present(self) -> frozenset[Check]:
        """The kinds of expectation this step lists."""
        return frozenset(c for c in Check if getattr(self, c.value))


@dataclass(frozen=True)
class Step:
    index: int  # 1-based, as a reader of the file counts
    measurements: tuple[MeasurementSpec, ...]
    expect: Expectation

    @classmethod
    def parse(cls, data: Any, index: int) -> Step:
        where = f"steps[{index - 1}]"
        data = _mapping(data, where)
        unknown = set(data) - {"measure", "expect", "about"}
        if unknown:
            raise ScenarioError(f"{where}: unknown keys {sorted(unknown)}")
        measure = _list(data.get("measure", []), f"{where}.measure")
        return cls(
            index=index,
            measurements=tuple(MeasurementSpec.parse(m, f"{where}.measure[{i}]") for i, m in enumerate(measure)),
            expect=Expectation.parse(data.get("expect", {}), f"{where}.expect"),
        )


@dataclass(frozen=True)
class Scenario:
    name: str
    about: str
    org: str | None
    goals: tuple[GoalSpec, ...]
    plans: tuple[PlanSpec, ...]
    ladders: tuple[LadderSpec, ...]
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = ()

    # -- loading --

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        path = Path(path)
        if not path.is_absolute() and not path.exists():
            path = SCENARIOS_DIR / path
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"{path}: not JSON: {exc}") from exc
        return cls.from_dict(data, name=path.stem)

    @classmethod
    def from_dict(cls, data: Any, name: str = "scenario") -> Scenario:
        data = _mapping(data, name)
        unknown = set(data) - {"about", "org", "goals", "plans", "ladders", "steps", "notes"}
        if unknown:
            raise ScenarioError(f"{name}: unknown keys {sorted(unknown)}")
        scenario = cls(
            name=name,
            about=str(data.get("about", "")),
            org=data.get("org"),
            goals=tuple(GoalSpec.parse(g, f"goals[{i}]") for i, g in enumerate(_list(data.get("goals", []), "goals"))),
            plans=tuple(PlanSpec.parse(p, f"plans[{i}]") for i, p in enumerate(_list(data.get("plans", []), "plans"))),
            ladders=tuple(
                LadderSpec.parse(ladder, f"ladders[{i}]")
                for i, ladder in enumerate(_list(data.get("ladders", []), "ladders"))
            ),
            steps=tuple(Step.parse(s, i + 1) for i, s in enumerate(_list(data.get("steps", []), "steps"))),
            notes=tuple(str(n) for n in _list(data.get("notes", []), "notes")),
        )
        scenario._validate()
        return scenario

    def _validate(self) -> None:
        refs: list[str] = [g.ref for g in self.goals]
        refs += [rung.ref for ladder in self.ladders for rung in ladder.rungs]
        refs += [ladder.ref for ladder in self.ladders]
        duplicates = sorted({r for r in refs if refs.count(r) > 1})
        if duplicates:
            raise ScenarioError(f"refs used more than once: {duplicates}")
        goals, ladders = set(self.goal_refs()), set(self.ladder_refs())
        by_ref = {g.ref: g for g in self.goals}

        def known(ref: str | None, allowed: set[str], where: str) -> None:
            if ref is not None and ref not in allowed:
                raise ScenarioError(f"{where}: unknown ref {ref!r}")

        for goal in self.goals:
            known(goal.parent, set(by_ref), f"goal {goal.ref}.parent")
            known(goal.guards, goals, f"goal {goal.ref}.guards")
        self.creation_order()  # raises on a cycle
        for plan in self.plans:
            known(plan.goal, goals, "plan.goal")
        for step in self.steps:
            where = f"steps[{step.index - 1}]"
            for m in step.measurements:
                known(m.goal, goals, f"{where}.measure.goal")
            e = step.expect
            for per_ref in e.events.values():
                for ref in per_ref:
                    known(ref, goals | ladders, f"{where}.expect.events")
            for table in (e.progress, e.current, e.status, e.open_breaches):
                for ref in table:
                    known(ref, goals, f"{where}.expect")
            for ref in e.ladder_progress:
                known(ref, ladders, f"{where}.expect.ladder_progress")

    # -- views --

    def goal_refs(self) -> list[str]:
        """Every goal ref: the goals', then the rungs'."""
        return [g.ref for g in self.goals] + [rung.ref for ladder in self.ladders for rung in ladder.rungs]

    def ladder_refs(self) -> list[str]:
        return [ladder.ref for ladder in self.ladders]

    def all_refs(self) -> list[str]:
        return self.goal_refs() + self.ladder_refs()

    def creation_order(self) -> list[GoalSpec]:
        """The goals with every parent (and every guarded goal) before the goals that point at it."""
        by_ref = {g.ref: g for g in self.goals}
        ordered: list[GoalSpec] = []
        done: set[str] = set()
        visiting: set[str] = set()

        def visit(goal: GoalSpec) -> None:
            if goal.ref in done:
                return
            if goal.ref in visiting:
                raise ScenarioError(f"goal {goal.ref}: a cycle of parents/guards")
            visiting.add(goal.ref)
            for ref in (goal.parent, goal.guards):
                if ref is not None and ref in by_ref:
                    visit(by_ref[ref])
            visiting.discard(goal.ref)
            done.add(goal.ref)
            ordered.append(goal)

        for goal in self.goals:
            visit(goal)
        return ordered

    def final_event_counts(self, event_types: Iterable[str]) -> dict[str, dict[str, int]]:
        """For each of `event_types` and every ref, the count the scenario implies after its last step.

        Counts are cumulative, so the last step that mentions (type, ref) decides; a (type, ref) that
        no step mentions is expected to be 0.
        """
        counts = {event_type: dict.fromkeys(self.all_refs(), 0) for event_type in event_types}
        for step in self.steps:
            for event_type, per_ref in step.expect.events.items():
                if event_type in counts:
                    counts[event_type].update(per_ref)
        return counts


# --- reading the topic back ------------------------------------------------------------------------

REQUIRED_HEADERS = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "content-type")


@dataclass(frozen=True)
class SeenEvent:
    event_id: str
    event_type: str
    subject: str
    key: bytes | None
    headers: Mapping[str, str]
    value: bytes | None


class EventLog:
    """Every record of one organisation on the goal events topic, read by a plain consumer."""

    def __init__(self, bootstrap: str, org_id: str, topic: str = GOAL_EVENTS) -> None:
        self.bootstrap = bootstrap
        self.org_id = org_id
        self.topic = topic
        self.events: list[SeenEvent] = []
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap,
            group_id=f"scenario-{uuid.uuid4()}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await self._consumer.start()

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def drain(self) -> None:
        """Read whatever has arrived since the last call."""
        assert self._consumer is not None, "EventLog not started"
        batch = await self._consumer.getmany(timeout_ms=300)
        for records in batch.values():
            for record in records:
                self.add(record.key, record.value, record.headers)

    def add(self, key: bytes | None, value: bytes | None, headers: Iterable[tuple[str, bytes]] | None) -> None:
        """Keep one record if it belongs to this organisation (the topic is shared)."""
        decoded = {name: v.decode(errors="replace") for name, v in headers or ()}
        if decoded.get("ce_orgid") != self.org_id:
            return
        self.events.append(
            SeenEvent(
                event_id=decoded.get("ce_id", ""),
                event_type=decoded.get("ce_type", "").removeprefix(TYPE_PREFIX),
                subject=decoded.get("ce_subject", ""),
                key=key,
                headers=decoded,
                value=value,
            )
        )

    def event_ids(self) -> set[str]:
        return {e.event_id for e in self.events}

    def count(self, event_type: str, subject: str) -> int:
        return sum(1 for e in self.events if e.event_type == event_type and e.subject == subject)

    def problems(self) -> list[str]:
        """Every way a record of this organisation breaks the CloudEvents binding (DESIGN §3)."""
        found: list[str] = []
        for e in self.events:
            where = f"record {e.event_type}/{e.event_id}"
            missing = [h for h in REQUIRED_HEADERS if not e.headers.get(h)]
            if missing:
                found.append(f"{where}: missing headers {missing}")
            if e.headers.get("ce_specversion") != SPEC_VERSION:
                found.append(f"{where}: ce_specversion {e.headers.get('ce_specversion')!r}")
            if e.headers.get("content-type") != CONTENT_TYPE:
                found.append(f"{where}: content-type {e.headers.get('content-type')!r}")
            if e.key != self.org_id.encode():
                found.append(f"{where}: key {e.key!r} is not the organisation id")
            try:
                envelope = from_kafka(tuple((k, v.encode()) for k, v in e.headers.items()), e.value)
            except ContractError as exc:
                found.append(f"{where}: does not decode: {exc}")
                continue
            if envelope.org_id != self.org_id:
                found.append(f"{where}: org {envelope.org_id!r}")
            if envelope.payload.subject() != e.subject:
                found.append(
                    f"{where}: ce_subject {e.subject!r} but the payload is about {envelope.payload.subject()!r}"
                )
        return found


# --- running ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalReading:
    progress: float | None
    current: float | None
    status: str | None


class ScenarioRunner:
    """Runs a scenario against the goals service and checks each step's expectations.

    `checks` selects the kinds of expectation asserted; the others are parsed but left alone (the test
    that leaves one out says why). Read state comes from `read_goal`, `read_ladder` and
    `read_open_breaches`, which a test of another service's read model overrides. Before it checks,
    it waits until every event the goals service stored for the scenario's streams has been read back
    from the topic (`settled`), so counts of zero mean something.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        now: datetime,
        goals_url: str,
        headers: Mapping[str, str],
        kafka_bootstrap: str,
        org_id: str,
        checks: Collection[Check] = ALL_CHECKS,
        settle_timeout: float = 30.0,
        ladder_streams: bool = True,
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.scenario = scenario
        self.now = now
        self.goals_url = goals_url.rstrip("/")
        self.org_id = org_id
        self.checks = frozenset(checks)
        self.settle_timeout = settle_timeout
        self.ladder_streams = ladder_streams  # whether GET /v1/ladders/{id}/events exists to settle on
        self.refs = Refs()
        self.log = EventLog(kafka_bootstrap, org_id)
        self.http = httpx.AsyncClient(headers=dict(headers), timeout=30)
        self.run_id = uuid.uuid4().hex[:12]
        self.skipped: list[tuple[int, Check]] = []  # (step, check) present in the file but not asserted

    async def __aenter__(self) -> ScenarioRunner:
        await self.log.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.log.stop()
        await self.http.aclose()

    # -- HTTP --

    async def _call(self, method: str, path: str, expected: int, body: Any = None) -> Any:
        async def attempt() -> httpx.Response | None:
            response = await self.http.request(method, f"{self.goals_url}{path}", json=body)
            return None if response.status_code == 401 else response  # the key may not be known yet

        response = await eventually(attempt, 30, f"{method} {path} authorised")
        assert response.status_code == expected, f"{method} {path} {body!r} -> {response.status_code}: {response.text}"
        return response.json()

    # -- set-up --

    async def setup(self) -> None:
        """Create the goals (parents and guarded goals first), then the plans, then the ladders."""
        for goal in self.scenario.creation_order():
            created = await self._call("POST", "/v1/goals", 201, goal.request(self.now, self.refs))
            self.refs.bind(goal.ref, "goal", str(created["id"]))
        for plan in self.scenario.plans:
            await self._call("POST", f"/v1/goals/{self.refs.goal_id(plan.goal)}/plan", 201, plan.request(self.now))
        for ladder in self.scenario.ladders:
            created = await self._call("POST", "/v1/ladders", 201, ladder.request(self.now))
            rungs = created["rungs"]
            assert len(rungs) == len(ladder.rungs), f"ladder {ladder.ref}: {len(rungs)} rungs back: {created}"
            self.refs.bind(ladder.ref, "ladder", str(created["id"]))
            for spec, rung in zip(ladder.rungs, rungs, strict=True):
                self.refs.bind(spec.ref, "goal", str(rung["goal_id"]))

    # -- steps --

    async def run(self) -> None:
        await self.setup()
        for step in self.scenario.steps:
            await self.run_step(step)

    async def run_step(self, step: Step) -> None:
        if step.measurements:
            items = [
                m.request(self.now, self.refs, f"{self.run_id}:{m.id or f's{step.index}m{i}'}")
                for i, m in enumerate(step.measurements)
            ]
            result = await self._call("POST", "/v1/measurements", 202, {"measurements": items})
            assert result["accepted"] == len(items), f"step {step.index}: measurements not all accepted: {result}"
        await self.check(step.expect, f"step {step.index}")
        self.skipped += [(step.index, c) for c in sorted(step.expect.present() - self.checks)]

    async def check(self, expect: Expectation, where: str) -> None:
        """Wait until the system has settled and every selected expectation holds, or fail listing them."""
        wanted = expect.present() & self.checks

        async def probe() -> bool:
            await self.settled()
            problems = await self.mismatches(expect, wanted)
            assert not problems, f"{where}: " + "; ".join(problems)
            return True

        await eventually(probe, self.settle_timeout, f"{where} expectations")
        if Check.EVENTS in wanted:
            # Counts must not only reach the expected numbers but stay there: read up to the barrier again.
            await eventually(self.settled, self.settle_timeout, f"{where}: events read back")
            problems = await self.mismatches(expect, frozenset({Check.EVENTS}))
            assert not problems, f"{where} (after settling): " + "; ".join(problems)

    async def settled(self) -> bool:
        """The settle barrier: every event the goals service stored for our goals (and, with
        `ladder_streams`, our ladders) has been read from Kafka.

        Events of one organisation are published in commit order on one partition, so once these are
        read, everything committed before them has been read too.
        """
        streams = [f"/v1/goals/{goal_id}/events" for goal_id in self.refs.goal_ids().values()]
        if self.ladder_streams:
            streams += [f"/v1/ladders/{self.refs.ladder_id(ref)}/events" for ref in self.scenario.ladder_refs()]
        stored: set[str] = set()
        for path in streams:
            stored |= {str(e["event_id"]) for e in await self._call("GET", path, 200)}
        await self.log.drain()
        missing = stored - self.log.event_ids()
        assert not missing, f"{len(missing)} stored events not yet read from {self.log.topic}"
        return True

    async def mismatches(self, expect: Expectation, checks: frozenset[Check]) -> list[str]:
        problems: list[str] = []

        def close(actual: float | None, wanted: float) -> bool:
            return actual is not None and actual == pytest.approx(wanted, abs=TOLERANCE)

        if Check.EVENTS in checks:
            for event_type, per_ref in expect.events.items():
                for ref, n in per_ref.items():
                    seen = self.log.count(event_type, self.refs.id(ref))
                    if seen != n:
                        problems.append(f"{event_type} of {ref}: {seen} on the topic, expected {n}")
        goal_refs: set[str] = set()
        if checks & {Check.PROGRESS, Check.CURRENT, Check.STATUS}:
            goal_refs = set(expect.progress) | set(expect.current) | set(expect.status)
        readings = {ref: await self.read_goal(self.refs.goal_id(ref)) for ref in sorted(goal_refs)}
        if Check.PROGRESS in checks:
            for ref, wanted in expect.progress.items():
                if not close(readings[ref].progress, wanted):
                    problems.append(f"progress of {ref}: {readings[ref].progress}, expected {wanted}")
        if Check.CURRENT in checks:
            for ref, wanted in expect.current.items():
                if not close(readings[ref].current, wanted):
                    problems.append(f"current value of {ref}: {readings[ref].current}, expected {wanted}")
        if Check.STATUS in checks:
            for ref, status in expect.status.items():
                if readings[ref].status != status:
                    problems.append(f"status of {ref}: {readings[ref].status!r}, expected {status!r}")
        if Check.LADDER_PROGRESS in checks:
            for ref, wanted in expect.ladder_progress.items():
                actual = await self.read_ladder(self.refs.ladder_id(ref))
                if not close(actual, wanted):
                    problems.append(f"progress of ladder {ref}: {actual}, expected {wanted}")
        if Check.OPEN_BREACHES in checks:
            for ref, n in expect.open_breaches.items():
                open_ = await self.read_open_breaches(self.refs.goal_id(ref))
                if open_ != n:
                    problems.append(f"open breaches on {ref}: {open_}, expected {n}")
        return problems

    async def check_event_totals(self, totals: Mapping[str, Mapping[str, int]]) -> None:
        """After the run: the topic holds exactly `totals` of those types (per ref), and none of them about
        anything outside the scenario."""
        await eventually(self.settled, self.settle_timeout, "events read back")
        by_id = self.refs.by_id()
        problems: list[str] = []
        for event_type, per_ref in totals.items():
            for ref, n in per_ref.items():
                seen = self.log.count(event_type, self.refs.id(ref))
                if seen != n:
                    problems.append(f"{event_type} of {ref}: {seen} on the topic, expected {n}")
            strays = [e.subject for e in self.log.events if e.event_type == event_type and e.subject not in by_id]
            if strays:
                problems.append(f"{event_type} about subjects outside the scenario: {strays}")
        assert not problems, "unexpected event counts: " + "; ".join(problems)

    # -- reading state (override for another read model) --

    async def read_goal(self, goal_id: str) -> GoalReading:
        view = await self._call("GET", f"/v1/goals/{goal_id}", 200)
        return GoalReading(progress=view.get("progress"), current=view.get("current_value"), status=view.get("status"))

    async def read_ladder(self, ladder_id: str) -> float | None:
        view = await self._call("GET", f"/v1/ladders/{ladder_id}", 200)
        progress: float | None = view.get("progress")
        return progress

    async def read_open_breaches(self, goal_id: str) -> int:
        raise NotImplementedError(
            "open breaches are a tracking read model: override read_open_breaches, or leave Check.OPEN_BREACHES out"
        )


def counts_summary(log: EventLog, refs: Refs, event_types: Iterable[str]) -> dict[str, dict[str, int]]:
    """What the topic holds per type and ref (non-zero counts only): for failure messages and reports."""
    summary: dict[str, dict[str, int]] = {}
    for event_type in event_types:
        per_ref = {ref: log.count(event_type, id_) for id_, ref in refs.by_id().items()}
        summary[event_type] = {ref: n for ref, n in per_ref.items() if n}
    return summary
