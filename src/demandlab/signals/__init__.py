"""Signals: trends, early warnings (未诉先办), repeats, hot issues and closed-loop KPIs.

The counting signals — trends and KPIs — are SQL marts (``sql/mart_grid_theme_week.sql``,
``sql/mart_area_category_month.sql``, ``sql/mart_kpi.sql``). The statistical ones are pure
functions over polars frames, run by :meth:`demandlab.Pipeline.signals` and written to the
``mart_alerts``, ``mart_repeats`` and ``mart_hot_issues`` tables:

* :mod:`.places` — the compound, shop, school or road a record is about;
* :mod:`.alerts` — surges and 一人多诉 (the rules of every alert); :mod:`.crowd` — 多人同诉;
* :mod:`.baseline` — the test surges and 多人同诉 share: a week against its series' own trailing weeks;
* :mod:`.repeats` — near-duplicate records grouped under a ``repeat_group_id``;
* :mod:`.people` — people counted one way: contact keys, else near-duplicate groups;
* :mod:`.matters` — one place's (or one theme's) records clustered into matters;
* :mod:`.hot` — hot issues (place × matter) ranked by a documented heat index;
* :mod:`.status` — whether each signal can be computed on these records, and why not.

Analysts read the results with :mod:`demandlab.marts` (``dl.marts.alerts(store)`` …) and draw
them with :mod:`demandlab.charts`.
"""

from .alerts import (
    ALERT_COLUMNS,
    ALERT_KINDS_ZH,
    SurgeModel,
    benjamini_hochberg,
    repeat_caller_alerts,
    score_surges,
    surge_alerts,
)
from .crowd import CrowdModel, crowd_alerts, crowd_counts
from .hot import HOT_COLUMNS, heat_index, hot_issues
from .matters import find_matters, matter_names
from .people import mostly_one_person, person_counts, with_people
from .places import KIND_LABELS_ZH, KINDS, PLACES_VERSION, Place, PlaceFinder, find_places, unify_keys
from .repeats import REPEAT_COLUMNS, find_repeats, update_repeats
from .stage import SIGNALS_VERSION, Signals, SignalsContext, compute_signals
from .status import SignalStatus, count_fields, signal_status

__all__ = [
    "ALERT_COLUMNS",
    "ALERT_KINDS_ZH",
    "HOT_COLUMNS",
    "KINDS",
    "KIND_LABELS_ZH",
    "PLACES_VERSION",
    "REPEAT_COLUMNS",
    "SIGNALS_VERSION",
    "CrowdModel",
    "Place",
    "PlaceFinder",
    "SignalStatus",
    "Signals",
    "SignalsContext",
    "SurgeModel",
    "benjamini_hochberg",
    "compute_signals",
    "count_fields",
    "crowd_alerts",
    "crowd_counts",
    "find_matters",
    "find_places",
    "find_repeats",
    "heat_index",
    "hot_issues",
    "matter_names",
    "mostly_one_person",
    "person_counts",
    "repeat_caller_alerts",
    "score_surges",
    "signal_status",
    "surge_alerts",
    "unify_keys",
    "update_repeats",
    "with_people",
]
