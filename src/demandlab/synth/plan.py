"""How many records of which problem fall in which grid and week, planted events included.

The background is Poisson with a rate per source × grid × problem × week built
from grid size, the grid's building era (old walk-ups raise 加装电梯 and 漏水,
new high-rises raise 物业 and 电梯故障), seasons and the Spring Festival dip.
Planted events sit on top of it and are returned separately so that the ground
truth can name them.

:func:`build_plan` draws the whole background at once (a :class:`Plan`, the district of up to
120 grids); :func:`build_weekly_plan` keeps only the rates' factors and draws a week's counts when they
are asked for, from that week's own random stream (a :class:`WeeklyPlan`, for grown districts: 6,000
grids × 32 problems × 104 weeks would be 60 million cells per source).
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

    def counts(self, first: int, stop: int) -> np.ndarray:
        """Background counts of weeks ``first`` to ``stop`` (excluded): (source, grid, problem, week)."""
        return self.background[..., first:stop]


@dataclass(frozen=True)
class WeeklyPlan:
    """A plan whose background is drawn a week at a time: ``rate[s, g, p, w] = source_rate[s, p] ×
    grid_rate[g, p] × season[p, w]``, each week's counts Poisson from the week's own stream, then the
    projects' cells (extra demand, and the effect from the start) from the project's stream of that week.

    Examples
    --------
    >>> import random
    >>> from .district import build_district
    >>> from .grammar import load_catalog
    >>> district = build_district(random.Random(0), n_grids=300)
    >>> plan = build_weekly_plan(district, load_catalog(), 200_000, dt.date(2026, 11, 15), 104, seed=0)
    >>> plan.week(5).shape, bool((plan.week(5) == plan.week(5)).all())
    ((3, 300, 32), True)
    """

    week_starts: tuple[dt.date, ...]
    planted: tuple[Planted, ...]
    projects: tuple[PlannedProject, ...]
    seed: int
    source_rate: np.ndarray  # (source, problem)
    grid_rate: np.ndarray  # (grid, problem)
    season: np.ndarray  # (problem, week)
    #: per project: the indices of its community's grids and its problem's index
    project_cells: tuple[tuple[np.ndarray, int], ...] = ()

    def rate(self, w: int) -> np.ndarray:
        """Expected counts of week ``w``: (source, grid, problem)."""
        return self.source_rate[:, None, :] * self.grid_rate[None, :, :] * self.season[None, None, :, w]

    def expected(self) -> np.ndarray:
        """Expected background counts per source and week: (source, week)."""
        return np.einsum("sp,gp,pw->sw", self.source_rate, self.grid_rate, self.season)

    def week(self, w: int) -> np.ndarray:
        """Counts of week ``w``: (source, grid, problem), the same on every call."""
        rate = self.rate(w)
        counts = np.random.default_rng([self.seed, w, 1]).poisson(rate)
        for k, (project, (grids, j)) in enumerate(zip(self.projects, self.project_cells, strict=True)):
            first = project.start - PROJECT_WEEKS_BEFORE_END
            if w < first:
                continue
            thin = np.random.default_rng([self.seed, w, 2, k])
            cells, cell_rate = counts[:, grids, j], np.maximum(rate[:, grids, j], 0.0)
            weekly = cell_rate.sum()
            cells = cells + thin.poisson(np.maximum(PROJECT_DEMAND - weekly, 0.0) * cell_rate / max(weekly, 1e-9))
            if project.effect and w >= project.start:
                cells = thin.binomial(cells, 1.0 - project.effect)
            counts[:, grids, j] = cells
        return counts

    def counts(self, first: int, stop: int) -> np.ndarray:
        """Background counts of weeks ``first`` to ``stop`` (excluded): (source, grid, problem, week)."""
        return np.stack([self.week(w) for w in range(first, stop)], axis=-1)


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


def _factors(district: District, catalog: Catalog, rng: np.random.Generator, mondays: tuple[dt.date, ...]):
    """The rate's factors: grid weight, grid × problem affinity, problem × week season, source × problem weight."""
    grids, problems = district.grids, catalog.problems
    grid_weight = np.array([g.weight for g in grids])
    affinity = np.array([[ERA_AFFINITY[g.era].get(p.key, 1.0) for p in problems] for g in grids]) * rng.lognormal(
        0.0, 0.35, size=(len(grids), len(problems))
    )
    season = np.array([[season_factor(p.season, m) * holiday_factor(m) for m in mondays] for p in problems])
    source_weight = np.array([[p.weight * p.sources.get(s, 0.0) for p in problems] for s in SOURCES])
    source_weight /= source_weight.sum(axis=1, keepdims=True)
    return grid_weight, affinity, season, source_weight


