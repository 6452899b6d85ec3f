"""`no_cross_organisation_read`: a schemathesis check that keeps two organisations' data apart.

Registered with schemathesis on import, so every `case.call_and_validate()` runs it. It looks at the key
a request was sent with: while `Watching((a, b))`, a request with `a`'s key fails when its response shows
anything of `b`'s that the request did not itself name, and when it names one of `b`'s ids (in its path,
query or body) and is answered differently from the same request naming an id that does not exist:
another organisation's resource answers 404 like a missing one (DESIGN §4), never 403, never 2xx, never
5xx. And the other way round.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import schemathesis

from tests.support.fuzz.organisations import Peer

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


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
