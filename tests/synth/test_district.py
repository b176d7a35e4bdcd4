"""The synthetic district grows with the records asked for, and its names stay unique and readable as places."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from demandlab.signals.place_grammar import compound_key
from demandlab.signals.places import PlaceFinder
from demandlab.synth.district import BASE_GRIDS, build_district, grid_count


def test_the_grids_grow_with_the_records_a_year():
    assert grid_count(500, 104) == grid_count(50_000, 104) == grid_count(191_000, 104) == BASE_GRIDS
    assert grid_count(192_000, 104) == 121
    assert grid_count(1_000_000, 104) == 628 and grid_count(10_000_000, 104) == 6_272
    assert grid_count(1_000_000, 208) == 314  # the same records over twice the years: half the grids
    assert grid_count(1_000_000, 104, load=400) == 1_255
    counts = [grid_count(n, 104) for n in range(100_000, 3_000_000, 50_000)]
    assert counts == sorted(counts)


@pytest.mark.parametrize("n_grids", [121, 600, 2_500])
def test_communities_and_streets_grow_with_the_grids(n_grids):
    district = build_district(random.Random(7), n_grids)
    grids = district.grids
    per_community = Counter(g.community for g in grids)
    per_street = Counter(street for street, _ in {(g.street, g.community) for g in grids})
    assert len(grids) == n_grids
    assert len(per_community) == max(25, round(n_grids / 4.8))
    assert min(per_community.values()) >= 3 and max(per_community.values()) <= 9
    assert len(per_street) == max(5, round(len(per_community) / 10))
    if n_grids >= 600:  # real streets hold 8–15 communities
        assert 8 <= sum(per_street.values()) / len(per_street) <= 15
    assert len({g.grid_id for g in grids}) == n_grids
    assert all(re.fullmatch(r"[A-Z]{2}\d{4}", g.grid_id) for g in grids)
    codes = {g.street: g.grid_id[:2] for g in grids}
    assert len(set(codes.values())) == len(codes)  # a code names one street
    assert len({g.name for g in grids}) == n_grids


def test_a_small_district_is_the_one_it_always_was():
    """Up to 120 grids the district is built as before growth existed (its bytes are checked in test_stream)."""
    district = build_district(random.Random(0))
    assert len(district.grids) == 120
    assert len({g.community for g in district.grids}) == 25 and len({g.street for g in district.grids}) == 5
    assert district.grids[0].grid_id.endswith("0101")


@pytest.fixture(scope="module")
def large():
    return build_district(random.Random(11), 10_000)


def test_names_are_unique_at_ten_thousand_grids(large):
    compounds = [c.name for g in large.grids for c in g.compounds]
    assert len(compounds) == len(set(compounds)) > 15_000
    communities = {g.community for g in large.grids}
    assert len(communities) == round(10_000 / 4.8)
    roads = {(g.street, r) for g in large.grids for r in g.roads}
    assert len({r for _, r in roads}) == len(roads)  # a road belongs to one street
    for g in large.grids:  # two compounds of one community never share a prefix (锦绣花园, 锦绣苑)
        assert len({c.name[:2] for c in g.compounds}) == len(g.compounds)


def test_no_compound_name_or_key_sits_inside_another(large):
    """The place finder keeps the shorter of two compound keys one inside the other: none may be."""
    names = {c.name for g in large.grids for c in g.compounds}
    keys = {compound_key(n) for n in names if len(compound_key(n)) >= 3}
    inside = [
        (part, name)
        for name in names
        for i in range(len(name))
        for j in range(i + 3, len(name) + 1)
        if (part := name[i:j]) != name and (part in names or part in keys)
    ]
    assert inside == []


def test_the_place_finder_reads_grown_names_as_people_write_them():
    """Without the registry, a compound is found by its suffix (里 only once learned) and a road by its own."""
    district = build_district(random.Random(3), 1_500)
    finder = PlaceFinder.build()
    missed = []
    for g in district.grids:
        for c in g.compounds:
            if c.name.endswith("里"):
                continue
            for text in (f"{g.roads[0]}{c.name}3栋的电梯又坏了", f"{g.community}{c.name}门口垃圾成堆"):
                place = finder.find(text)
                if place is None or (place.kind, place.key) != ("compound", compound_key(c.name)):
                    missed.append((text, place))
        road = finder.find(f"{g.roads[0]}与{g.roads[1]}交叉口积水")
        if road is None or road.key != g.roads[0]:
            missed.append((g.roads[0], road))
    assert missed == []
