"""How many records of which problem fall in which grid and week, planted events included.

The background is Poisson with a rate per source × grid × problem × week built
from grid size, the grid's building era (old walk-ups raise 加装电梯 and 漏水,
new high-rises raise 物业 and 电梯故障), seasons and the Spring Festival dip.
Planted events sit on top of it and are returned separately so that the ground
truth can name them.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import numpy as np

from .district import District, Grid
from .grammar import Catalog

SOURCES = ("hotline", "snapshot", "visit")
SOURCE_SHARE = np.array([0.55, 0.20, 0.25])
SPRING_FESTIVALS = (dt.date(2025, 1, 29), dt.date(2026, 2, 17), dt.date(2027, 2, 6), dt.date(2024, 2, 10))

# era → problem → factor; problems not named keep 1.0
ERA_AFFINITY = {
    "old": {
        "elevator_install": 3.5,
        "water_leak": 1.6,
        "sewer_block": 1.6,
        "corridor_clutter": 1.5,
        "ebike_charging": 1.5,
        "lonely_elderly": 1.6,
        "illegal_build": 1.5,
        "heating": 1.3,
        "elevator_fault": 0.05,
        "property_service": 0.6,
        "high_throw": 0.5,
        "elder_canteen": 1.4,
    },
    "mid": {"elevator_install": 0.8, "elevator_fault": 0.8},
    "new": {
        "elevator_install": 0.02,
        "elevator_fault": 2.2,
        "property_service": 1.7,
        "parking": 1.5,
        "high_throw": 1.8,
        "water_supply": 1.4,
        "after_school": 1.4,
        "lonely_elderly": 0.5,
        "corridor_clutter": 0.6,
        "illegal_build": 0.6,
    },
}


@dataclass(frozen=True)
class Planted:
    """A planted event: a surge, a persistent hot issue at a named place, or a repeat caller."""

    kind: str  # "surge" | "hot_issue" | "repeat_caller"
    event_id: str
    problem: str
    grid_id: str
    compound: str
    weeks: tuple[int, ...]  # week indices
    counts: tuple[int, ...]  # records per week
    detail: str = ""  # template sentence that these records share
    building: int | None = None
    shop: str | None = None
    road: str | None = None
    sources: tuple[float, float, float] = (0.7, 0.15, 0.15)
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedProject:
    """A community project (项目清单) started in week ``start`` on a problem of the community: with an effect,
    the problem's records there fall by ``effect`` (0.7: to 30 %) from that week on; without, nothing changes."""

    project_id: str
    street: str
    community: str
    problem: str
    start: int  # week index
    effect: float


@dataclass(frozen=True)
class Plan:
    week_starts: tuple[dt.date, ...]
    background: np.ndarray  # (source, grid, problem, week) counts
    planted: tuple[Planted, ...]
    projects: tuple[PlannedProject, ...] = ()


def week_starts(end: dt.date, weeks: int) -> tuple[dt.date, ...]:
    """Mondays of the ``weeks`` ISO weeks ending with the week that contains ``end``."""
    last_monday = end - dt.timedelta(days=end.weekday())
    return tuple(last_monday - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks))


def season_factor(season: str, monday: dt.date) -> float:
    mid = monday + dt.timedelta(days=3)
    day_of_year = mid.timetuple().tm_yday
    if season == "winter":  # heating season 15 Nov – 15 Mar, peak in January
        in_season = day_of_year >= 319 or day_of_year <= 74
        return (1.6 if mid.month in (12, 1) else 1.0) if in_season else 0.01
    if season == "summer":  # rains and mosquitoes: June – September, peak July
        return {6: 1.2, 7: 2.2, 8: 1.8, 9: 0.8}.get(mid.month, 0.03)
    return 1.0


def holiday_factor(monday: dt.date) -> float:
    for festival in SPRING_FESTIVALS:
        if 0 <= (festival - monday).days < 7 or 0 <= (monday - festival).days < 7:
            return 0.55
    return 1.0


