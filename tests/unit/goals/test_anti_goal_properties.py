"""Anti-goals (DESIGN §2): one AntiGoalBreached per episode, one AntiGoalRecovered when it ends, with hysteresis."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goalstream_contracts.events import AntiGoalBreached, AntiGoalRecovered, MeasurementRecorded
from goalstream_goals.domain.errors import DomainError
from tests.unit.goals.builders import T0, anti_goal, measure, of_type

MINUTE = timedelta(minutes=1)
NOW = T0 + timedelta(days=30)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[str, float, float, list[float]]:
    comparator = draw(st.sampled_from(["above", "below"]))
    threshold = draw(st.floats(-100, 100))
    margin = draw(st.one_of(st.just(0.0), st.floats(0, 50)))
    recovery = threshold - margin if comparator == "above" else threshold + margin  # on the safe side
    # values near and exactly on both lines, so every edge is exercised
    special = st.sampled_from([threshold, recovery, (threshold + recovery) / 2])
    values = draw(st.lists(st.one_of(special, st.floats(-200, 200)), min_size=1, max_size=30))
    return comparator, threshold, recovery, values


def _reference(comparator: str, threshold: float, recovery: float, values: list[float]) -> list[tuple[str, int]]:
    """Enter when value > threshold (above) / < threshold (below); leave when <= recovery / >= recovery."""
    out, inside = [], False
    for i, v in enumerate(values):
        bad = v > threshold if comparator == "above" else v < threshold
        safe = v <= recovery if comparator == "above" else v >= recovery
        if not inside and bad:
            inside = True
            out.append(("breached", i))
        elif inside and safe:
            inside = False
            out.append(("recovered", i))
    return out


@given(case=scenarios())
def test_breaches_and_recoveries_follow_the_hysteresis_reference(case: tuple[str, float, float, list[float]]) -> None:
    comparator, threshold, recovery, values = case
    goal = anti_goal(comparator=comparator, threshold=threshold, recovery_threshold=recovery)
    emitted: list[tuple[str, int]] = []
    breached: list[AntiGoalBreached] = []
    for i, v in enumerate(values):
        at = T0 + i * MINUTE
        goal, events = measure(goal, v, at, NOW, f"m{i}")
        for e in of_type(events, AntiGoalBreached):
            assert (e.value, e.threshold, e.comparator, e.breached_at) == (v, threshold, comparator, at)
            emitted.append(("breached", i))
            breached.append(e)
        for e in of_type(events, AntiGoalRecovered):
            assert (e.value, e.recovery_threshold, e.recovered_at) == (v, recovery, at)
            assert e.breached_at == breached[-1].breached_at
            emitted.append(("recovered", i))
        assert (goal.breached_at is not None) == (bool(emitted) and emitted[-1][0] == "breached")
    reference = _reference(comparator, threshold, recovery, values)
    assert emitted == reference
    kinds = [k for k, _ in emitted]
    assert kinds == ["breached", "recovered"] * (len(kinds) // 2) + ["breached"] * (len(kinds) % 2)


def test_hysteresis_worked_example() -> None:
    # error rate: breached above 5%, over only once back at or below 3%
    goal = anti_goal(comparator="above", threshold=5.0, recovery_threshold=3.0)
    kinds = []
    for i, v in enumerate([4.0, 5.0, 5.5, 7.0, 4.0, 3.5, 6.0, 3.0, 2.0, 5.01]):
        goal, events = measure(goal, v, T0 + i * MINUTE, NOW, f"m{i}")
        kinds += [(type(e).__name__, v) for e in events if not isinstance(e, MeasurementRecorded)]
    assert kinds == [("AntiGoalBreached", 5.5), ("AntiGoalRecovered", 3.0), ("AntiGoalBreached", 5.01)]
    # below: stock under 100 units is a breach, over only at 120 or more; default recovery is the threshold
    below = anti_goal(comparator="below", threshold=100.0)
    assert below.definition.recovery_threshold == 100.0 and below.definition.severity == "warning"


@pytest.mark.parametrize(("comparator", "recovery"), [("above", 6.0), ("below", 4.0)])
def test_recovery_on_the_unsafe_side_is_refused(comparator: str, recovery: float) -> None:
    with pytest.raises(DomainError) as refused:
        anti_goal(comparator=comparator, threshold=5.0, recovery_threshold=recovery)
    assert refused.value.field == "recovery_threshold"


def test_window_mean_worked_example() -> None:
    goal = anti_goal(comparator="above", threshold=50.0, window="PT1H")
    goal, _ = measure(goal, 10.0, T0, NOW, "a")
    goal, events = measure(goal, 20.0, T0 + 40 * MINUTE, NOW, "b")
    assert of_type(events, MeasurementRecorded)[0].current_value == 15.0
    goal, events = measure(goal, 60.0, T0 + 80 * MINUTE, NOW, "c")  # the 10 at 0:00 has left the window
    assert of_type(events, MeasurementRecorded)[0].current_value == 40.0
    assert of_type(events, AntiGoalBreached) == []  # 60 alone would breach; the mean, 40, does not
    goal, events = measure(goal, 90.0, T0 + 10 * MINUTE, NOW, "late-but-outside")  # older than 0:20
    assert of_type(events, MeasurementRecorded)[0].counted is False and goal.current == 40.0
    goal, events = measure(goal, 100.0, T0 + 50 * MINUTE, NOW, "late-inside")
    assert goal.current == pytest.approx(60.0)  # (20 + 100 + 60) / 3
    assert [e.value for e in of_type(events, AntiGoalBreached)] == [pytest.approx(60.0)]


# Observation times are multiples of 7 seconds and the window is one hour (3600 s, not a multiple of 7), so no
# value ever sits exactly on the window's edge: the test holds whichever way that edge is read.
@given(data=st.lists(st.tuples(st.integers(-1000, 1000), st.integers(0, 4 * 3600 // 7)), min_size=1, max_size=30))
def test_window_mean_uses_the_values_within_the_window_of_the_newest(data: list[tuple[int, int]]) -> None:
    goal = anti_goal(comparator="above", threshold=1e9, window="PT1H")
    seen: list[tuple[datetime, float]] = []
    for i, (value, step) in enumerate(data):
        at = T0 + timedelta(seconds=7 * step)
        goal, events = measure(goal, float(value), at, NOW, f"m{i}")
        (recorded,) = of_type(events, MeasurementRecorded)
        seen.append((at, float(value)))
        newest = max(t for t, _ in seen)
        inside = [v for t, v in seen if newest - t < timedelta(hours=1)]
        assert recorded.counted is (newest - at < timedelta(hours=1))
        assert recorded.current_value == pytest.approx(sum(inside) / len(inside), abs=1e-9)
        assert goal.current == recorded.current_value
