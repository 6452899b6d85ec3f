"""DESIGN §2 status bands: gap <= 0.10 on_track, <= 0.25 at_risk, else off_track; and when time alone moves them."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goalstream_rules.expected import expected_progress
from goalstream_rules.status import Tolerances, missed_after_revision, next_status_change, status_for
from tests.unit.rules.helpers import DAY, T0, US

DEFAULT = Tolerances()


def _band(gap: float, tol: Tolerances) -> str:
    """Reference: the band of a gap, written out from the DESIGN sentence."""
    if gap > tol.at_risk:
        return "off_track"
    return "at_risk" if gap > tol.on_track else "on_track"


@pytest.mark.parametrize(
    ("expected", "actual", "status"),
    [
        (0.5, 0.5, "on_track"),  # gap 0
        (0.5, 0.9, "on_track"),  # ahead of plan: negative gap
        (0.1, 0.0, "on_track"),  # gap exactly the float 0.10: still on_track
        (math.nextafter(0.1, 1.0), 0.0, "at_risk"),  # the next float above 0.10
        (0.5, 0.375, "at_risk"),  # gap 0.125 (exact in binary)
        (0.5, 0.25, "at_risk"),  # gap exactly 0.25: still at_risk
        (0.25, 0.0, "at_risk"),
        (math.nextafter(0.25, 1.0), 0.0, "off_track"),
        (0.5, 0.125, "off_track"),  # gap 0.375
        (1.0, -0.5, "off_track"),
    ],
)
def test_status_at_and_around_the_default_boundaries(expected: float, actual: float, status: str) -> None:
    assert status_for(actual, expected, DEFAULT) == status


def test_tolerances_are_per_organisation_settings() -> None:
    loose = Tolerances(on_track=0.125, at_risk=0.375)
    assert status_for(0.375, 0.5, loose) == "on_track"  # at_risk with the defaults
    assert status_for(0.125, 0.5, loose) == "at_risk"  # off_track with the defaults
    assert status_for(0.0, 0.375, loose) == "at_risk"  # exactly at the looser at_risk limit
    assert status_for(0.0, 0.5, loose) == "off_track"
    strict = Tolerances(on_track=0.0, at_risk=0.0625)
    assert status_for(0.5, 0.5, strict) == "on_track"
    assert status_for(0.4375, 0.5, strict) == "at_risk"
    assert status_for(0.375, 0.5, strict) == "off_track"


tolerances = st.one_of(
    st.just(DEFAULT),
    st.tuples(st.integers(0, 30), st.integers(1, 30)).map(lambda t: Tolerances(t[0] / 100, (t[0] + t[1]) / 100)),
)


@given(expected=st.floats(0.0, 1.0), actual=st.floats(-1.0, 2.0), tol=tolerances)
def test_status_is_the_band_of_the_gap(expected: float, actual: float, tol: Tolerances) -> None:
    assert status_for(actual, expected, tol) == _band(expected - actual, tol)


@st.composite
def situations(draw: st.DrawFn) -> tuple[datetime, datetime, list[tuple[datetime, float]], datetime, float, Tolerances]:
    span = timedelta(seconds=draw(st.integers(3600, 200 * 86400)))
    start, deadline = T0, T0 + span
    n = draw(st.integers(0, 5))
    steps = sorted(draw(st.lists(st.integers(1, 19), min_size=n, max_size=n, unique=True)))
    shares = sorted(draw(st.lists(st.integers(1, 19), min_size=n, max_size=n, unique=True)))
    plan = [(start + span * s / 20, f / 20) for s, f in zip(steps, shares, strict=True)]
    now = start + span * draw(st.floats(-0.2, 1.05))
    raw = draw(st.floats(-0.4, 1.2))
    return start, deadline, plan, now, raw, draw(tolerances)


@given(case=situations(), samples=st.lists(st.floats(0.0, 1.0, exclude_min=True, exclude_max=True), max_size=4))
def test_next_status_change_is_the_first_moment_time_alone_moves_the_status(
    case: tuple[datetime, datetime, list[tuple[datetime, float]], datetime, float, Tolerances], samples: list[float]
) -> None:
    start, deadline, plan, now, raw, tol = case

    def status_at(t: datetime) -> str:
        return status_for(raw, expected_progress(t, start, deadline, plan), tol)

    before = status_at(now)
    change = next_status_change(now, raw, start, deadline, tol, plan)
    if before == "off_track":
        assert change is None  # nothing worse comes from time alone
        return
    if change is None:  # the band holds up to the deadline
        for t in [now + (deadline - now) * q for q in samples] + [deadline - US]:
            if now < t < deadline:
                assert status_at(t) == before
        assert raw + (tol.on_track if before == "on_track" else tol.at_risk) >= 1.0 - 1e-12
        return
    assert now <= change <= deadline
    assert status_at(change + US) != before
    for t in [now + (change - now) * q for q in samples] + [change - US]:
        if now < t < change:
            assert status_at(t) == before


def test_next_status_change_worked_example() -> None:
    # 100 days, progress 0.25: on_track until expected passes 0.35 (day 35), at_risk until it passes 0.5 (day 50)
    start, deadline = T0, T0 + 100 * DAY
    assert next_status_change(T0 + DAY, 0.25, start, deadline, DEFAULT) == pytest.approx(T0 + 35 * DAY, abs=US)
    assert next_status_change(T0 + 40 * DAY, 0.25, start, deadline, DEFAULT) == T0 + 50 * DAY
    assert next_status_change(T0 + 60 * DAY, 0.25, start, deadline, DEFAULT) is None  # off_track already
    assert next_status_change(T0 + DAY, 0.95, start, deadline, DEFAULT) is None  # on_track to the end
    # with a plan front-loaded to 0.5 at day 20, 0.35 is passed at day 14
    plan = [(T0 + 20 * DAY, 0.5)]
    assert next_status_change(T0, 0.25, start, deadline, DEFAULT, plan) == pytest.approx(T0 + 14 * DAY, abs=US)


@pytest.mark.parametrize(
    ("actual", "expected", "status"),
    [
        (0.5, 0.6, "on_track"),
        (0.5, 0.601, "at_risk"),
        (0.5, 0.75, "at_risk"),
        (0.5, 0.7501, "off_track"),
        (0.9, 0.5, "on_track"),
    ],
)
def test_status_from_the_gap(actual: float, expected: float, status: str) -> None:
    assert status_for(actual, expected, Tolerances()) == status


def test_tolerances_are_settings() -> None:
    assert status_for(0.5, 0.65, Tolerances(on_track=0.2, at_risk=0.3)) == "on_track"


def test_only_a_new_deadline_clears_missed_by_itself() -> None:
    assert missed_after_revision(True, ("deadline",)) is False
    assert missed_after_revision(True, ("title", "target")) is True
    assert missed_after_revision(False, ("deadline",)) is False
