"""Real ids of both organisations put into generated requests, so that fuzzing reaches past "not found".

Generated ids almost never name anything; `IdDraws` swaps most path, query and body ids for the first
peer's real ones and some for the second's, through a schemathesis case hook.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict
from schemathesis import BaseSchema, Case

from tests.support.fuzz.organisations import Peer

# Path, query and body fields that name a resource, by the kind of resource they name.
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
GOAL_FIELDS = frozenset(name for name, kind in ID_KINDS.items() if kind == "goals")


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
