"""A ladder's progress: (achieved rungs + clamped progress of the current rung) / rungs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goalstream_rules.ladder import ladder_progress

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
