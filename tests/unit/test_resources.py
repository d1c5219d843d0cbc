"""Property tests of `Resources`: arithmetic, containment, text round trips and bad texts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daemons.common.resources import ResourceError, Resources, _merge, _subtract_ranges

FAST = settings(max_examples=100, deadline=None)

SCALAR_NAMES = ("cpus", "mem", "disk", "gpus", "custom_x")
RANGE_NAMES = ("ports", "ephemeral_ports")
SET_NAMES = ("disks", "zones")

# Scalars are fixed point with three decimals: draw them as thousandths.
scalar_values = st.integers(min_value=1, max_value=10**9).map(lambda n: n / 1000)
range_pairs = st.tuples(st.integers(0, 300), st.integers(0, 40)).map(lambda t: (t[0], t[0] + t[1]))
set_items = st.text(alphabet="abcdefghij0123456789_-", min_size=1, max_size=6)

resources = st.builds(
    Resources,
    st.dictionaries(st.sampled_from(SCALAR_NAMES), scalar_values, max_size=4),
    st.dictionaries(st.sampled_from(RANGE_NAMES), st.lists(range_pairs, max_size=4), max_size=2),
    st.dictionaries(st.sampled_from(SET_NAMES), st.frozensets(set_items, max_size=4), max_size=2),
)


def _points(ranges: tuple[tuple[int, int], ...] | list[tuple[int, int]]) -> set[int]:
    return {p for b, e in ranges for p in range(b, e + 1)}


def _without(a: Resources, b: Resources) -> Resources:
    """`a` with b's ranges and sets taken out (so a and b do not overlap there)."""
    return a - Resources(ranges=b.ranges, sets=b.sets)


@FAST
@given(resources)
def test_text_round_trip(r: Resources) -> None:
    assert Resources.parse(str(r)) == r


@FAST
@given(resources)
def test_proto_round_trip(r: Resources) -> None:
    assert Resources.from_proto(r.to_proto()) == r


@FAST
@given(resources, resources)
def test_add_then_subtract_gives_back_the_original(a: Resources, b: Resources) -> None:
    a = _without(a, b)
    assert (a + b) - b == a


@FAST
@given(resources, resources)
def test_sum_contains_both_parts(a: Resources, b: Resources) -> None:
    total = a + b
    assert total.contains(a)
    assert total.contains(b)
    assert a <= total and total >= b


@FAST
@given(resources, resources)
def test_difference_fits_and_never_goes_negative(a: Resources, b: Resources) -> None:
    left = a - b
    assert a.contains(left)
    assert all(v > 0 for v in left.scalars.values())
    assert not (a - a)


@FAST
@given(resources, resources)
def test_contains_agrees_with_subtraction(a: Resources, b: Resources) -> None:
    # b fits in a exactly when taking a away from b leaves nothing.
    assert a.contains(b) == (not (b - a))


@FAST
@given(st.lists(range_pairs, max_size=8))
def test_merged_ranges_are_sorted_disjoint_and_cover_the_same_points(
    pairs: list[tuple[int, int]],
) -> None:
    merged = _merge(pairs)
    assert _points(merged) == _points(pairs)
    for (_, e1), (b2, _) in zip(merged, merged[1:], strict=False):
        assert e1 + 1 < b2  # neither overlapping nor adjacent


@FAST
@given(st.lists(range_pairs, max_size=6), st.lists(range_pairs, max_size=6))
def test_range_subtraction_is_set_difference(
    left: list[tuple[int, int]], right: list[tuple[int, int]]
) -> None:
    out = _subtract_ranges(_merge(left), _merge(right))
    assert _points(out) == _points(left) - _points(right)


@FAST
@given(st.lists(scalar_values, min_size=1, max_size=20))
def test_scalar_sums_do_not_drift(values: list[float]) -> None:
    total = Resources()
    for v in values:
        total = total + Resources({"cpus": v})
    for v in values:
        total = total - Resources({"cpus": v})
    assert not total


def test_parse_examples() -> None:
    r = Resources.parse(
        " cpus(*):2 ; mem:1024;cpus:0.5;ports:[31000-31005,31003-31010];disks:{b, a}"
    )
    assert r.scalars == {"cpus": 2.5, "mem": 1024}
    assert r.ranges == {"ports": ((31000, 31010),)}
    assert r.sets == {"disks": frozenset({"a", "b"})}
    assert str(r) == "cpus:2.5;mem:1024;ports:[31000-31010];disks:{a,b}"
    assert Resources.parse("") == Resources()
    assert sum((Resources({"cpus": 0.1}) for _ in range(10)), Resources()) == Resources({"cpus": 1})


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("cpus", "expected name:value"),
        ("cpus:", "expected name:value"),
        ("cpus:two", "expected a number"),
        ("cpus:-1", "non-negative"),
        ("cpus:nan", "non-negative"),
        ("cpus:inf", "non-negative"),
        ("1cpus:2", "bad resource name"),
        ("cpus(web):2", "reserved resources"),
        ("ports:[5-3]", "begin must be <= end"),
        ("ports:[a-b]", "expected begin-end"),
        ("ports:[1-2", "expected [begin-end"),
        ("disks:{a,b", "expected {a,b"),
        ("[{", "bad resources JSON"),
        ('{"name": "cpus"}', "bad resource name"),
        ('[{"name": "cpus", "type": "SCALAR", "scalar": {"value": -1}}]', "bad value"),
    ],
)
def test_bad_texts_raise_a_clear_resource_error(text: str, words: str) -> None:
    with pytest.raises(ResourceError, match=None) as info:
        Resources.parse(text)
    assert words in str(info.value)
