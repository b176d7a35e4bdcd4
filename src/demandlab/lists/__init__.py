"""The community's working lists under 双报到: 需求清单 (what residents need), built from the records.

>>> import demandlab as dl
>>> store = dl.connect("data/demo/demandlab.duckdb", read_only=True)   # doctest: +SKIP
>>> dl.lists.demand(store, community="翠竹社区").head()                  # doctest: +SKIP

资源清单 (what units offer: :mod:`.resources`, loaded by :mod:`.load`), 项目清单 (:func:`match`: each demand
with the resources that fit it; the projects carried out: :mod:`.projects`, :func:`add_projects`) and the
review of each project (:func:`review`, :mod:`.effects`: its demand before and after, against comparable
communities).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from .. import clock
from ..store import Store
from .demand import COLUMNS, MIN_PEOPLE, MIN_WEEKS, RECORD_COLUMNS, WEEKS, demand_list
from .match import Matching, match_demands


def demand(
    store: Store,
    *,
    community: str | None = None,
    street: str | None = None,
    level: str = "community",
    weeks: int = WEEKS,
    as_of: dt.date | None = None,
    min_people: int = MIN_PEOPLE,
    min_weeks: int = MIN_WEEKS,
) -> pl.DataFrame:
    """需求清单 of every community (or of ``community`` / ``street``): :func:`.demand.demand_list` over the
    ``weeks`` weeks ending with the latest week (or ``as_of``'s). ``level="grid"``: per grid."""
    from ..marts import read

    if as_of is None:
        as_of = read.latest_week_start(store)
        if as_of is None:
            return demand_list(pl.DataFrame(schema={c: pl.String for c in RECORD_COLUMNS}), None, clock.today())
    first = as_of - dt.timedelta(days=as_of.weekday(), weeks=weeks - 1)
    where, params = ["week_start >= ?", "week_start <= ?"], [first, as_of]
    for column, value in (("community", community), ("street", street)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    records = store.sql(f"select {', '.join(RECORD_COLUMNS)} from mart_records where {' and '.join(where)}", params)
    repeats = read.repeats(store) if "mart_repeats" in store.tables() else None
    return demand_list(records, repeats, as_of, level=level, weeks=weeks, min_people=min_people, min_weeks=min_weeks)


def match(store: Store, *, weeks: int = WEEKS, as_of: dt.date | None = None, **options) -> Matching:
    """项目清单: the district's 需求清单 matched with the ``resources`` table (:mod:`.match`). ``options``:
    ``threshold``, ``per_demand``."""
    from ..text import segment

    demands = demand(store, weeks=weeks, as_of=as_of)
    offered = store.sql("select * from resources order by community, resource_id")
    keywords = dict(store.sql("select theme_id, keywords from themes where theme_id >= 0").iter_rows())
    return match_demands(demands, offered, keywords, segment, **options)


def add_projects(store: Store, projects: pl.DataFrame) -> int:
    """Record projects carried out (``name``, ``community``, ``theme_ids``, ``start_date``, optional ``end_date``
    and ``resource_ids``) in ``projects``; a project of the same name, community and start replaces its row."""
    from .projects import SCHEMA, project_id

    registry = dict(store.sql("select distinct community, street from grids").iter_rows())
    frame = projects.with_columns(
        pl.struct("name", "community", "start_date")
        .map_elements(lambda r: project_id(r["name"], r["community"], r["start_date"]), return_dtype=pl.String)
        .alias("project_id"),
        pl.col("community").replace_strict(registry, default=None, return_dtype=pl.String).alias("street"),
        *(pl.lit(None, SCHEMA[c]).alias(c) for c in ("end_date", "resource_ids") if c not in projects.columns),
    ).select(list(SCHEMA))
    stamped = frame.cast(SCHEMA).with_columns(
        pl.lit(None, pl.String).alias("batch_id"), pl.lit(None, pl.Datetime("us")).alias("loaded_at")
    )
    with store.transaction() as con:
        Store.replace_keys(con, "projects", stamped, ["project_id"])
    return frame.height


def review(store: Store, *, as_of: dt.date | None = None) -> pl.DataFrame:
    """双向评议 with numbers: each project's demand (its themes in its community, week by week) before and after
    its start against the same themes in the communities without a project on them (:mod:`.effects`)."""
    from ..marts import read
    from .effects import POST_WEEKS, PRE_WEEKS, did

    as_of = as_of or read.latest_week_start(store)
    projects = store.sql("select * from projects order by start_date, community, project_id")
    if projects.height == 0 or as_of is None:
        return pl.DataFrame(schema=REVIEW_SCHEMA)
    counts = store.sql("select community, theme_id, week_start, count(*) as n from mart_records group by all")
    communities = sorted(set(store.sql("select distinct community from grids where community is not null")["community"])
                         | set(counts["community"].drop_nulls()))  # fmt: skip
    labels = dict(store.sql("select theme_id, label from themes").iter_rows())
    rows = []
    for project in projects.iter_rows(named=True):
        themes = project["theme_ids"]
        start = project["start_date"] - dt.timedelta(days=project["start_date"].weekday())
        last = min(d for d in (project["end_date"], as_of, start + dt.timedelta(weeks=POST_WEEKS - 1)) if d)
        last -= dt.timedelta(days=last.weekday())
        weeks = [start + dt.timedelta(weeks=k) for k in range(-PRE_WEEKS, (last - start).days // 7 + 1)]
        busy = set(projects.filter(pl.col("theme_ids").list.set_intersection(themes).list.len() > 0)["community"])
        others = [c for c in communities if c not in busy]
        relevant = counts.filter(pl.col("theme_id").is_in(themes) & pl.col("week_start").is_in(weeks))
        per = {(c, w): n for c, w, n in relevant.group_by("community", "week_start").agg(pl.col("n").sum()).iter_rows()}
        treated = [per.get((project["community"], w), 0) for w in weeks]
        comparison = [sum(per.get((c, w), 0) for c in others) / len(others) if others else 0.0 for w in weeks]
        result = did(treated, comparison, PRE_WEEKS)
        rows.append({
            "project_id": project["project_id"], "name": project["name"], "street": project["street"],
            "community": project["community"], "themes": "、".join(str(labels.get(t, t)) for t in themes),
            "start_date": project["start_date"], "end_date": project["end_date"], "comparison_communities": len(others),
            **result,
        })  # fmt: skip
    return pl.DataFrame(rows, schema=REVIEW_SCHEMA)


REVIEW_SCHEMA = {
    "project_id": pl.String, "name": pl.String, "street": pl.String, "community": pl.String, "themes": pl.String,
    "start_date": pl.Date, "end_date": pl.Date, "comparison_communities": pl.Int64, "weeks_before": pl.Int64,
    "weeks_after": pl.Int64, "records_before": pl.Int64, "records_after": pl.Int64, "effect": pl.Float64,
    "low": pl.Float64, "high": pl.Float64, "relative": pl.Float64, "verdict": pl.String,
}  # fmt: skip


__all__ = ["COLUMNS", "Matching", "add_projects", "demand", "demand_list", "match", "match_demands", "review"]
