"""The marts: built from the SQL models (:mod:`.build`), read as polars frames (:mod:`.read`,
``dl.marts.*``), and queried over one street, community or grid (:mod:`.scope`).

>>> import demandlab as dl
>>> store = dl.connect("data/demo/demandlab.duckdb", read_only=True)  # doctest: +SKIP
>>> dl.marts.grid_week(store, grid_id="DH0101").tail(3)               # doctest: +SKIP
"""

from .read import (
    FOCUS_LEVELS,
    KPI_LEVELS,
    PROACTIVE_LEVELS,
    alerts,
    area_category_month,
    compute_hot_issues,
    focus,
    grid_theme_week,
    grid_week,
    hot_issues,
    kpi,
    proactive,
    records,
    rejects,
    repeats,
    signal_records,
    theme_week,
    themes,
    week_summary,
    weeks,
)
from .scope import Scope, scoped

__all__ = [
    "FOCUS_LEVELS",
    "KPI_LEVELS",
    "PROACTIVE_LEVELS",
    "Scope",
    "alerts",
    "area_category_month",
    "compute_hot_issues",
    "focus",
    "grid_theme_week",
    "grid_week",
    "hot_issues",
    "kpi",
    "proactive",
    "records",
    "rejects",
    "repeats",
    "scoped",
    "signal_records",
    "theme_week",
    "themes",
    "week_summary",
    "weeks",
]
