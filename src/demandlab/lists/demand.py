"""需求清单: per community (or grid) the recurring demands worth a project, with the evidence and a priority.

Under 双报到 each community keeps a demand list (需求清单) that reporting units and party members match
with what they can offer. :func:`demand_list` builds it from the records of a window (``weeks`` weeks
ending with the week of ``as_of``): one row per community × theme that recurs — raised by at least
``min_people`` people in at least ``min_weeks`` different weeks — with

=====================  ===========================================================================
``n``                  records of the theme in the community in the window
``n_people``           people who raised it (:mod:`demandlab.signals.people`: contact, else
                       near-duplicate group, else the record), and ``people_basis``
``weeks_active``       weeks of the window with at least one record
``recent`` / ``before``  records in the last four weeks / the four weeks before them; ``trend``
                       上升 when ``recent`` ≥ 1.5 × ``before`` + 1, 下降 when ``before`` ≥ 1.5 × ``recent``
                       + 1, else 持平
``unresolved_share``   (closed and not resolved + open past the due time) / (closed with 是否解决 known
                       + open past the due time); NULL when no record can tell (unknown, not 0)
``unsatisfied_share``  不满意 / answered follow-ups; NULL when none
``elderly_share``,     records tagged elderly / children (``records.focus``, 一老一小) / ``n``
``children_share``
``examples``           up to two masked texts, the closest to the theme first
``priority``           ln(1 + n_people) × weeks_active / weeks × (1 + unresolved + unsatisfied)
                       × (1 + share concerning the elderly or children) × √(clip((recent + 1) /
                       (before + 1), ½, 2)); an unknown share counts as 0
=====================  ===========================================================================

Rows come sorted by community, then priority. Themes not yet assigned (-1) are not demands.
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl

from ..signals.people import person_counts, with_people

#: A theme is a recurring demand of a community when so many people raised it in so many weeks.
MIN_PEOPLE, MIN_WEEKS = 2, 2
#: the window, in weeks ending with the as-of week
WEEKS = 12
#: the columns :func:`demand_list` returns, in order
COLUMNS = [
    "street", "community", "grid_id", "theme_id", "theme_label", "category", "n", "n_people", "people_basis",
    "weeks_active", "recent", "before", "trend", "unresolved_share", "unsatisfied_share", "elderly_share",
    "children_share", "priority", "examples",
]  # fmt: skip
#: records :func:`demand_list` reads (``mart_records`` columns)
RECORD_COLUMNS = [
    "source", "record_id", "street", "community", "grid_id", "theme_id", "theme_label", "category", "week_start",
    "status", "resolved", "satisfaction", "due_at", "contact_key", "focus", "text", "theme_score",
]  # fmt: skip


def demand_list(
    records: pl.DataFrame,
    repeats: pl.DataFrame | None,
    as_of: dt.date,
    *,
    level: str = "community",
    weeks: int = WEEKS,
    min_people: int = MIN_PEOPLE,
    min_weeks: int = MIN_WEEKS,
) -> pl.DataFrame:
    """The demand list of ``records`` (:data:`RECORD_COLUMNS`) over the ``weeks`` weeks ending with ``as_of``'s.

    ``level``: ``community`` (rows per community × theme) or ``grid`` (per grid × theme). ``repeats``:
    near-duplicate groups (``mart_repeats``) for counting people without a contact.
    """
    if level not in ("community", "grid"):
        raise ValueError(f"level must be 'community' or 'grid', got {level!r}")
    last = as_of - dt.timedelta(days=as_of.weekday())
    first = last - dt.timedelta(weeks=weeks - 1)
    split = last - dt.timedelta(weeks=3)  # the last four weeks start here
    window = records.filter(
        pl.col("week_start").is_between(first, last) & (pl.col("theme_id") >= 0) & pl.col("community").is_not_null()
    )
    keys = ["street", "community", *(["grid_id"] if level == "grid" else []), "theme_id"]
    if level == "grid":
        window = window.filter(pl.col("grid_id").is_not_null())
    if window.height == 0:
        return pl.DataFrame(schema=_schema())
    people = person_counts(with_people(window, repeats), keys).select(*keys, "n_people", "people_basis")
    past_due = (pl.col("status") != "closed").fill_null(True) & (pl.col("due_at").cast(pl.Date) < as_of).fill_null(
        False
    )
    closed_known = (pl.col("status") == "closed").fill_null(False) & pl.col("resolved").is_not_null()
    surveyed = pl.col("satisfaction").is_in(["satisfied", "basic", "dissatisfied"])
    grouped = window.group_by(keys).agg(
        pl.col("theme_label").first(),
        pl.col("category").first(),
        n=pl.len(),
        weeks_active=pl.col("week_start").n_unique(),
        recent=(pl.col("week_start") >= split).sum(),
        before=pl.col("week_start").is_between(split - dt.timedelta(weeks=4), split - dt.timedelta(days=1)).sum(),
        unresolved=((closed_known & ~pl.col("resolved").fill_null(True)) | past_due).sum(),
        unresolved_known=(closed_known | past_due).sum(),
        unsatisfied=(pl.col("satisfaction") == "dissatisfied").sum(),
        surveyed=surveyed.sum(),
        elderly=pl.col("focus").list.contains("elderly").sum(),
        children=pl.col("focus").list.contains("children").sum(),
        focused=(pl.col("focus").list.len() > 0).sum(),
        examples=pl.col("text")
        .sort_by(pl.col("theme_score").fill_null(0), descending=True)
        .drop_nulls()
        .unique(maintain_order=True)
        .head(2),
    )
    frame = grouped.join(people, on=keys).filter(
        (pl.col("n_people") >= min_people) & (pl.col("weeks_active") >= min_weeks)
    )
    frame = frame.with_columns(
        unresolved_share=pl.when(pl.col("unresolved_known") > 0).then(
            pl.col("unresolved") / pl.col("unresolved_known")
        ),
        unsatisfied_share=pl.when(pl.col("surveyed") > 0).then(pl.col("unsatisfied") / pl.col("surveyed")),
        elderly_share=pl.col("elderly") / pl.col("n"),
        children_share=pl.col("children") / pl.col("n"),
        trend=pl.when(pl.col("recent") >= 1.5 * pl.col("before") + 1)
        .then(pl.lit("上升"))
        .when(pl.col("before") >= 1.5 * pl.col("recent") + 1)
        .then(pl.lit("下降"))
        .otherwise(pl.lit("持平")),
    )
    growth = ((pl.col("recent") + 1) / (pl.col("before") + 1)).clip(0.5, 2.0).sqrt()
    priority = (
        (1 + pl.col("n_people").cast(pl.Float64)).log()
        * pl.col("weeks_active")
        / weeks
        * (1 + pl.col("unresolved_share").fill_null(0) + pl.col("unsatisfied_share").fill_null(0))
        * (1 + pl.col("focused") / pl.col("n"))
        * growth
    )
    if level != "grid":
        frame = frame.with_columns(pl.lit(None, pl.String).alias("grid_id"))
    return (
        frame.with_columns(priority=priority.round(3))
        .sort(["street", "community", "priority", "theme_id"], descending=[False, False, True, False], nulls_last=True)
        .select(COLUMNS)
        .cast({"recent": pl.Int64, "before": pl.Int64, "n": pl.Int64, "n_people": pl.Int64, "weeks_active": pl.Int64})
    )


def _schema() -> dict:
    return {
        "street": pl.String, "community": pl.String, "grid_id": pl.String, "theme_id": pl.Int32,
        "theme_label": pl.String, "category": pl.String, "n": pl.Int64, "n_people": pl.Int64,
        "people_basis": pl.String, "weeks_active": pl.Int64, "recent": pl.Int64, "before": pl.Int64,
        "trend": pl.String, "unresolved_share": pl.Float64, "unsatisfied_share": pl.Float64,
        "elderly_share": pl.Float64, "children_share": pl.Float64, "priority": pl.Float64,
        "examples": pl.List(pl.String),
    }  # fmt: skip


def priority_of(n_people: int, weeks_active: int, weeks: int, unresolved: float, unsatisfied: float,
                focused: float, recent: int, before: int) -> float:  # fmt: skip
    """The priority formula for one row, as the module text writes it (for the documentation and tests).

    >>> priority_of(9, 12, 12, 0.5, 0.0, 0.25, 3, 1)
    6.106
    """
    growth = math.sqrt(min(max((recent + 1) / (before + 1), 0.5), 2.0))
    value = math.log1p(n_people) * weeks_active / weeks * (1 + unresolved + unsatisfied) * (1 + focused) * growth
    return round(value, 3)