def build_plan(district: District, catalog: Catalog, n_records: int, end: dt.date, weeks: int, seed: int) -> Plan:
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed * 7919 + 1)
    mondays = week_starts(end, weeks)
    grids, problems = district.grids, catalog.problems
    planted = _plant_events(district, catalog, rnd, weeks)
    n_planted = sum(sum(p.counts) for p in planted)
    n_background = max(n_records - n_planted, 0)

    grid_weight = np.array([g.weight for g in grids])
    affinity = np.array([[ERA_AFFINITY[g.era].get(p.key, 1.0) for p in problems] for g in grids]) * rng.lognormal(
        0.0, 0.35, size=(len(grids), len(problems))
    )
    season = np.array([[season_factor(p.season, m) * holiday_factor(m) for m in mondays] for p in problems])
    source_weight = np.array([[p.weight * p.sources.get(s, 0.0) for p in problems] for s in SOURCES])
    source_weight /= source_weight.sum(axis=1, keepdims=True)
    rate = (
        source_weight[:, None, :, None] * (grid_weight[:, None] * affinity)[None, :, :, None] * season[None, None, :, :]
    )
    rate *= (SOURCE_SHARE * n_background / rate.sum(axis=(1, 2, 3)))[:, None, None, None]
    background = rng.poisson(rate)
    projects = _plant_projects(district, problems, background, rate, seed) if n_records >= PROJECT_MIN_RECORDS else ()
    return Plan(week_starts=mondays, background=background, planted=tuple(planted), projects=projects)


#: projects planted: (effect) for each; they start this many weeks before the last week
PROJECT_EFFECTS, PROJECT_WEEKS_BEFORE_END = (0.7, 0.7, 0.0), 12
#: a project is for a demand the community raises a lot: in the 12 weeks before and after the start its
#: records come at this many a week (above the district's rate, spread over the community's grids as that
#: rate is), so that a small district still shows the effect
PROJECT_DEMAND = 3.0
#: a smaller district plants no project: their records would be too large a share of it (in 2,000 records they
#: pulled two planted problems into others' themes)
PROJECT_MIN_RECORDS = 5_000


def _plant_projects(
    district: District, problems, background: np.ndarray, rates: np.ndarray, seed: int
) -> tuple[PlannedProject, ...]:
    """Projects on the busiest year-round problems of distinct communities, started 12 weeks before the end; an
    effective one thins that problem's records in that community from its start (its own random stream, so
    every other cell of the plan stays as it was drawn)."""
    weeks = background.shape[3]
    if weeks < 2 * PROJECT_WEEKS_BEFORE_END:
        return ()
    start = weeks - PROJECT_WEEKS_BEFORE_END
    communities = sorted({g.community for g in district.grids})
    in_community = {c: [i for i, g in enumerate(district.grids) if g.community == c] for c in communities}
    # chosen by the expected rate, not the counts drawn: choosing the busiest counts of the weeks before the
    # start would pick cells that happened to run high, which fall back after it (regression to the mean)
    before = rates[:, :, :, start - PROJECT_WEEKS_BEFORE_END : start].sum(axis=(0, 3))  # grid × problem
    year_round = [j for j, p in enumerate(problems) if p.season == "all"]
    volume = sorted(
        ((float(before[in_community[c]][:, j].sum()), c, j) for c in communities for j in year_round), reverse=True
    )
    thin = np.random.default_rng(seed + 1_000_003)
    chosen, used = [], set()
    for _n, community, j in volume:
        if community in used or any(j == k for _, k in chosen):
            continue
        chosen.append((community, j))
        used.add(community)
        if len(chosen) == len(PROJECT_EFFECTS):
            break
    projects = []
    first = start - PROJECT_WEEKS_BEFORE_END
    for k, ((community, j), effect) in enumerate(zip(chosen, PROJECT_EFFECTS, strict=False)):
        cells = background[:, in_community[community], j, first:]
        rate = np.maximum(rates[:, in_community[community], j, first:], 0.0)
        weekly = rate.sum(axis=(0, 1), keepdims=True)
        extra = np.maximum(PROJECT_DEMAND - weekly, 0.0) * rate / np.maximum(weekly, 1e-9)
        cells = cells + thin.poisson(extra)
        if effect:
            cells[..., PROJECT_WEEKS_BEFORE_END:] = thin.binomial(cells[..., PROJECT_WEEKS_BEFORE_END:], 1.0 - effect)
        background[:, in_community[community], j, first:] = cells
        street = district.grids[in_community[community][0]].street
        projects.append(PlannedProject(f"P{k + 1}", street, community, problems[j].key, start, effect))
    return tuple(projects)


def _pick_grid(rnd: random.Random, grids: tuple[Grid, ...], era: str | None, taken: set[str]) -> Grid:
    pool = [g for g in grids if g.grid_id not in taken and (era is None or g.era == era)]
    grid = rnd.choice(pool or [g for g in grids if g.grid_id not in taken])
    taken.add(grid.grid_id)
    return grid


