"""Signals: trends, early warnings (未诉先办), repeats, hot issues and closed-loop KPIs.

The counting signals — trends and KPIs — are SQL marts (``sql/mart_grid_theme_week.sql``,
``sql/mart_area_category_month.sql``, ``sql/mart_kpi.sql``). The statistical ones are pure
functions over polars frames, run by :meth:`demandlab.Pipeline.signals` and written to the
``mart_alerts``, ``mart_repeats`` and ``mart_hot_issues`` tables:

* :mod:`.places` — the compound, shop, school or road a record is about;
* :mod:`.alerts` — surges (gamma–Poisson with false-discovery control), 多人同诉, 一人多诉;
* :mod:`.repeats` — near-duplicate records grouped under a ``repeat_group_id``;
* :mod:`.hot` — hot issues (place × theme) ranked by a documented heat index.

Analysts read the results with :mod:`demandlab.marts` (``dl.marts.alerts(store)`` …) and draw
them with :mod:`demandlab.charts`.
"""

from .alerts import (
    ALERT_COLUMNS,
    ALERT_KINDS_ZH,
    SurgeModel,
    benjamini_hochberg,
    crowd_alerts,
    repeat_caller_alerts,
    score_surges,
    surge_alerts,
)
from .hot import HOT_COLUMNS, heat_index, hot_issues
from .places import KIND_LABELS_ZH, KINDS, PLACES_VERSION, Place, PlaceFinder, find_places, unify_keys
from .repeats import REPEAT_COLUMNS, find_repeats, update_repeats

__all__ = [
    "ALERT_COLUMNS",
    "ALERT_KINDS_ZH",
    "HOT_COLUMNS",
    "KINDS",
    "KIND_LABELS_ZH",
    "PLACES_VERSION",
    "REPEAT_COLUMNS",
    "Place",
    "PlaceFinder",
    "SurgeModel",
    "benjamini_hochberg",
    "crowd_alerts",
    "find_places",
    "find_repeats",
    "heat_index",
    "hot_issues",
    "repeat_caller_alerts",
    "score_surges",
    "surge_alerts",
    "unify_keys",
    "update_repeats",
]
