"""Tests of the sorters: DRF converges and honours weights, priority is strict, random is
weighted and repeatable, shares are kept incrementally."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daemons.common.resources import Resources
from daemons.master.allocator.sorter import (
    DrfSorter,
    PrioritySorter,
    RandomSorter,
    Sorter,
    make_sorter,
)

R = Resources.parse
FAST = settings(max_examples=60, deadline=None)


def _run_drf(sorter: Sorter, demands: dict[str, Resources], total: Resources) -> dict[str, int]:
    """Progressive filling (the paper's Algorithm 1): the lowest-share client launches one
    task; when its task no longer fits, the cluster is saturated."""
    sorter.add_total(total)
    used = Resources()
    tasks = dict.fromkeys(demands, 0)
    while True:
        client = sorter.sort()[0]
        if not total.contains(used + demands[client]):
            return tasks
        sorter.allocated(client, demands[client])
        used = used + demands[client]
        tasks[client] += 1


def test_paper_example_cpu_heavy_versus_memory_heavy() -> None:
    s = DrfSorter()
    s.add("a")
    s.add("b")
    tasks = _run_drf(
        s, {"a": R("cpus:1;mem:4096"), "b": R("cpus:3;mem:1024")}, R("cpus:9;mem:18432")
    )
    assert tasks == {"a": 3, "b": 2}
    assert s.share("a") == pytest.approx((2 / 3, "mem"))
    assert s.share("b") == pytest.approx((2 / 3, "cpus"))


@FAST
@given(
    st.integers(1, 8),
    st.integers(1, 64),
    st.integers(1, 8),
    st.integers(1, 64),
)
def test_drf_equalises_dominant_shares_within_one_task(ca: int, ma: int, cb: int, mb: int) -> None:
    total = R("cpus:1000;mem:100000")
    demands = {
        "a": Resources({"cpus": ca, "mem": ma * 10}),
        "b": Resources({"cpus": cb * 10, "mem": mb}),
    }
    s = DrfSorter()
    s.add("a")
    s.add("b")
    _run_drf(s, demands, total)
    share_a, share_b = s.share("a")[0], s.share("b")[0]

    def task_share(d: Resources) -> float:
        return max(d.scalars[k] / total.scalars[k] for k in d.scalars)

    assert abs(share_a - share_b) <= max(task_share(demands["a"]), task_share(demands["b"])) + 1e-9


def test_weight_two_ends_with_twice_the_dominant_share() -> None:
    total = R("cpus:100;mem:100000")
    s = DrfSorter()
    s.add("light", weight=1.0)
    s.add("heavy", weight=2.0)
    task = R("cpus:1;mem:100")
    _run_drf(s, {"light": task, "heavy": task}, total)
    light = s.allocation("light")["cpus"] / 100
    heavy = s.allocation("heavy")["cpus"] / 100
    assert heavy == pytest.approx(2 * light, abs=0.02)
    # share() is weighted: both end at the same weighted share.
    assert s.share("heavy")[0] == pytest.approx(s.share("light")[0], abs=0.01)


def test_update_weight_changes_the_order() -> None:
    s = DrfSorter()
    s.add_total(R("cpus:10"))
    for c in ("a", "b"):
        s.add(c)
    s.allocated("a", R("cpus:3"))
    s.allocated("b", R("cpus:2"))
    assert s.sort() == ["b", "a"]
    s.update_weight("a", 2.0)
    assert s.sort() == ["a", "b"]
    assert s.share("a") == pytest.approx((0.15, "cpus"))


def test_priority_sorter_is_strict() -> None:
    s = PrioritySorter()
    s.add_total(R("cpus:10;mem:1000"))
    s.add("low", weight=1.0)
    s.add("high", weight=5.0)
    s.add("high2", weight=5.0)
    s.allocated("high", R("cpus:9"))
    s.allocated("high2", R("cpus:1"))
    # However much "high" holds, both weight-5 clients come before the weight-1 one,
    # and DRF orders the two of equal weight.
    assert s.sort() == ["high2", "high", "low"]
    # DRF would put "low" first.
    d = DrfSorter()
    d.add_total(R("cpus:10;mem:1000"))
    for c, w in (("low", 1.0), ("high", 5.0), ("high2", 5.0)):
        d.add(c, weight=w)
    d.allocated("high", R("cpus:9"))
    d.allocated("high2", R("cpus:1"))
    assert d.sort()[0] == "low"


@pytest.mark.parametrize("kind", ["drf", "priority", "random"])
def test_deactivate_hides_but_keeps_allocation(kind: str) -> None:
    s = make_sorter(kind, 7) if kind == "random" else make_sorter(kind)
    s.add_total(R("cpus:10"))
    s.add("a")
    s.add("b")
    s.allocated("a", R("cpus:4"))
    s.deactivate("a")
    assert s.sort() == ["b"]
    assert s.share("a") == pytest.approx((0.4, "cpus"))
    s.activate("a")
    assert sorted(s.sort()) == ["a", "b"]


def test_ties_are_broken_by_name() -> None:
    s = DrfSorter()
    s.add_total(R("cpus:10"))
    for c in ("c", "a", "b"):
        s.add(c)
    assert s.sort() == ["a", "b", "c"]


def test_changing_one_allocation_recomputes_one_share() -> None:
    s = DrfSorter()
    s.add_total(R("cpus:100;mem:1000"))
    for i in range(50):
        s.add(f"c{i}")
        s.allocated(f"c{i}", R("cpus:1"))
    s.sort()
    before = s.computations
    s.allocated("c7", R("mem:100"))
    s.unallocated("c8", R("cpus:1"))
    s.sort()
    assert s.computations - before == 2
    # A change of the total makes every share stale, recomputed once each, lazily.
    s.add_total(R("cpus:100"))
    before = s.computations
    assert s.share("c0") == pytest.approx((0.005, "cpus"))
    assert s.computations - before == 1
    s.sort()
    s.sort()
    assert s.computations - before == 50
    assert s.share("c7") == pytest.approx((0.1, "mem"))


@FAST
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.booleans(),
            st.integers(0, 5),
            st.integers(0, 500),
        ),
        max_size=30,
    )
)
def test_incremental_shares_match_a_fresh_computation(
    ops: list[tuple[str, bool, int, int]],
) -> None:
    s = DrfSorter()
    s.add_total(R("cpus:10;mem:1000"))
    for c in ("a", "b", "c"):
        s.add(c)
    held = {c: Resources() for c in ("a", "b", "c")}
    for client, give, cpus, mem in ops:
        r = Resources({"cpus": cpus, "mem": mem})
        if give:
            s.allocated(client, r)
            held[client] = held[client] + r
        else:
            s.unallocated(client, r)
            held[client] = held[client] - r
    for c, h in held.items():
        expected = max([h.cpus / 10, h.mem / 1000, 0.0])
        assert s.share(c)[0] == pytest.approx(expected)


def test_random_sorter_is_seedable_and_weighted() -> None:
    def orders(seed: int) -> list[list[str]]:
        s = RandomSorter(seed)
        s.add("a", weight=3.0)
        s.add("b", weight=1.0)
        return [s.sort() for _ in range(2000)]

    first = orders(1)
    assert first == orders(1)
    assert first != orders(2)
    a_first = sum(order[0] == "a" for order in first) / len(first)
    assert 0.7 < a_first < 0.8  # weight 3 vs 1: first three times in four


def test_random_sorter_redraws_the_served_client() -> None:
    s = RandomSorter(3)
    s.add_total(R("cpus:100"))
    for c in "abcdefgh":
        s.add(c)
    # Between sorts, serving the first client moves it back among the others, so that
    # everyone gets served (without the redraw, the same client would stay first).
    firsts = []
    s.sort()
    for _ in range(400):
        first = min(s.clients(), key=s.key)
        firsts.append(first)
        s.allocated(first, R("cpus:0.001"))
    assert len(set(firsts)) == 8


def test_programming_errors_are_clear() -> None:
    s = DrfSorter()
    s.add("a")
    with pytest.raises(ValueError, match="already added"):
        s.add("a")
    with pytest.raises(KeyError, match="unknown sorter client 'z'"):
        s.allocated("z", R("cpus:1"))
    with pytest.raises(ValueError, match="positive"):
        s.add("b", weight=0)
    with pytest.raises(ValueError, match="unknown sorter"):
        make_sorter("fifo")


def test_module_example_runs() -> None:
    import doctest

    from daemons.master.allocator import sorter

    assert doctest.testmod(sorter).failed == 0
