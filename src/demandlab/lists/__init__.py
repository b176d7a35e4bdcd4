"""The community's working lists under 双报到: 需求清单 (what residents need), built from the records.

>>> import demandlab as dl
>>> store = dl.connect("data/demo/demandlab.duckdb", read_only=True)   # doctest: +SKIP
>>> dl.lists.demand(store, community="翠竹社区").head()                  # doctest: +SKIP

资源清单 (what units offer: :mod:`.resources`, loaded by :mod:`.load`) and 项目清单 (:func:`match`: each demand
with the resources that fit it). The review of projects is planned (issue 18).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

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
            return demand_list(pl.DataFrame(schema={c: pl.String for c in RECORD_COLUMNS}), None, dt.date.today())
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


__all__ = ["COLUMNS", "Matching", "demand", "demand_list", "match", "match_demands"]
