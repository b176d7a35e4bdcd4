"""多人同诉 (crowd): many people on one matter at one place, against the place's own trailing weeks.

The rule is written in :mod:`.alerts` (module docstring); the test is :mod:`.baseline`'s. Here:
:func:`crowd_counts`, the people behind each place × theme × week (a key stage: any split keeping
each place × theme together gives the same rows), and :func:`crowd_alerts`, which tests them all
week by week and gives the alerts with their records and evidence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from .alerts import ALERT_COLUMNS, _alert_id, _basis_zh, _conform, _weeks_running, mondays
from .baseline import Baseline, weekly_tests
from .people import mostly_one_person, people_basis, with_people


@dataclass(frozen=True)
class CrowdModel:
    """Parameters of the 多人同诉 test (see the module docstring and :mod:`.baseline`)."""

    min_people: int = 5
    days: int = 7
    window: int = 12
    prior_weeks: float = 4.0
    min_history: int = 4
    fdr: float = 0.01
    seasonal_shrink: float = 5.0
    dispersion_prior: float = 20.0
    relative: bool = True  # False: the floor alone (every window with min_people people is an alert)

    @property
    def gap(self) -> int:
        """Whole weeks a ``days``-day window reaches back before the week it ends in."""
        return max(0, -(-self.days // 7) - 1)

    def baseline(self) -> Baseline:
        return Baseline(
            window=self.window,
            gap=self.gap,
            prior_weeks=self.prior_weeks,
            min_history=self.min_history,
            floor=max(self.min_people, 1),
            fdr=self.fdr,
            seasonal_shrink=self.seasonal_shrink,
            dispersion_prior=self.dispersion_prior,
            scale=self.days / 7,
        )


def _windows(base: pl.DataFrame, days: int, first_week: dt.date, last_week: dt.date) -> pl.DataFrame:
    """Each record once for every ``days``-day window ending at a week's end (``week_start``: that week) that
    holds it, for the weeks ``first_week`` … ``last_week``."""
    # the windows [end − days, end) holding a record end between its time (exclusive) and its time + days
    first_end = pl.col("created_at").dt.truncate("1w") + pl.duration(days=7)
    span = (pl.col("created_at") + pl.duration(days=days) - first_end).dt.total_seconds() / (7 * 86400)
    return (
        base.with_columns(first_end=first_end, k=pl.int_ranges(0, (span.floor() + 1).clip(0, None).cast(pl.Int64)))
        .explode("k")
        .drop_nulls("k")
        .with_columns(week_start=(pl.col("first_end") + pl.duration(weeks=pl.col("k") - 1)).dt.date())
        .filter(pl.col("week_start").is_between(first_week, last_week))
        .drop("first_end", "k")
    )


def crowd_counts(
    records: pl.DataFrame,
    model: CrowdModel = CrowdModel(),
    first_week: dt.date | None = None,
    last_week: dt.date | None = None,
) -> pl.DataFrame:
    """The people behind 多人同诉, per place × theme × week: ``y`` the distinct people of the week (every week
    of ``records`` up to ``last_week``: the baselines), and from ``first_week`` on ``value`` the distinct
    people of the ``days``-day window ending that week, ``n`` its records, ``top_person_n`` the records of
    its busiest person and ``eligible`` (not mostly one person's). ``records`` as :func:`crowd_alerts`.
    Any split keeping each place × theme together gives the same rows (a key stage).
    """
    cols = ["place_key", "theme_id"]
    schema = {"place_key": pl.String, "theme_id": pl.Int64, "week_start": pl.Date, "y": pl.UInt32}
    schema |= {"value": pl.UInt32, "n": pl.UInt32, "top_person_n": pl.UInt32, "eligible": pl.Boolean}
    base = with_people(records).filter(pl.col("place_key").is_not_null() & (pl.col("theme_id") >= 0))
    if base.is_empty():
        return pl.DataFrame(schema=schema)
    last_week = last_week or base["week_start"].max()
    first_week = first_week or base["week_start"].min()
    windows = (  # each person's records in a window, then the window's (a value_counts per group took 10x as long)
        _windows(base.select(*cols, "created_at", "person_key"), model.days, first_week, last_week)
        .group_by(*cols, "week_start", "person_key")
        .agg(records=pl.len())
        .group_by(*cols, "week_start")
        .agg(n=pl.col("records").sum(), value=pl.len(), top_person_n=pl.col("records").max())
    )
    weekly = (
        base.filter(pl.col("week_start") <= last_week)
        .group_by(*cols, "week_start")
        .agg(y=pl.col("person_key").n_unique())
    )
    return (
        weekly.join(windows, on=[*cols, "week_start"], how="full", coalesce=True)
        .with_columns(pl.col("y", "value", "n", "top_person_n").fill_null(0))
        .with_columns(eligible=~mostly_one_person(pl.col("n"), pl.col("top_person_n")))
        .select(schema.keys())
        .cast(schema)
        .sort(*cols, "week_start")
    )


def crowd_alerts(
    records: pl.DataFrame,
    model: CrowdModel = CrowdModel(),
    last_week: dt.date | None = None,
    *,
    first_week: dt.date | None = None,
    start: dt.date | None = None,
    previous: pl.DataFrame | None = None,
    families: pl.DataFrame | None = None,
    counts: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Alerts of kind ``crowd`` (多人同诉): a place × theme whose distinct people within ``days`` days ending
    in an ISO week reach ``min_people`` and are improbably many against its own trailing weeks (see the
    module docstring; ``model.relative=False``: the floor alone).

    ``records``: source, record_id, created_at, week_start, theme_id, theme_label, category,
    contact_key, place_key, place, grid_id, street, community, and ``person_key`` / ``person_basis``
    (:func:`.people.with_people`; without them a record counts as its contact, else as its own
    person) — from the baseline's first week (``window`` + the window's own weeks before
    ``first_week``) to ``last_week``. ``first_week``: the first week whose windows are judged
    (default: the first in ``records``); ``last_week``: the last week with data (default: the latest
    in ``records``); ``start``: the first week of the data (default: the first in ``records``).
    ``previous``: alert_id, week_start, theme_id, expected, weeks_running of the crowd alerts stored for the
    weeks before ``first_week``, so that a run over the recent weeks gives what a run over everything
    gives (alerted weeks count at their expected value; runs go on counting). ``families``: place_key,
    family (the place's street), what the tests are corrected for multiple testing within (None: the
    district). ``counts``: :func:`crowd_counts` of ``records`` from ``first_week`` to ``last_week``, counted
    elsewhere (by place × theme: the key stage ``crowd``); None, counted here.
    """
    cols = ["place_key", "theme_id"]
    if records.is_empty():
        return pl.DataFrame(schema=ALERT_COLUMNS)
    last_week = last_week or records["week_start"].max()
    first_week = first_week or records["week_start"].min()
    start = start or records["week_start"].min()
    days = model.days
    counts = crowd_counts(records, model, first_week, last_week) if counts is None else counts
    rows = counts.filter(pl.col("week_start") >= first_week)
    if model.relative:
        history = _crowd_history(counts.filter(pl.col("week_start") < first_week), previous, days)
        weeks = mondays(first_week, last_week)
        tested = weekly_tests(rows, cols, "place_key", "theme_id", weeks, start, model.baseline(), history, families)
        hits = tested.filter("is_alert").with_columns(pl.col("baseline") * (days / 7))
    else:
        hits = rows.filter(pl.col("eligible") & (pl.col("value") >= model.min_people))
    if hits.is_empty():
        return pl.DataFrame(schema=ALERT_COLUMNS)
    base = with_people(records).join(hits.select(cols).unique(), on=cols, how="semi")
    details = (
        _windows(base, days, first_week, last_week)
        .join(hits.select(*cols, "week_start"), on=[*cols, "week_start"], how="semi")
        .group_by(*cols, "week_start")
        .agg(
            n_contacts=pl.col("contact_key").drop_nulls().n_unique(),
            people_basis=people_basis(pl.col("person_basis")),
            records=pl.concat_str("source", pl.lit(":"), "record_id").sort(),
            first_at=pl.col("created_at").min(),
            last_at=pl.col("created_at").max(),
            place=pl.col("place").mode().sort().first(),
            theme_label=pl.col("theme_label").min(),  # one per theme
            category=pl.col("category").min(),
            grid_id=pl.col("grid_id").mode().sort().first(),
            street=pl.col("street").mode().sort().first(),
            community=pl.col("community").mode().sort().first(),
        )
    )
    found = hits.join(details, on=[*cols, "week_start"], how="left").with_columns(
        n_people=pl.col("value"), iso_week=pl.col("week_start").dt.strftime("%G-W%V")
    )
    usual = (
        pl.format("，此处平时{}天约{}人，预期{}人，p={}", pl.lit(days), pl.col("baseline").round(1),
                  pl.col("expected").round(1), pl.col("p_value").map_elements(lambda p: f"{p:.1e}", pl.String))
        if model.relative
        else pl.lit("")
    )  # fmt: skip
    return _conform(
        _weeks_running(found, cols, "C-", previous).with_columns(
            _alert_id("C-", "place_key", "theme_id", "iso_week"),
            kind=pl.lit("crowd"),
            evidence=pl.format(
                "{}天内{}人反映同一问题（{}），共{}件{}",
                pl.lit(days),
                "n_people",
                _basis_zh("people_basis"),
                "n",
                usual,
            ),
        )
    )


def _crowd_history(weekly: pl.DataFrame, previous: pl.DataFrame | None, days: int) -> pl.DataFrame:
    """The weekly people of the baseline weeks, a week alerted before (``previous``) at its expected value."""
    history = weekly.with_columns(clean=pl.col("y").cast(pl.Float64))
    if previous is None or previous.is_empty() or history.is_empty():
        return history
    # ids only where an alert was (its theme and week): hashing every place × theme × week would cost more
    where = previous.select("theme_id", "week_start").unique()
    alerted = (
        history.join(where, on=["theme_id", "week_start"], how="semi")
        .with_columns(iso_week=pl.col("week_start").dt.strftime("%G-W%V"))
        .with_columns(_alert_id("C-", "place_key", "theme_id", "iso_week"))
    )
    weekly_expected = previous.select("alert_id", cap=pl.col("expected") / (days / 7))  # as weekly_tests cleans
    capped = alerted.join(weekly_expected, on="alert_id", how="inner").select(
        "place_key", "theme_id", "week_start", "cap"
    )
    return (
        history.join(capped, on=["place_key", "theme_id", "week_start"], how="left")
        .with_columns(clean=pl.min_horizontal("clean", pl.col("cap").fill_null(float("inf"))))
        .drop("cap")
    )


__all__ = ["CrowdModel", "crowd_alerts", "crowd_counts"]
