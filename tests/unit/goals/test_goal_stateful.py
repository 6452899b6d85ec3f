"""The goal aggregate driven through random command sequences: set, measure, revise, plan, archive and the clock
moving on, for a hard goal, an anti-goal, a parent with a child, and a two-rung ladder. Every decision is checked
against the reference model (stateful_model.py); after every step the state must agree with the model and with its
snapshots, and at the end with a replay of every stream from its first event."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from goalstream_contracts.base import Payload
from goalstream_contracts.events import (
    AntiGoalBreached,
    AntiGoalRecovered,
    GoalAchieved,
    GoalArchived,
    GoalCheckInDue,
    GoalMissed,
    GoalPlanned,
    GoalRevised,
    GoalSet,
    GoalStatusChanged,
    LadderRungUnlocked,
    MeasurementRecorded,
    MilestoneHit,
    MilestoneMissed,
)
from goalstream_goals.adapters import snapshots
from goalstream_goals.domain.define import (
    decide_archive,
    decide_plan,
    decide_recounted,
    decide_revise,
    decide_set,
    decide_unlock,
)
from goalstream_goals.domain.errors import DomainError
from goalstream_goals.domain.goal import Goal, Measurement, evolve, fold
from goalstream_goals.domain.ladder import Ladder, decide_ladder, decide_rung_achieved, evolve_ladder, fold_ladder
from goalstream_goals.domain.measure import decide_measurement, decide_rollup
from goalstream_goals.domain.timing import decide_time, next_due
from goalstream_rules.recount import recounts
from goalstream_rules.rollup import Child, RollupNumbers, rollup_numbers
from tests.unit.goals.builders import DAY, T0, TOL, US
from tests.unit.goals.stateful_model import (
    DURATIONS,
    EPS,
    Model,
    Obs,
    checkpoints_valid,
    normalised,
    parent_rollup,
    revise_outcome,
    valid,
)
from tests.unit.goals.stateful_scenarios import (
    Scenario,
    check_events,
    check_stream,
    checkpoint_grid,
    definitions,
    revisions,
    scenarios,
)

HOUR = timedelta(hours=1)
# (k, lag): the k-th value of the scenario's grid, observed lag hours before now; lags put values out of order,
# some observed before start_at or after the deadline.
values = st.tuples(st.integers(-2, 18), st.integers(0, 24 * 12))


def _snapshot(goal: Goal) -> Any:
    """The state as the snapshot store keeps it: the adapter's JSON, through a real JSON round trip."""
    return json.loads(json.dumps(snapshots._GOAL.dump_python(goal, mode="json")))


class GoalMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.scenario: Scenario | None = None
        self.streams: dict[str, list[Payload]] = {}
        self.states: dict[str, Goal] = {}
        self.models: dict[str, Model] = {}
        self.saved: dict[str, list[tuple[int, Any]]] = {}  # (version, snapshot) after each decision
        self.ladder: Ladder | None = None
        self.ladder_events: list[Payload] = []
        self.measurements = 0
        self.series: list[Measurement] = []
        self.unborn: list[GoalSet] = []  # a parent's child, set later: a parent spends a while with no children

    @initialize(s=scenarios)
    def set_goals(self, s: Scenario) -> None:
        self.scenario, self.now = s, T0 + s.clock * HOUR
        goals = definitions(s)
        self.unborn = [d for d in goals if d.parent_id is not None]
        for d in goals:
            if d.parent_id is None:
                self._set(d)
        if s.form == "ladder":
            self.ladder_events = decide_ladder("L", "climb", None, [("r1", "rung 1"), ("r2", "rung 2")])
            self.ladder = fold_ladder(self.ladder_events)

    def _set(self, d: GoalSet) -> None:
        events = decide_set(d, self.now, TOL)
        model = self.models[d.goal_id] = Model(definition=normalised(d))
        assert events[0] == model.definition
        self.streams[d.goal_id], self.saved[d.goal_id] = [], []
        self._commit(d.goal_id, events, *model.decide_status(self.now, TOL))

    @rule()
    def set_child(self) -> None:
        if self.unborn:  # (not a precondition: one that is rarely true starves swarm runs)
            self._set(self.unborn.pop())

    @initialize(s=scenarios, data=st.data())
    def set_another(self, s: Scenario, data: st.DataObject) -> None:
        """A goal like a scenario's first, valid or not, is refused exactly when DESIGN's rules say so."""
        d = definitions(s)[0]
        change: dict[str, Any] = data.draw(
            st.sampled_from([{}, {"weight": 0.0}, {"checkin_every": "P1M"}, {"target": d.baseline}])
        )
        change |= data.draw(st.sampled_from([{}, {"deadline": d.start_at}, {"threshold": 1.0}, {"comparator": None}]))
        probe = d.model_copy(update={"goal_id": "probe", **change})
        try:
            events = decide_set(probe, self.now, TOL)
        except DomainError:
            assert not valid(normalised(probe))
            return
        assert valid(normalised(probe)) and events[0] == normalised(probe)
        check_events("probe", events, self.now)

    @rule(batch=st.lists(values, min_size=1, max_size=4))
    def measure(self, batch: list[tuple[int, int]]) -> None:
        self._record(batch)

    def _record(self, batch: list[tuple[int, int]]) -> None:
        assert self.scenario is not None
        for k, lag in batch:
            self.measurements += 1
            m = Measurement(f"m{self.measurements}", "k", self.scenario.value(k), self.now - lag * HOUR)
            self.series.append(m)  # the organisation's series keeps every value, bound or not
            # The service reaches every active goal bound to the metric, in goal id order; the others hear nothing.
            targets = [g for g in sorted(self.states) if self.states[g].active and self.models[g].definition.metric]
            for goal_id in sorted(set(self.states) - set(targets)):
                assert decide_measurement(self.states[goal_id], m, self.now, TOL) == []
            for goal_id in targets:
                self._measure(goal_id, m)

    def _measure(self, goal_id: str, m: Measurement) -> None:
        model = self.models[goal_id]
        counted, deadline = model.counts(m.observed_at), model.definition.deadline
        model.observations.append(Obs(m.value, m.observed_at, counted, deadline is None or m.observed_at <= deadline))
        model.last_recorded_at = self.now
        events = decide_measurement(self.states[goal_id], m, self.now, TOL)
        recorded = events[0]
        assert isinstance(recorded, MeasurementRecorded) and recorded.observed_at == m.observed_at
        assert (recorded.counted, recorded.current_value) == (counted, model.current())
        if model.definition.kind == "anti":
            assert recorded.progress is None
            self._commit(goal_id, events, False, False, episode=model.episode() if counted else None)
            return
        assert recorded.progress == (None if model.current() is None else model.progress())
        hits = model.reached_milestones(model.progress()) if counted else set()
        due = {x.index: x.due for x in model.milestones}
        assert {(e.milestone_index, e.hit_at, e.late) for e in events if isinstance(e, MilestoneHit)} == {
            (i, m.observed_at, m.observed_at > due[i]) for i in hits
        }
        model.hit |= hits
        achieving_at = m.observed_at if counted else None
        self._commit(goal_id, events, *model.decide_status(self.now, TOL, achieving_at=achieving_at))

    @rule(data=st.data())
    def revise(self, data: st.DataObject) -> None:
        goal_id = data.draw(st.sampled_from(sorted(self.states)))
        model = self.models[goal_id]
        changes = data.draw(st.sampled_from(revisions(model, self.now)))
        outcome = revise_outcome(model, changes)
        try:
            events = decide_revise(self.states[goal_id], changes, self.now, TOL)
        except DomainError:
            assert outcome == "refused", changes
            return
        assert outcome != "refused", changes
        changed = {k: v for k, v in changes.items() if getattr(model.definition, k) != v}
        assert [(type(e), e.changed) for e in events[:1] if isinstance(e, GoalRevised)] == (
            [] if outcome == "unchanged" else [(GoalRevised, tuple(sorted(changed)))]
        )
        model.revised(changed)
        if events and recounts(changed) and goal_id != "p":
            self._recount(goal_id, events)
        elif events:
            self._decided(goal_id, events, achieving_at=self.now)  # a revision that meets the target achieves now

    def _recount(self, goal_id: str, revision: list[Payload]) -> None:
        """A revision of what counts, wired as the service wires it: GoalRevised alone (the count is empty), then
        the kept values decided again one by one, then the status they leave."""
        model = self.models[goal_id]
        assert [type(e) for e in revision] == [GoalRevised]
        self._commit(goal_id, revision, False, False)
        state = self.states[goal_id]
        assert (state.current, state.latest_observed_at, state.window, state.by_deadline) == (None, None, (), None)
        for m in self._kept(state):
            self._measure(goal_id, m)
        events = decide_recounted(self.states[goal_id], self.now, TOL)
        self._commit(goal_id, events, *model.decide_status(self.now, TOL, achieving_at=self.now))

    def _kept(self, goal: Goal) -> list[Measurement]:
        """The kept values a goal folds when its count starts (docs/decisions.md, "Which values"), oldest first."""
        d = goal.definition
        if not goal.active or d.metric is None:
            return []
        later = d.ladder_id is not None and (d.rung_index or 1) > 1
        since = d.start_at if later or d.metric.aggregation == "sum" else None
        kept = sorted(
            (
                m
                for m in self.series
                if since is None or m.observed_at > since or (m.observed_at == since and not later)
            ),
            key=lambda m: m.observed_at,  # stable: of two observed at once, the one sent first
        )
        if d.window is None and d.metric.aggregation == "latest":
            return kept[-1:]
        if d.window is not None and kept:
            start = kept[-1].observed_at - DURATIONS[d.window]
            return [m for m in kept if m.observed_at >= start]
        return kept

    @rule(data=st.data())
    def plan(self, data: st.DataObject) -> None:
        goal_id = data.draw(st.sampled_from(sorted(self.states)))
        model, d = self.models[goal_id], self.models[goal_id].definition
        n = data.draw(st.one_of(st.none(), st.integers(1, 4)))
        start, deadline, b, t = d.start_at or T0, d.deadline or T0 + DAY, model.baseline, d.target or 1.0
        grid = [] if n else data.draw(checkpoint_grid)
        checkpoints = [(start + (deadline - start) * i / 8, b + (t - b) * j / 8) for i, j in grid]
        refused = d.kind != "hard" or model.archived or model.locked
        refused = refused or (not n and not checkpoints_valid(model, checkpoints))
        try:
            events = decide_plan(self.states[goal_id], self.now, TOL, milestones=n, checkpoints=checkpoints)
        except DomainError:
            assert refused
            return
        assert not refused and isinstance(events[0], GoalPlanned)
        expected = (
            [(deadline - (deadline - start) * (n - k) / n, k / n) for k in range(1, n + 1)]
            if n
            else [(due, min(1.0, model.progress(v))) for due, v in sorted(checkpoints)]
        )
        assert [(x.due, x.fraction) for x in events[0].milestones] == expected
        model.milestones, model.hit, model.missed_milestones = events[0].milestones, set(), set()
        hits = model.reached_milestones(model.progress()) if model.current() is not None else set()
        assert {(e.milestone_index, e.hit_at) for e in events if isinstance(e, MilestoneHit)} == {
            (i, self.now) for i in hits
        }
        model.hit |= hits
        self._decided(goal_id, events)

    def _decided(self, goal_id: str, events: list[Payload], achieving_at: datetime | None = None) -> None:
        """A revision's or a plan's events; a parent's status is its rollup's, which settle decides next."""
        if goal_id != "p":
            self._commit(goal_id, events, *self.models[goal_id].decide_status(self.now, TOL, achieving_at=achieving_at))
            return
        self._commit(goal_id, events, False, False)
        self._settle(self.now)

    @rule(data=st.data())
    def archive(self, data: st.DataObject) -> None:
        if self.measurements < 3:
            return  # archiving before any data leaves little to see (a precondition would starve swarm runs)
        goal_id = data.draw(st.sampled_from(sorted(self.states)))
        events = decide_archive(self.states[goal_id], "done")
        assert [type(e) for e in events] == ([] if self.models[goal_id].archived else [GoalArchived])
        self.models[goal_id].archived = True
        self._commit(goal_id, events, False, False)

    @rule(data=st.data())
    def tick(self, data: st.DataObject) -> None:
        """The scheduler's pass, some hours later or exactly at / just past the next thing due."""
        dues = [t for g, s in self.states.items() if (t := next_due(s, self.now, TOL, **self._time_args(g, False)))]
        step = data.draw(st.sampled_from(["hours", *(["due", "past-due"] if dues else [])]))
        if step == "hours":
            self.now += data.draw(st.integers(1, 24 * 4)) * HOUR
        else:
            self.now = max(self.now, min(dues) + (US if step == "past-due" else timedelta(0)))
        for goal_id in sorted(self.states):
            self._tick(goal_id)
        self._record(data.draw(st.lists(values, max_size=3)))  # data arriving as time goes by

    def _tick(self, goal_id: str) -> None:
        model, now, args = self.models[goal_id], self.now, self._time_args(goal_id)
        events = decide_time(self.states[goal_id], now, TOL, **args)
        missed: set[int] = set()
        if model.active:
            missed = {m.index for m in model.milestones if m.due <= now} - model.hit - model.missed_milestones
        assert {e.milestone_index for e in events if isinstance(e, MilestoneMissed)} == missed
        model.missed_milestones |= missed
        due, deadline = model.checkin_due(), model.definition.deadline
        signal = due is not None and due <= now and due != model.checkin_signalled and (not deadline or due < deadline)
        assert [e.due_since for e in events if isinstance(e, GoalCheckInDue)] == ([due] if signal else [])
        model.checkin_signalled = due if signal else model.checkin_signalled
        rollup = parent_rollup(model, self.models.get("c")) if goal_id == "p" else {}
        self._commit(goal_id, events, *model.decide_status(now, TOL, **rollup))
        # Asked again at the same moment the scheduler hears nothing, and its next wake-up is in the future.
        state = self.states[goal_id]
        assert decide_time(state, now, TOL, **args) == []
        wake = next_due(state, now, TOL, **self._time_args(goal_id, False))
        assert wake is None or wake > now
        if wake is not None and wake - now > timedelta(seconds=2):
            assert decide_time(state, now + (wake - now) / 2, TOL, **args) == []  # and nothing is due before it

    # -- the cascade and the ladder, wired as the service wires them -------------------------------------------

    def _numbers(self) -> RollupNumbers:
        child, parent = self.states.get("c"), self.states["p"]
        kids = (
            []
            if child is None or not child.active
            else [Child(child.definition.weight, child.raw_progress, child.current, child.baseline, child.status)]
        )
        return rollup_numbers(parent.definition.rollup, kids, parent.baseline, parent.definition.target)

    def _time_args(self, goal_id: str, worst: bool = True) -> dict[str, Any]:
        numbers = self._numbers() if goal_id == "p" else None
        return {} if numbers is None else {"rollup": numbers.progress} | ({"worst": numbers.worst} if worst else {})

    def _settle(self, observed_at: datetime) -> None:
        """The parent follows its child: the service recomputes it after every change to either."""
        numbers, parent = self._numbers(), self.models["p"]
        events = decide_rollup(
            self.states["p"],
            self.now,
            TOL,
            raw=numbers.progress,
            current=numbers.current,
            worst=numbers.worst,
            observed_at=observed_at,
        )
        rollup = parent_rollup(parent, self.models.get("c"))
        hits = parent.reached_milestones(rollup.get("raw") or 0.0) if parent.active else set()
        assert {e.milestone_index for e in events if isinstance(e, MilestoneHit)} == hits
        parent.hit |= hits
        self._commit("p", events, *parent.decide_status(self.now, TOL, achieving_at=observed_at, **rollup))

    def _climb(self, achieved: GoalAchieved) -> None:
        """Rung 1 achieved: the ladder unlocks rung 2, which starts at the achieving value's observed time."""
        assert self.ladder is not None
        events = decide_rung_achieved(self.ladder, achieved.goal_id, achieved.achieved_at)
        assert [(e.goal_id, e.unlocked_at) for e in events if isinstance(e, LadderRungUnlocked)] == (
            [("r2", achieved.achieved_at)] if achieved.goal_id == "r1" else []
        )
        for event in events:
            self.ladder_events.append(event)
            self.ladder = evolve_ladder(self.ladder, event)
            rung = self.models["r2"]
            unlock = decide_unlock(self.states["r2"], achieved.achieved_at, self.now, TOL)
            starts = rung.locked and not rung.archived
            assert [type(e) for e in unlock[:1]] == ([GoalRevised] if starts else [])
            if starts:
                rung.definition = rung.definition.model_copy(update={"start_at": achieved.achieved_at})
            self._commit("r2", unlock, *rung.decide_status(self.now, TOL))

    # -- applying one decision, and what holds after every step -----------------------------------------------

    def _commit(
        self, goal_id: str, events: list[Payload], achieved: bool, missed: bool, *, episode: type | None = None
    ) -> None:
        """Check one decision's events against what the model expected of it, then fold them in."""
        check_events(goal_id, events, self.now)
        before, model = self.states.get(goal_id), self.models[goal_id]
        kinds = [type(e) for e in events]
        assert (kinds.count(GoalAchieved), kinds.count(GoalMissed)) == (achieved, missed), kinds
        assert [k for k in kinds if k in (AntiGoalBreached, AntiGoalRecovered)] == ([episode] if episode else [])
        assert kinds.count(GoalStatusChanged) == (model.status != (before.status if before else None)), kinds
        self.streams[goal_id] += events
        state = fold(events, before)
        assert state is not None
        self.states[goal_id] = state
        if events:
            self.saved[goal_id].append((state.version, _snapshot(state)))
        for event in events:
            if isinstance(event, GoalAchieved) and event.ladder_id is not None:
                self._climb(event)
        if goal_id == "c" and events:
            observed = [e.observed_at for e in events if isinstance(e, MeasurementRecorded)]
            self._settle(observed[0] if observed else self.now)

    @invariant()
    def snapshots_and_streams_agree(self) -> None:
        for goal_id, state in self.states.items():
            events = self.streams[goal_id]
            assert state.version == len(events)
            assert snapshots._GOAL.validate_python(self.saved[goal_id][-1][1]) == state
            version, older = self.saved[goal_id][len(self.saved[goal_id]) // 2]  # a snapshot plus the events after
            assert fold(events[version:], snapshots._GOAL.validate_python(older)) == state
            check_stream(events)
        if self.ladder is not None:
            assert fold_ladder(self.ladder_events) == self.ladder
            assert self.ladder.current_rung == (2 if self.models["r1"].achieved else 1)

    def teardown(self) -> None:
        """Replaying every stream from its first event gives the state built step by step (once: it is O(n))."""
        for goal_id, state in self.states.items():
            replayed: Goal | None = None
            for event in self.streams[goal_id]:
                replayed = evolve(replayed, event)
            assert replayed == state

    @invariant()
    def state_agrees_with_the_model(self) -> None:
        for state in self.states.values():
            model, d = self.models[state.goal_id], self.models[state.goal_id].definition
            assert state.definition == d
            assert (state.archived, state.active, state.achieved, state.missed, state.status) == (
                model.archived,
                model.active,
                model.achieved,
                model.missed,
                model.status,
            )
            assert (state.breached_at is not None, state.checkin_due_since) == (model.breached, model.checkin_signalled)
            assert (set(state.milestones_hit), set(state.milestones_missed)) == (model.hit, model.missed_milestones)
            assert state.milestones == model.milestones
            if d.metric is not None:
                assert state.current == model.current()
            if d.kind == "hard" and d.metric is not None and model.active and d.deadline is not None:
                by_deadline = model.by_deadline()
                reached = model.progress(model.baseline if by_deadline is None else by_deadline) >= 1 - EPS
                # DESIGN §2 "achieved once progress >= 1" (a revision after the deadline does not rewrite it)
                assert model.achieved or not reached or self.now > d.deadline


TestGoalAggregate = GoalMachine.TestCase
# 400 runs of up to 50 steps: about 11 s on the 2-core dev box; the example database replays past failures first.
# One bug shrunk at a time: shrinking several long runs at once takes minutes.
TestGoalAggregate.settings = settings(
    max_examples=400, stateful_step_count=50, deadline=None, report_multiple_bugs=False
)
