"""Properties of the cascade rollups over generated trees built from goal events."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from goalstream_contracts.base import Payload
from goalstream_tracking.domain.node import STATUSES
from goalstream_tracking.domain.rollup import roll_up_all
from tests.unit.tracking.builders import anti, archived, breached, fold, hard, measured, parent, recovered, status

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
weights = st.floats(min_value=0.01, max_value=100.0, allow_nan=False)


@st.composite
def leaves(draw: st.DrawFn) -> tuple[float, float, float, float]:
    """(baseline, target, current, weight) of a child with a non-degenerate range."""
    baseline = draw(finite)
    span = draw(st.floats(min_value=0.01, max_value=1e6)) * draw(st.sampled_from([1, -1]))
    return baseline, baseline + span, draw(finite), draw(weights)


@given(children=st.lists(leaves(), min_size=1, max_size=12), rollup=st.sampled_from(["weighted_mean", "worst"]))
def test_a_weighted_mean_lies_between_its_childrens_clamped_progress(
    children: list[tuple[float, float, float, float]], rollup: str
) -> None:
    events: list[Payload] = [parent("P", rollup)]
    for i, (baseline, target, current, weight) in enumerate(children):
        events += [
            hard(f"c{i}", parent_id="P", baseline=baseline, target=target, weight=weight),
            measured(f"c{i}", current),
        ]
    nodes = roll_up_all(fold(events))
    clamped = [min(1.0, max(0.0, (cur - b) / (t - b))) for b, t, cur, _ in children]
    p = nodes["P"].progress
    assert p is not None
    assert min(clamped) - 1e-9 <= p <= max(clamped) + 1e-9
    assert 0.0 <= p <= 1.0
    assert sorted(v for _, _, v in nodes["P"].rolled_from) == sorted(clamped)


@dataclass(frozen=True)
class Tree:
    parents: list[int | None]  # parents[i] < i: goal i's parent
    rollups: list[str]
    weights: list[float]
    currents: list[float | None]
    statuses: list[str | None]
    archived: list[bool]
    antis: list[tuple[int, bool, bool, str]]  # (goal it counts on, breached, recovered since, guards or parent)

    def events(self) -> list[Payload]:
        kids = {p for p in self.parents if p is not None}
        out: list[Payload] = []
        for i, p in enumerate(self.parents):
            pid = None if p is None else f"g{p:02d}"
            if i in kids:
                out.append(parent(f"g{i:02d}", self.rollups[i], parent_id=pid, weight=self.weights[i], target=50.0))
            else:
                out.append(hard(f"g{i:02d}", parent_id=pid, weight=self.weights[i], baseline=10.0, target=60.0))
        for i in range(len(self.parents)):
            if (current := self.currents[i]) is not None and i not in kids:
                out.append(measured(f"g{i:02d}", current))
            if (new := self.statuses[i]) is not None:
                out.append(status(f"g{i:02d}", new))
        for k, (on, is_breached, is_recovered, how) in enumerate(self.antis):
            target = {"guards": f"g{on:02d}"} if how == "guards" else {"parent_id": f"g{on:02d}"}
            out.append(anti(f"a{k:02d}", **target))
            if is_breached:
                out.append(breached(f"a{k:02d}"))
                if is_recovered:
                    out.append(recovered(f"a{k:02d}"))
        out += [archived(f"g{i:02d}") for i, gone in enumerate(self.archived) if gone]
        return out


@st.composite
def trees(draw: st.DrawFn) -> Tree:
    n = draw(st.integers(1, 25))
    parents: list[int | None] = [None]
    parents += [draw(st.one_of(st.none(), st.integers(0, i - 1))) for i in range(1, n)]
    return Tree(
        parents=parents,
        rollups=draw(st.lists(st.sampled_from(["weighted_mean", "sum", "worst"]), min_size=n, max_size=n)),
        weights=draw(st.lists(weights, min_size=n, max_size=n)),
        currents=draw(st.lists(st.one_of(st.none(), finite), min_size=n, max_size=n)),
        statuses=draw(st.lists(st.one_of(st.none(), st.sampled_from(STATUSES)), min_size=n, max_size=n)),
        archived=draw(st.lists(st.sampled_from([False, False, False, True]), min_size=n, max_size=n)),
        antis=draw(
            st.lists(
                st.tuples(st.integers(0, n - 1), st.booleans(), st.booleans(), st.sampled_from(["guards", "parent"])),
                max_size=6,
            )
        ),
    )


@settings(max_examples=200, deadline=None)
@given(tree=trees(), data=st.data())
def test_roll_up_all_does_not_depend_on_the_order_of_the_nodes(tree: Tree, data: st.DataObject) -> None:
    nodes = fold(tree.events())
    shuffled = dict(data.draw(st.permutations(list(nodes.items()))))
    assert roll_up_all(shuffled) == roll_up_all(nodes)


@settings(max_examples=200, deadline=None)
@given(tree=trees())
def test_counts_and_open_breaches_cover_exactly_the_in_tree_subtree(tree: Tree) -> None:
    nodes = roll_up_all(fold(tree.events()))
    n = len(tree.parents)

    def subtree(i: int) -> list[int]:
        """Goal i and its descendants that are still in the tree (an archived goal takes its subtree along)."""
        return [i] + [d for c in range(n) if tree.parents[c] == i and not tree.archived[c] for d in subtree(c)]

    for i in range(n):
        below = subtree(i)
        counted = [s for j in below if (s := nodes[f"g{j:02d}"].status) is not None]
        if tree.archived[i]:
            counted = counted[1:] if nodes[f"g{i:02d}"].status is not None else counted
        expected = Counter(counted)
        assert nodes[f"g{i:02d}"].counts == {s: expected[s] for s in STATUSES if expected[s]}
        open_here = sum(1 for on, b, r, _ in tree.antis if b and not r and on in below)
        assert nodes[f"g{i:02d}"].open_breaches == open_here
