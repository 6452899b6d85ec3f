"""A ladder's progress: (achieved rungs + clamped progress of the current rung) / rungs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goalstream_rules.ladder import Rung, climbed, ladder_progress, rung_shown_progress, rung_state

fractions = st.floats(min_value=-2.0, max_value=3.0)


def test_ladder_progress_worked_examples() -> None:
    assert ladder_progress(1, 0.5, 3) == 0.5
    assert ladder_progress(2, 1.7, 4) == 0.75  # the current rung's progress is clamped
    assert ladder_progress(2, -0.3, 4) == 0.5
    assert ladder_progress(0, None, 5) == 0.0
    assert ladder_progress(3, None, 3) == 1.0 and ladder_progress(3, 0.2, 3) == 1.0


@given(rungs=st.integers(1, 50), data=st.data())
def test_ladder_progress_is_achieved_plus_clamped_current_over_rungs(rungs: int, data: st.DataObject) -> None:
    achieved = data.draw(st.integers(0, rungs))
    current = data.draw(st.one_of(st.none(), fractions))
    value = ladder_progress(achieved, current, rungs)
    assert 0.0 <= value <= 1.0
    if achieved == rungs:
        assert value == 1.0
    else:
        part = 0.0 if current is None else min(1.0, max(0.0, current))
        assert value == pytest.approx((achieved + part) / rungs)
        assert achieved / rungs <= value <= (achieved + 1) / rungs


def test_the_current_rung_is_the_first_active_one_not_achieved() -> None:
    done, live, locked = Rung(True, True, 1.0), Rung(False, True, 0.5), Rung(False, False, None)
    assert climbed([done, live, locked]) == pytest.approx(0.5)
    assert climbed([done, done]) == 1.0
    # An archived current rung has left the numbers: it brings nothing, in goals and in tracking alike.
    assert climbed([done, Rung(False, False, 0.8), locked]) == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("flags", "state", "shown"),
    [
        ({"achieved": True, "missed": False, "archived": True, "locked": False}, "achieved", 1.2),
        ({"achieved": False, "missed": True, "archived": False, "locked": False}, "missed", 1.2),
        ({"achieved": False, "missed": False, "archived": True, "locked": False}, "archived", None),
        ({"achieved": False, "missed": False, "archived": False, "locked": True}, "locked", None),
        ({"achieved": False, "missed": False, "archived": False, "locked": False}, "active", 1.2),
    ],
)
def test_a_rung_shows_its_state_and_progress_only_while_climbed(
    flags: dict[str, bool], state: str, shown: float | None
) -> None:
    """Both services' ladder views show a rung through this rule (a locked rung: no progress, not 0)."""
    assert rung_state(**flags) == state
    assert rung_shown_progress(rung_state(**flags), 1.2) == shown
