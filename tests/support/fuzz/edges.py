"""Edge values of times, numbers, durations and text, and a valid body with one of its fields set to an edge.

schemathesis draws a time from years 0001 to 9999 and a number from all floats, into bodies that other
rules refuse first, so twenty requests per operation almost never reach the few values that break a
service: a time whose offset carries it past year 9999 or before year 1 (Python and PostgreSQL cannot
hold it), two floats whose sum overflows, a century-long duration added to a date, text that is a
terminal escape. Here the most dangerous edge of each kind comes first (Hypothesis tries early choices
first) and a body known to be valid gets one field, in every place it occurs, set to an edge: the rest
of the request is fine, so the edge reaches the code behind the validation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from hypothesis import strategies as st

EDGE_TIMES = (
    "9999-12-31T23:59:59-14:00",  # past datetime's (and PostgreSQL's) last instant once in UTC
    "0001-01-01T00:00:00+01:00",  # before year 1 once in UTC
    "9999-12-31T23:59:59.999999Z",
    "0001-01-01T00:00:00Z",
    "1899-12-31T23:59:59Z",
    "1900-01-01T00:30:00+01:00",
    "3000-01-01T00:00:00Z",
    "2999-12-31T23:30:00-01:00",
    "2026-03-01T12:00:00",  # no offset
    "1900-01-01T00:00:00Z",
    "2999-12-31T23:59:59Z",
)
EDGE_NUMBERS = (1.7e308, -1.7e308, 1e308, 1e16, 1.0000000000000002e15, 10**30, 1e15, -1e15, 5e-324, -0.0)
EDGE_INTEGERS = (2**31, 2**63, -(2**63) - 1, 10**30, -1, 0)
EDGE_TEXT = ("\x1b[2J\x1b[31mred", "\u202egnp.exe", "\ud800", "\u2066x\u2069", "a\x85b", "tab\there", "\x7f")
EDGE_DURATIONS = ("P99999999D", "P36501D", "P5300W", "PT0S", "P36500D", "P7D")
DURATION_FIELDS = frozenset({"checkin_every", "window"})
Leaf = tuple[tuple[str | int, ...], Any]


def edge_times(now: datetime) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(EDGE_TIMES), st.just(now.isoformat()))


def edge_numbers(integer: bool = False) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(EDGE_INTEGERS if integer else EDGE_NUMBERS), st.integers(-5, 100))


def edge_text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(EDGE_TEXT), st.text("abcXYZ 01", min_size=1, max_size=12))


def edge_for(name: str, value: Any, now: datetime) -> st.SearchStrategy[Any] | None:
    """The edges of the kind `value` is (its field `name` tells a duration), or None for a value left as it is."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return edge_numbers()
    if not isinstance(value, str):
        return None
    if name in DURATION_FIELDS:
        return st.sampled_from(EDGE_DURATIONS)
    try:
        datetime.fromisoformat(value)
        return edge_times(now)
    except ValueError:
        return edge_text()


def _leaves(value: Any, at: tuple[str | int, ...] = ()) -> list[Leaf]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*at, k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*at, i))]
    return [(at, value)]


def _name(at: tuple[str | int, ...]) -> str:
    return next((str(part) for part in reversed(at) if isinstance(part, str)), "")


def _set(value: Any, at: tuple[str | int, ...], new: Any) -> Any:
    if not at:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[at[0]] = _set(value[at[0]], at[1:], new)  # type: ignore[index]
    return copy


def one_field_at_an_edge(body: Any, now: datetime) -> st.SearchStrategy[Any]:
    """`body` with one field name (everywhere it occurs, so both items of a batch) set to one drawn edge."""
    leaves = _leaves(body)
    names = list(dict.fromkeys(_name(at) for at, value in leaves if edge_for(_name(at), value, now) is not None))
    if not names:
        return st.just(body)

    def apply(name: str) -> st.SearchStrategy[Any]:
        places = [at for at, value in leaves if _name(at) == name and edge_for(name, value, now) is not None]
        first = next(value for at, value in leaves if at == places[0])
        strategy = edge_for(name, first, now)
        assert strategy is not None
        setter: Callable[[Any], Any] = lambda edge: _apply_all(body, places, edge)  # noqa: E731
        return strategy.map(setter)

    return st.sampled_from(names).flatmap(apply)


def _apply_all(body: Any, places: list[tuple[str | int, ...]], edge: Any) -> Any:
    for at in places:
        body = _set(body, at, edge)
    return body
