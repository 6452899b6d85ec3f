"""Requests for every operation of a service's OpenAPI, with edge values (`edges`) in its fields and parameters.

An operation given valid example bodies gets one of them with one field at an edge; any other body is
drawn from its schema, edges and ordinary values mixed. Each query parameter is left out or drawn the same
way, path ids are real ones (or a missing one), and metric keys are those of real `sum` goals, so that
values reach goals and their running totals.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hypothesis import strategies as st

from tests.support.fuzz.edges import (
    DURATION_FIELDS,
    EDGE_DURATIONS,
    edge_numbers,
    edge_text,
    edge_times,
    one_field_at_an_edge,
)

NAMES_OF_GOALS = ("goal_id", "root", "parent_id", "guards", "root_goal_id")


@dataclass(frozen=True)
class Known:
    """Real things of the organisation under test, and valid bodies by (method, path) to put edges into."""

    goals: tuple[str, ...]
    ladders: tuple[str, ...]
    metrics: tuple[str, ...]  # of sum goals: two large values of one of them must not overflow into a 500
    now: datetime
    examples: dict[tuple[str, str], list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, Any]
    body: bytes | None

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.query} {self.body[:300] if self.body else ''!r}"


class EdgeRequests:
    def __init__(self, document: Mapping[str, Any], known: Known) -> None:
        self.document, self.known = document, known

    def operations(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(method, path, operation) under /v1, the operator's admin API aside (an organisation key gets 401)."""
        return [
            (method.upper(), path, op)
            for path, item in self.document["paths"].items()
            if path.startswith("/v1/") and not path.startswith("/v1/admin")
            for method, op in item.items()
            if method in ("get", "post", "put", "patch", "delete")
        ]

    def request(self, method: str, path: str, op: Mapping[str, Any]) -> st.SearchStrategy[Request]:
        params = [self._resolve(p) for p in op.get("parameters", [])]
        path_values = {p["name"]: self._id(p["name"]) for p in params if p["in"] == "path"}
        query = {
            p["name"]: st.one_of(st.none(), self._value(p["schema"], p["name"])) for p in params if p["in"] == "query"
        }
        content = op.get("requestBody", {}).get("content", {}).get("application/json")
        examples = self.known.examples.get((method, path))
        if examples:
            body = st.sampled_from(examples).flatmap(lambda b: one_field_at_an_edge(b, self.known.now))
        else:
            body = self._value(content["schema"], "body") if content else st.none()

        def build(drawn: tuple[dict[str, str], dict[str, Any], Any]) -> Request:
            ids, values, payload = drawn
            chosen = {k: v for k, v in values.items() if v is not None}
            return Request(
                method, path.format(**ids), chosen, None if payload is None else json.dumps(payload).encode()
            )

        return st.tuples(st.fixed_dictionaries(path_values), st.fixed_dictionaries(query), body).map(build)

    def _resolve(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            node: Any = self.document
            for part in str(schema["$ref"]).lstrip("#/").split("/"):
                node = node[part]
            schema = node
        return dict(schema)

    def _id(self, name: str) -> st.SearchStrategy[str]:
        real = self.known.ladders if name == "ladder_id" else self.known.goals if name in NAMES_OF_GOALS else ()
        return st.one_of(st.sampled_from(real), st.just("no-such-id")) if real else st.just("no-such-id")

    def _value(self, schema: Mapping[str, Any], name: str) -> st.SearchStrategy[Any]:
        s = self._resolve(schema)
        alternatives = s.get("anyOf") or s.get("oneOf") or s.get("allOf")
        if alternatives:
            return st.one_of([self._value(a, name) for a in alternatives if a.get("type") != "null"] or [st.none()])
        if "enum" in s or "const" in s:
            return st.sampled_from(s.get("enum") or [s["const"]])
        kind = s.get("type")
        if kind == "string":
            return self._string(s, name)
        if kind in ("number", "integer"):
            return edge_numbers(integer=kind == "integer")
        if kind == "boolean":
            return st.booleans()
        if kind == "array":
            item = self._value(s.get("items", {}), name)
            return st.lists(item, min_size=max(1, s.get("minItems", 0)), max_size=2)
        if kind == "object" or "properties" in s:
            properties: dict[str, Any] = s.get("properties", {})
            required = set(s.get("required", ()))
            fixed = {n: self._value(p, n) for n, p in properties.items() if n in required}
            optional = {n: self._value(p, n) for n, p in properties.items() if n not in required}
            return st.fixed_dictionaries(fixed, optional=optional)
        return st.just("x")

    def _string(self, s: Mapping[str, Any], name: str) -> st.SearchStrategy[Any]:
        if s.get("format") == "date-time":
            return edge_times(self.known.now)
        if name in ("metric", "key") and self.known.metrics:
            return st.sampled_from(self.known.metrics)
        if name in NAMES_OF_GOALS or name == "ladder_id":
            return self._id(name)
        if name in DURATION_FIELDS:
            return st.sampled_from(EDGE_DURATIONS)
        return edge_text()