def _plant_events(district: District, catalog: Catalog, rnd: random.Random, weeks: int) -> list[Planted]:
    """Surges, hot issues and repeat callers, placed relative to the last week."""
    last = weeks - 1
    taken: set[str] = set()
    events: list[Planted] = []
    surge_specs = [
        (
            "S1",
            "noise_construction",
            None,
            range(last - 3, last + 1),
            (7, 11, 13, 10),
            "{compound}[东侧|旁边|北面]新建的混凝土搅拌站[每天夜里|{time}]还在生产，[罐车进进出出|搅拌机轰鸣不停]",
        ),
        (
            "S2",
            "ebike_charging",
            "old",
            range(last - 33, last - 30),
            (8, 12, 9),
            "[上周|前几天]{compound}[车棚|楼道]里一辆[电瓶车|电动车]充电时起火，[居民们吓坏了|大家都很后怕]",
        ),
        (
            "S3",
            "sewer_block",
            "old",
            range(last - 70, last - 67),
            (9, 14, 8),
            "{compound}[排污主管|污水主管道]破裂，[粪水|污水][反涌|漫进了一楼住户家]",
        ),
        (
            "S4",
            "water_supply",
            "new",
            range(last - 12, last - 10),
            (10, 7),
            "{compound}二次供水泵房[故障|坏了]，[整个小区|高层住户][断水|水压上不去]",
        ),
    ]
    for event_id, problem, era, week_range, counts, detail in surge_specs:
        grid = _pick_grid(rnd, district.grids, era, taken)
        events.append(
            Planted("surge", event_id, problem, grid.grid_id, grid.compounds[0].name, tuple(week_range), counts, detail)
        )

    hot_grid = _pick_grid(rnd, district.grids, "new", taken)
    events.append(
        Planted(
            "hot_issue",
            "H1",
            "elevator_fault",
            hot_grid.grid_id,
            hot_grid.compounds[0].name,
            tuple(range(last - 19, last - 1)),
            tuple(rnd.choice((1, 2, 2, 3, 3, 4)) for _ in range(18)),
            "{compound}{building}的电梯[又|再次][坏了|困人了|停运了]",
            building=rnd.randint(2, 6),
            sources=(0.75, 0.1, 0.15),
        )
    )
    fumes_grid = _pick_grid(rnd, district.grids, None, taken)
    events.append(
        Planted(
            "hot_issue",
            "H2",
            "cooking_fumes",
            fumes_grid.grid_id,
            fumes_grid.compounds[0].name,
            tuple(range(last - 39, last + 1)),
            tuple(rnd.choice((0, 1, 1, 2, 2, 3)) for _ in range(40)),
            "{compound}[楼下|底商]的湘味轩饭店[油烟直排|排烟管道对着住户窗户]",
            shop="湘味轩饭店",
            sources=(0.7, 0.2, 0.1),
        )
    )
    market_grid = _pick_grid(rnd, district.grids, None, taken)
    events.append(
        Planted(
            "hot_issue",
            "H3",
            "street_vendor",
            market_grid.grid_id,
            market_grid.compounds[0].name,
            tuple(range(last - 60, last - 29)),
            tuple(rnd.choice((0, 1, 1, 2, 2)) for _ in range(31)),
            "{road}东门菜市场[门口|外面][摊贩|菜摊]占道经营",
            road=market_grid.roads[0],
            sources=(0.3, 0.6, 0.1),
        )
    )

    repeat_problems = [
        "water_leak",
        "neighbor_dispute",
        "property_service",
        "parking",
        "dogs",
        "heating",
        "water_leak",
        "cooking_fumes",
    ]
    for i, problem in enumerate(repeat_problems, start=1):
        grid = _pick_grid(rnd, district.grids, None, taken)
        n_calls = rnd.randint(4, 9)
        span = rnd.randint(n_calls, n_calls + 8)
        if catalog.by_key(problem).season == "winter":
            first = last - 52 + rnd.randint(0, 6)  # last winter
        else:
            first = rnd.randint(8, last - span)
        week_list = sorted(rnd.sample(range(first, first + span), n_calls))
        compound = rnd.choice(grid.compounds)
        weeks_counted: dict[int, int] = {}
        for w in week_list:
            weeks_counted[w] = weeks_counted.get(w, 0) + 1
        events.append(
            Planted(
                "repeat_caller",
                f"R{i}",
                problem,
                grid.grid_id,
                compound.name,
                tuple(weeks_counted),
                tuple(weeks_counted.values()),
                "[我|本人]家住{building}{unit}{room}室，[这是第{k}次反映了|之前已经反映过多次|上次反映后一直没解决]",
                building=rnd.randint(1, compound.buildings),
                sources=(1.0, 0.0, 0.0),
                extra={
                    "room": f"{rnd.randint(1, compound.floors)}0{rnd.randint(1, 4)}",
                    "unit": f"{rnd.randint(1, 3)}单元",
                },
            )
        )
    return events
