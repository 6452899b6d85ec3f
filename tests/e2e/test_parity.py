"""Goals and tracking agree on every goal of hypothesis-drawn organisations, run through the real services.

Each example is a new organisation (admin API) on one goals + tracking pair started for this module, on
the session's real PostgreSQL and broker: a tree of all three rollups with weights, anti-goals with
hysteresis and windows, a two-rung ladder, plans, re-parenting, archiving, and batches of readings
(several a batch, late gauge values, repeated ids, readings before their goal exists, check-ins), and
revisions between batches (metric key and aggregation, start_at later and earlier, an anti-goal's window,
target, baseline, deadline, and a short goal's deadline extended once it was missed: tests/support/parity/revisions.py).
Time moves too: goals runs on a clock the test moves forward between batches (`MoveClock`, an hour to 40
days: tests/support/parity/clocked_goals.py, a launcher that gives `build_app` real now plus an offset the
test writes; no production setting), so deadlines, milestones, status bands and check-in lapses pass by time
alone, and after each move the runner waits until the scheduler has acted (a sentinel goal). Short goals'
deadlines still pass by real time, a few seconds into the example (see tests/support/parity/script.py).

Once tracking shows goals' version of every goal and ladder, seven checks run, each failing on its own
line so that hypothesis reports (and shrinks) each kind of disagreement separately:
goals' view = tracking's, for goals and ladders; the events on the topic = the read models; and, where
parity cannot see a rule both break alike, the numbers = the reference (tests/support/parity/reference.py), and
a hard goal whose deadline lies ahead of the moved clock is not missed, and is achieved when its value meets
its target; one whose deadline the clock has passed is missed or achieved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, example, given, note, seed, settings

from tests.support.infra import Endpoints
from tests.support.parity.build import build
from tests.support.parity.draws import OrgDraw
from tests.support.parity.example import Outcome, Stats, run_example
from tests.support.parity.found import EXTENDED_WORST_PARENT
from tests.support.parity.platform import ParityPlatform, parity_platform
from tests.support.parity.strategies import organisations

pytestmark = pytest.mark.e2e

# The budget: an example takes about a second on the real services, plus about SHORT for each extension of a
# short goal (it waits for the deadline to pass), so 25 stay under a minute: 25 (with revisions) ran in 39 s,
# 49 s with the platform's start. A fixed seed, so every run tries the same organisations; a failure is shrunk
# (hypothesis gives up shrinking after 5 minutes, and stops generating 10 s after its first failure, so a rarer
# disagreement may wait for a commoner one to be fixed). Before revisions, over 100 seeds, 30 examples held a
# ladder unlocked mid-batch with readings after it in 79 %, a goal created after readings of its metric in
# 99 %, a metric-less goal without children in all. With revisions seed 1 also breaches anti-goals, hits
# milestones, and recounts (metric, aggregation, start_at later and earlier, window) goals that had counted
# values onto kept values (49 times) and onto none (18), extends 8 missed short goals and revises targets,
# baselines and deadlines (the run's last line counts them). Clock moves are drawn last, so those draws stay
# as they were: 21 moves, 651 days, past 9 goals' deadlines (each move waits about a scheduler interval for
# its sentinel); 26 ran in 37 s, 47 s with the platform's start.
MAX_EXAMPLES = 25
SEED = 1


@pytest.fixture(scope="module")
def parity(infra: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParityPlatform]:
    with parity_platform(infra, tmp_path_factory.mktemp("parity-logs")) as platform:
        yield platform


def _say(what: str, found: Outcome) -> str:
    """The failing check's words, then every problem the example showed, by check."""
    lines = [f"  {name}: {p}" for name, problems in vars(found).items() for p in problems]
    return f"{what}; every problem of this example:\n" + "\n".join(lines)


def test_goals_and_tracking_agree_on_every_goal(parity: ParityPlatform) -> None:
    stats = Stats()

    @seed(SEED)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(draw=organisations)
    @example(draw=EXTENDED_WORST_PARENT)  # found by this test: see tests/support/parity/found.py
    def organisations_agree(draw: OrgDraw) -> None:
        script = build(draw)
        note(f"the organisation, step by step:\n{script.describe()}\ndrawn as {draw!r}")
        found = asyncio.run(run_example(parity, script, stats))
        # The most specific check first: an example fails on one line only, and hypothesis tells failures apart
        # by that line, so a rule that breaks in many examples (a leaf's progress) cannot hide a rarer one.
        assert not found.rungs, _say("a ladder's unlock or rung values are not what its readings make them", found)
        assert not found.values, _say("a measured goal's value is not what its readings make it", found)
        assert not found.deadlines, _say(
            "a goal's missed or achieved is not what its deadline and value make it", found
        )
        assert not found.rollups, _say("a parent's numbers are not what its children make them", found)
        assert not found.lifecycle, _say("the events on the topic disagree with the read models", found)
        assert not found.ladders, _say("goals' view of a ladder differs from tracking's", found)
        assert not found.goals, _say("goals' view of a goal differs from tracking's", found)

    try:
        organisations_agree()
    finally:
        print(stats.summary())
