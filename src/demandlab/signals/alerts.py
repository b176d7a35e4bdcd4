"""Early warnings (未诉先办): surges, many people on one matter (多人同诉), one person many times (一人多诉).

**Surges.** For every grid × theme × ISO week the question is: is this week's count improbably
high for this grid, given its own recent weeks? The model is gamma–Poisson (empirical Bayes):

* the grid's weekly rate λ for the theme has a gamma prior centred on the theme's district rate
  per grid over the same trailing window, worth ``prior_weeks`` weeks of data (so a grid with
  little history is judged against the district, one with a long history against itself);
* the prior is updated with the grid's own counts over the ``window`` weeks before (weeks that
  were themselves alerted count at their expected value, so a surge does not raise its own
  baseline and hide its later weeks);
* the expectation is scaled by the theme's district-wide movement this week, measured on the
  *other* grids (heating in the first cold week rises everywhere; that is season, not a local
  surge), shrunk towards 1 by ``seasonal_shrink`` records;
* the week's count is compared with the posterior predictive, a negative binomial; its upper tail
  probability is the cell's p-value. Cells below ``min_count`` records or with fewer than
  ``min_history`` weeks of history are not tested (p = 1).

Across all grid × theme cells of a week the p-values are controlled for false discoveries with
Benjamini–Hochberg at ``fdr``; a cell is an alert when its q-value is at most ``fdr``.

People are counted one way for every kind (:mod:`.people`): distinct contacts where records have
them, else near-duplicate groups; each alert names its evidence (``people_basis``).

A surge cell whose records come mostly from one person (:func:`.people.mostly_one_person`) is not
a surge: it is that person's 一人多诉, raised as such below.

**多人同诉 (crowd).** A place (a compound, school, market … found by :mod:`.places`) and theme
with at least ``min_contacts`` distinct people within ``days`` days ending in the week.

**一人多诉 (repeat caller).** One person with at least ``min_records`` records in one category,
successive records no more than ``gap_days`` days apart. The category, not the theme, is the
matter here: one caller describes one leak in words that fall into several leak themes (渗水 ·
天花板, 防水层 · 漏水 …), and the category holds them together. The alert is raised in the week the
threshold is reached and carries every record of the episode.

Every alert carries its evidence: counts, baseline, expectation, probability, the records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import polars as pl
from scipy.stats import nbinom

from ..labels import ALERT_KINDS_ZH  # re-exported: the labels live in demandlab.labels
from .people import BASIS_ZH, mostly_one_person, people_basis, person_counts, with_people

#: Columns of every alert frame (``mart_alerts``), whatever its kind.
ALERT_COLUMNS: dict[str, pl.DataType] = {
    "alert_id": pl.String(),
    "kind": pl.String(),
    "iso_week": pl.String(),
    "week_start": pl.Date(),
    "street": pl.String(),
    "community": pl.String(),
    "grid_id": pl.String(),
    "place": pl.String(),
    "theme_id": pl.Int64(),
    "theme_label": pl.String(),
    "category": pl.String(),
    "n": pl.Int64(),
    "n_contacts": pl.Int64(),
    "n_people": pl.Int64(),
    "people_basis": pl.String(),
    "baseline": pl.Float64(),
    "expected": pl.Float64(),
    "p_value": pl.Float64(),
    "q_value": pl.Float64(),
    "first_at": pl.Datetime("us"),
    "last_at": pl.Datetime("us"),
    "weeks_running": pl.Int64(),
    "records": pl.List(pl.String()),
    "evidence": pl.String(),
}


@dataclass(frozen=True)
class SurgeModel:
    """Parameters of the surge test (see the module docstring)."""

    window: int = 12
    prior_weeks: float = 4.0
    min_count: int = 3
    min_history: int = 4
    fdr: float = 0.01
    seasonal_shrink: float = 5.0


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """q-values (BH step-up adjusted p-values) of ``p``.

    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.5])).round(3).tolist()
    [0.04, 0.053, 0.053, 0.5]
    """
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def score_surges(cells: pl.DataFrame, model: SurgeModel = SurgeModel()) -> pl.DataFrame:
    """Score every grid × theme × week cell; returns the cells with the test's figures.

    ``cells``: grid_id, theme_id, week_start, n — dense over weeks (``mart_grid_theme_week``).
    Adds ``baseline`` (mean of the cleaned trailing window), ``expected`` (the predictive mean
    after the district's movement), ``p_value``, ``q_value``, ``tested`` and ``is_alert``.
    """
    cells = cells.select("grid_id", "theme_id", "week_start", "n").sort("grid_id", "theme_id", "week_start")
    weeks = cells["week_start"].unique().sort()
    series = cells.select("grid_id", "theme_id").unique(maintain_order=True)
    n_series, n_weeks = series.height, weeks.len()
    if n_series == 0:
        return cells.with_columns(
            baseline=pl.lit(None, pl.Float64),
            expected=pl.lit(None, pl.Float64),
            p_value=pl.lit(1.0),
            q_value=pl.lit(1.0),
            tested=pl.lit(False),
            is_alert=pl.lit(False),
        )
    # the reshape below needs the rows series by series, weeks in order: both joins keep the left order
    dense = (
        series.join(pl.DataFrame({"week_start": weeks}), how="cross", maintain_order="left_right")
        .join(cells, on=["grid_id", "theme_id", "week_start"], how="left", maintain_order="left")
        .with_columns(pl.col("n").fill_null(0))
    )
    y = dense["n"].to_numpy().reshape(n_series, n_weeks).astype(float)
    theme_codes, theme_index = np.unique(series["theme_id"].to_numpy(), return_inverse=True)
    n_grids = series["grid_id"].n_unique()
    clean = y.copy()
    baseline = np.full_like(y, np.nan)
    expected = np.full_like(y, np.nan)
    p_value = np.ones_like(y)
    tested = np.zeros_like(y, dtype=bool)
    alert = np.zeros_like(y, dtype=bool)
    for t in range(n_weeks):
        lo = max(0, t - model.window)
        w = t - lo
        if w == 0:
            continue
        hist = clean[:, lo:t].sum(axis=1)
        own_mean = hist / w
        # district prior: the theme's rate per grid-week over the same window
        theme_hist = np.bincount(theme_index, weights=hist, minlength=len(theme_codes))
        prior_mean = theme_hist[theme_index] / (w * n_grids)
        alpha = prior_mean * model.prior_weeks + hist
        beta = model.prior_weeks + w
        # district movement this week, on the other grids only
        now_theme = np.bincount(theme_index, weights=y[:, t], minlength=len(theme_codes))
        mean_theme = np.bincount(theme_index, weights=own_mean, minlength=len(theme_codes))
        others_now = now_theme[theme_index] - y[:, t]
        others_mean = mean_theme[theme_index] - own_mean
        factor = (others_now + model.seasonal_shrink) / (others_mean + model.seasonal_shrink)
        factor = np.clip(factor, 0.5, 10.0)
        mu = factor * alpha / beta
        baseline[:, t] = own_mean
        expected[:, t] = mu
        test = (y[:, t] >= model.min_count) & (w >= model.min_history) & (alpha > 0)
        # negative binomial predictive: r = alpha, p = beta / (beta + factor)
        prob = beta / (beta + factor)
        p = np.ones(n_series)
        p[test] = nbinom.sf(y[test, t] - 1, np.maximum(alpha[test], 1e-9), prob[test])
        p_value[:, t] = p
        tested[:, t] = test
        q = benjamini_hochberg(p)
        hit = test & (q <= model.fdr)
        alert[:, t] = hit
        clean[hit, t] = np.minimum(y[hit, t], mu[hit])
    q_all = np.vstack([benjamini_hochberg(p_value[:, t]) for t in range(n_weeks)]).T
    return dense.with_columns(
        pl.Series("baseline", baseline.ravel()),
        pl.Series("expected", expected.ravel()),
        pl.Series("p_value", p_value.ravel()),
        pl.Series("q_value", q_all.ravel()),
        pl.Series("tested", tested.ravel()),
        pl.Series("is_alert", alert.ravel()),
    )


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` as :data:`ALERT_COLUMNS`, in order: a column a kind does not have is a typed null."""
    return frame.select(
        [(pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c) for c, t in ALERT_COLUMNS.items()]
    )


def _alert_id(prefix: str, *columns: str) -> pl.Expr:
    """A short stable id from the values that identify an alert (the same values give the same id)."""
    parts = pl.concat_str([pl.col(c).cast(pl.String) for c in columns], separator="\x1f")
    digest = parts.map_elements(lambda s: hashlib.blake2b(s.encode(), digest_size=6).hexdigest(), pl.String)
    return (prefix + digest).alias("alert_id")


def _weeks_running(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Number each alerted week within its run of consecutive weeks for the same ``keys`` (1 = new)."""
    run = (pl.col("week_start").diff() != timedelta(days=7)).fill_null(True).cum_sum()
    return (
        frame.sort(*keys, "week_start")
        .with_columns(run=run.over(keys))
        .with_columns(weeks_running=pl.int_range(1, pl.len() + 1).over(*keys, "run"))
        .drop("run")
    )


def surge_alerts(
    records: pl.DataFrame, cells: pl.DataFrame, model: SurgeModel = SurgeModel(), scored: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Alerts of kind ``surge``: the cells :func:`score_surges` flags, with their records.

    ``records``: source, record_id, grid_id, theme_id, week_start, created_at (``mart_records``).
    ``cells`` also carries iso_week, theme_label, category; places come from ``records``.
    ``scored``: the result of :func:`score_surges` when the caller has it already.
    """
    scored = (scored if scored is not None else score_surges(cells, model)).filter("is_alert")
    if scored.is_empty():
        return pl.DataFrame(schema=ALERT_COLUMNS)
    info = cells.select("grid_id", "theme_id", "week_start", "iso_week", "theme_label", "category").unique(
        ["grid_id", "theme_id", "week_start"]
    )
    cell = ["grid_id", "theme_id", "week_start"]
    inside = with_people(records.filter(pl.col("grid_id").is_not_null())).join(scored.select(cell), on=cell, how="semi")
    behind = inside.group_by(cell).agg(
        records=pl.concat_str("source", pl.lit(":"), "record_id").sort(),
        n_contacts=pl.col("contact_key").drop_nulls().n_unique(),
        first_at=pl.col("created_at").min(),
        last_at=pl.col("created_at").max(),
        street=pl.col("street").drop_nulls().mode().sort().first(),
        community=pl.col("community").drop_nulls().mode().sort().first(),
    )
    out = (
        scored.join(info, on=cell, how="left")
        .join(behind, on=cell, how="left")
        .join(person_counts(inside, cell).drop("n_weighted"), on=cell, how="left")
        # mostly one person: that person's 一人多诉, not a surge
        .filter(~mostly_one_person(pl.col("n"), pl.col("top_person_n").fill_null(0)))
    )
    if out.is_empty():
        return pl.DataFrame(schema=ALERT_COLUMNS)
    return _conform(
        _weeks_running(out, ["grid_id", "theme_id"]).with_columns(
            _alert_id("S-", "grid_id", "theme_id", "iso_week"),
            kind=pl.lit("surge"),
            evidence=pl.format(
                "本周{}件（{}人，{}），近期周均{}件，预期{}件，p={}",
                "n",
                "n_people",
                _basis_zh("people_basis"),
                pl.col("baseline").round(1),
                pl.col("expected").round(1),
                pl.col("p_value").map_elements(lambda p: f"{p:.1e}", pl.String),
            ),
        )
    )


def _basis_zh(column: str) -> pl.Expr:
    return pl.col(column).replace_strict(BASIS_ZH, default="", return_dtype=pl.String)


def crowd_alerts(
    records: pl.DataFrame, min_contacts: int = 5, days: int = 7, last_week: dt.date | None = None
) -> pl.DataFrame:
    """Alerts of kind ``crowd`` (多人同诉): ≥ ``min_contacts`` distinct people on one theme at one place
    within ``days`` days ending in an ISO week.

    ``records``: source, record_id, created_at, week_start, iso_week, theme_id, theme_label,
    category, contact_key, place_key, place, grid_id, street, community, and ``person_key`` /
    ``person_basis`` (:func:`.people.with_people`; without them a record counts as its contact, else
    as its own person). A group mostly written by one person is not a crowd. ``last_week``: the last
    week with data (default: the latest in ``records``; pass it when ``records`` is a part of them).
    """
    cols = ["place_key", "theme_id"]
    base = with_people(records).filter(pl.col("place_key").is_not_null() & (pl.col("theme_id") >= 0))
    if base.is_empty():
        return pl.DataFrame(schema=ALERT_COLUMNS)
    # each record counts in the windows [end − days, end) that hold it, one per ISO week, ending at
    # the week's end: the ends between its time (exclusive) and its time + days (inclusive)
    last_week = last_week or records["week_start"].max()
    first_end = pl.col("created_at").dt.truncate("1w") + pl.duration(days=7)
    span = (pl.col("created_at") + pl.duration(days=days) - first_end).dt.total_seconds() / (7 * 86400)
    joined = (
        base.with_columns(first_end=first_end, k=pl.int_ranges(0, (span.floor() + 1).clip(0, None).cast(pl.Int64)))
        .explode("k")
        .drop_nulls("k")
        .with_columns(week_start=(pl.col("first_end") + pl.duration(weeks=pl.col("k") - 1)).dt.date())
        .filter(pl.col("week_start") <= last_week)
        .with_columns(iso_week=pl.col("week_start").dt.strftime("%G-W%V"))
    )
    grouped = (
        joined.group_by(*cols, "week_start", "iso_week")
        .agg(
            n=pl.len(),
            n_contacts=pl.col("contact_key").drop_nulls().n_unique(),
            n_people=pl.col("person_key").n_unique(),
            top_person_n=pl.col("person_key").value_counts().struct.field("count").max(),
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
        .filter((pl.col("n_people") >= min_contacts) & ~mostly_one_person(pl.col("n"), pl.col("top_person_n")))
    )
    if grouped.is_empty():
        return pl.DataFrame(schema=ALERT_COLUMNS)
    return _conform(
        _weeks_running(grouped, cols).with_columns(
            _alert_id("C-", "place_key", "theme_id", "iso_week"),
            kind=pl.lit("crowd"),
            evidence=pl.format(
                "{}天内{}人反映同一问题（{}），共{}件", pl.lit(days), "n_people", _basis_zh("people_basis"), "n"
            ),
        )
    )


def repeat_caller_alerts(records: pl.DataFrame, min_records: int = 3, gap_days: int = 180) -> pl.DataFrame:
    """Alerts of kind ``repeat_caller`` (一人多诉): one person (:mod:`.people`: a contact, else a group of
    near-duplicate records), one category, ≥ ``min_records`` records with no more than ``gap_days``
    days between successive ones. One alert per episode, in the week the episode's latest record
    falls; its id is stable as the episode grows (it names the first record).
    """
    # source and record id settle records raised in the same second: the first one names the alert
    base = (
        with_people(records)
        .filter(pl.col("category").is_not_null() & (pl.col("person_basis") != "record"))
        .rename({"contact_key": "_contact"})
        .rename({"person_key": "contact_key"})
        .sort("contact_key", "category", "created_at", "source", "record_id")
    )
    if base.is_empty():
        return pl.DataFrame(schema=ALERT_COLUMNS)
    keys = ["contact_key", "category"]
    # rows are sorted by contact, category and time: an episode starts at a new contact or category
    # or after a gap (one pass, no per-group window: a million records have ~10⁵ contacts)
    starts = (
        (pl.col("contact_key") != pl.col("contact_key").shift(1))
        | (pl.col("category") != pl.col("category").shift(1))
        | ((pl.col("created_at") - pl.col("created_at").shift(1)) > timedelta(days=gap_days))
    )
    base = base.with_columns(episode=starts.fill_null(True).cum_sum())
    base = base.filter(pl.len().over("episode") >= min_records)
    episodes = (
        base.group_by(*keys, "episode")
        .agg(
            n=pl.len(),
            records=pl.concat_str("source", pl.lit(":"), "record_id"),
            first_record=pl.concat_str(pl.col("source").first(), pl.lit(":"), pl.col("record_id").first()),
            first_at=pl.col("created_at").min(),
            last_at=pl.col("created_at").max(),
            basis=pl.col("person_basis").first(),
            week_start=pl.col("week_start").last(),
            iso_week=pl.col("iso_week").last(),
            weeks=pl.col("week_start").n_unique(),
            place=pl.col("place").drop_nulls().mode().sort().first(),
            theme_id=pl.col("theme_id").mode().sort().first(),
            theme_label=pl.col("theme_label").mode().sort().first(),
            grid_id=pl.col("grid_id").drop_nulls().mode().sort().first(),
            street=pl.col("street").drop_nulls().mode().sort().first(),
            community=pl.col("community").drop_nulls().mode().sort().first(),
        )
        .filter(pl.col("n") >= min_records)
    )
    if episodes.is_empty():
        return pl.DataFrame(schema=ALERT_COLUMNS)
    return _conform(
        episodes.sort("first_at", "first_record").with_columns(
            _alert_id("R-", "first_record"),
            kind=pl.lit("repeat_caller"),
            n_contacts=pl.when(pl.col("basis") == "contact").then(1).otherwise(0),
            n_people=pl.lit(1),
            people_basis=pl.col("basis"),
            weeks_running=pl.col("weeks"),
            evidence=pl.format(
                "{}{}件，{}至{}",
                pl.when(pl.col("basis") == "contact").then(pl.lit("同一来电人")).otherwise(pl.lit("近似重复的留言")),
                "n",
                pl.col("first_at").dt.strftime("%Y-%m-%d"),
                pl.col("last_at").dt.strftime("%Y-%m-%d"),
            ),
        )
    )


__all__ = [
    "ALERT_COLUMNS",
    "ALERT_KINDS_ZH",
    "SurgeModel",
    "benjamini_hochberg",
    "crowd_alerts",
    "repeat_caller_alerts",
    "score_surges",
    "surge_alerts",
]
