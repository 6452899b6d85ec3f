"""Running every operation of a service's OpenAPI through schemathesis's generation and checks.

One Hypothesis test per operation, positive and negative cases, a bounded budget and no shrinking; ids
drawn by `IdDraws`, and any URL the service would call pointed at a closed port.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.core.result import Ok

from tests.support.fuzz.id_draws import IdDraws


def load_schema(url: str, draws: IdDraws, config: Mapping[str, Any]) -> BaseSchema:
    """A service's OpenAPI from `url`, configured by `config` alone (no schemathesis.toml), with `draws` installed.

    Every request carries the key `fuzz` is given, so schemathesis generates no `Authorization` of its own from
    the declared bearer schemes: a negative case "without the required Authorization" would be sent with the
    key all the same, and its success read as invalid input accepted. `ignored_auth` still probes each
    operation that declares a key without it and with a wrong one.
    """
    generation = {**config.get("generation", {}), "with-security-parameters": False}
    settings = schemathesis.Config.from_dict({**config, "generation": generation})
    schema = schemathesis.openapi.from_url(url, config=settings)
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