def build_plan(district: District, catalog: Catalog, n_records: int, end: dt.date, weeks: int, seed: int) -> Plan:
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed * 7919 + 1)
    mondays = week_starts(end, weeks)
    problems = catalog.problems
    planted = _plant_events(district, catalog, rnd, weeks)
    n_planted = sum(sum(p.counts) for p in planted)
    n_background = max(n_records - n_planted, 0)

    grid_weight, affinity, season, source_weight = _factors(district, catalog, rng, mondays)
    rate = (
        source_weight[:, None, :, None] * (grid_weight[:, None] * affinity)[None, :, :, None] * season[None, None, :, :]
    )
    rate *= (SOURCE_SHARE * n_background / rate.sum(axis=(1, 2, 3)))[:, None, None, None]
    background = rng.poisson(rate)
    projects = _plant_projects(district, problems, background, rate, seed) if n_records >= PROJECT_MIN_RECORDS else ()
    return Plan(week_starts=mondays, background=background, planted=tuple(planted), projects=projects)


def build_weekly_plan(
    district: District, catalog: Catalog, n_records: int, end: dt.date, weeks: int, seed: int
) -> WeeklyPlan:
    """The plan of :func:`build_plan` with the background left to be drawn a week at a time."""
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed * 7919 + 1)
    mondays = week_starts(end, weeks)
    planted = _plant_events(district, catalog, rnd, weeks)
    n_background = max(n_records - sum(sum(p.counts) for p in planted), 0)
    grid_weight, affinity, season, source_weight = _factors(district, catalog, rng, mondays)
    grid_rate = grid_weight[:, None] * affinity
    total = (source_weight * grid_rate.sum(axis=0)[None, :] * season.sum(axis=1)[None, :]).sum(axis=1)
    source_rate = source_weight * (SOURCE_SHARE * n_background / total)[:, None]
    projects: tuple[PlannedProject, ...] = ()
    cells: tuple[tuple[np.ndarray, int], ...] = ()
    start = weeks - PROJECT_WEEKS_BEFORE_END
    if n_records >= PROJECT_MIN_RECORDS and weeks >= 2 * PROJECT_WEEKS_BEFORE_END:
        window = season[:, start - PROJECT_WEEKS_BEFORE_END : start].sum(axis=1)
        before = grid_rate * (source_rate.sum(axis=0) * window)[None, :]  # grid × problem
        in_community = _communities(district)
        chosen = _choose_projects(in_community, catalog.problems, before)
        projects = tuple(
            PlannedProject(
                f"P{k + 1}",
                district.grids[in_community[community][0]].street,
                community,
                catalog.problems[j].key,
                start,
                effect,
            )
            for k, ((community, j), effect) in enumerate(zip(chosen, PROJECT_EFFECTS, strict=False))
        )
        cells = tuple((np.array(in_community[community]), j) for community, j in chosen)
    return WeeklyPlan(mondays, tuple(planted), projects, seed, source_rate, grid_rate, season, cells)


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
    in_community = _communities(district)
    # chosen by the expected rate, not the counts drawn: choosing the busiest counts of the weeks before the
    # start would pick cells that happened to run high, which fall back after it (regression to the mean)
    before = rates[:, :, :, start - PROJECT_WEEKS_BEFORE_END : start].sum(axis=(0, 3))  # grid × problem
    chosen = _choose_projects(in_community, problems, before)
    thin = np.random.default_rng(seed + 1_000_003)
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


def _communities(district: District) -> dict[str, list[int]]:
    """The indices of each community's grids, communities in name order."""
    in_community: dict[str, list[int]] = {c: [] for c in sorted({g.community for g in district.grids})}
    for i, g in enumerate(district.grids):
        in_community[g.community].append(i)
    return in_community


def _choose_projects(in_community: dict[str, list[int]], problems, before: np.ndarray) -> list[tuple[str, int]]:
    """(community, problem index) of the projects: the busiest year-round problems of distinct communities by
    the expected records (grid × problem ``before``) of the weeks before the start, one project per problem."""
    year_round = [j for j, p in enumerate(problems) if p.season == "all"]
    volume = sorted(
        ((float(before[grids][:, j].sum()), c, j) for c, grids in in_community.items() for j in year_round),
        reverse=True,
    )
    chosen: list[tuple[str, int]] = []
    used: set[str] = set()
    for _n, community, j in volume:
        if community in used or any(j == k for _, k in chosen):
            continue
        chosen.append((community, j))
        used.add(community)
        if len(chosen) == len(PROJECT_EFFECTS):
            break
    return chosen


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
