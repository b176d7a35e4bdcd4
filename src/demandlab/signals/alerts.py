"""Early warnings (未诉先办): surges, many people on one matter (多人同诉), one person many times (一人多诉).

A fixed threshold means something only at one density: five people in a week at a compound of
200 households is news, at a compound of 5,000 it is an ordinary Tuesday. So surges and 多人同诉
ask the same question of their own series — *is this week improbably high for this grid (this
place), given its own recent weeks?* — and control false discoveries across all series of the
week, so that false alarms per thousand grid-weeks do not grow with density. The test is
:mod:`.baseline`'s:

* the series' weekly rate has a gamma prior centred on the theme's district rate per grid (per
  place) over the same trailing weeks, worth as many weeks of data as the grids' rates are alike
  (at most ``prior_weeks``), updated with the series' own counts over the ``window`` weeks before
  (weeks that were themselves alerted count at their expected value, so a run of alerts does not
  raise its own baseline); a series with little history is judged against the district, one with
  a long history against itself, and a busy grid is not pulled down to the district's average;
* the expectation is scaled by the theme's district-wide movement this week on the *other* grids
  (places), however large: heating in the first cold week rises a hundredfold everywhere, that is
  season, not local;
* counts vary more than Poisson around a steady rate, and the surplus grows with the rate: each
  theme's dispersion φ (variance μ + φμ²) is estimated every week from its own series' trailing
  weeks, and the predictive is a negative binomial whose variance grows as μ²; a busy grid's
  ordinary ups and downs are not improbable;
* the p-value is the predictive's upper tail; across every series looked at that week (a count
  in the window or the week; those not tested have p = 1) Benjamini–Hochberg gives q-values, and
  a tested series is an alert when q ≤ ``fdr``.

**Surges (激增).** Series: grid × theme, counting records (``mart_grid_theme_week``; a week without
records counts 0). Tested when the week has at least ``min_count`` records and the grid has
``min_history`` weeks of data before. A surge whose records come mostly from one person
(:func:`.people.mostly_one_person`) is not a surge: it is that person's 一人多诉, raised as such.

**多人同诉 (crowd)** (:mod:`.crowd`). Series: place (a compound, school, market … found by
:mod:`.places`) × theme, counting distinct people. The window is the ``days`` days ending with the
week; its people are tested against the place's own people per week in the ``window`` weeks
before it (weeks the window overlaps left out), scaled to ``days`` days, with the theme's rate
per place as the prior; tested when at least ``min_people`` people (the floor, ``crowd_min_contacts``)
raised it and not mostly one person, with ``min_history`` weeks of data before; BH at the crowd's
own ``fdr`` across the week's places. A place that always has a dozen people on property fees is
no crowd at twelve; a quiet lane with six in a week is.

**一人多诉 (repeat caller).** One person with at least ``min_records`` records in one category,
successive records no more than ``gap_days`` days apart. The category, not the theme, is the
matter here: one caller describes one leak in words that fall into several leak themes (渗水 ·
天花板, 防水层 · 漏水 …), and the category holds them together. The alert is raised in the week the
threshold is reached and carries every record of the episode. It counts one person, so it does
not grow with density and stays a fixed rule.

People are counted one way for every kind (:mod:`.people`): distinct contacts where records have
them, else near-duplicate groups; each alert names its evidence (``people_basis``). Every alert
carries its evidence: counts, baseline, expectation, probability, the records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from ..labels import ALERT_KINDS_ZH  # re-exported: the labels live in demandlab.labels
from .baseline import TEST_COLUMNS, Baseline, benjamini_hochberg, weekly_tests
from .people import BASIS_ZH, mostly_one_person, person_counts, with_people

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
    """Parameters of the surge test (see the module docstring and :mod:`.baseline`)."""

    window: int = 12
    prior_weeks: float = 4.0
    min_count: int = 3
    min_history: int = 4
    fdr: float = 0.01
    seasonal_shrink: float = 5.0
    dispersion_prior: float = 20.0
    overdispersion: bool = True

    def baseline(self) -> Baseline:
        return Baseline(
            window=self.window,
            prior_weeks=self.prior_weeks,
            min_history=self.min_history,
            floor=max(self.min_count, 1),
            fdr=self.fdr,
            seasonal_shrink=self.seasonal_shrink,
            dispersion_prior=self.dispersion_prior,
            overdispersion=self.overdispersion,
        )


def mondays(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every week start from ``first`` to ``last`` (both Mondays), in order."""
    return [first + timedelta(weeks=k) for k in range((last - first).days // 7 + 1)] if last >= first else []


def score_surges(
    cells: pl.DataFrame,
    model: SurgeModel = SurgeModel(),
    history: pl.DataFrame | None = None,
    start: dt.date | None = None,
    families: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Test every grid × theme × week cell with records; returns those cells with the test's figures.

    ``cells``: grid_id, theme_id, week_start, n — sparse (a missing cell is 0; zero rows are dropped).
    The weeks tested run from the first week of ``cells`` (after ``history``'s last, when given) to
    its last. ``history``: the scores of the ``window`` weeks before (grid_id, theme_id, week_start,
    n, expected, is_alert, as :func:`score_surges` returned them), so that a run over the recent weeks
    gives what a run over everything gives. ``start``: the first week of the data (default: the
    first in ``cells`` and ``history``). ``families``: grid_id, family (its street), what the tests
    are corrected for multiple testing within (None: the district). Adds ``baseline`` (mean of the
    cleaned trailing window), ``expected`` (the predictive mean after the district's movement),
    ``dispersion`` (the theme's φ), ``p_value``, ``q_value``, ``tested`` and ``is_alert``.
    """
    series = ["grid_id", "theme_id"]
    rows = cells.filter(pl.col("n") > 0).select(*series, "week_start", pl.col("n").alias("y"))
    past = None
    if history is not None and history.height:
        past = history.select(
            *series,
            "week_start",
            clean=pl.when(pl.col("is_alert")).then(pl.min_horizontal("n", "expected")).otherwise(pl.col("n")),
        )
        rows = rows.filter(pl.col("week_start") > past["week_start"].max())
    if rows.is_empty():
        return _scored(rows.rename({"y": "n"}).with_columns(**_untested()))
    first, last = rows["week_start"].min(), rows["week_start"].max()
    if start is None:
        start = min(first, past["week_start"].min()) if past is not None else first
    weeks = mondays(first, last)
    scored = weekly_tests(rows, series, "grid_id", "theme_id", weeks, start, model.baseline(), past, families)
    return _scored(scored.rename({"y": "n"}))


def _untested() -> dict[str, pl.Expr]:
    return {
        "baseline": pl.lit(None, pl.Float64),
        "expected": pl.lit(None, pl.Float64),
        "dispersion": pl.lit(None, pl.Float64),
        "p_value": pl.lit(1.0),
        "q_value": pl.lit(1.0),
        "tested": pl.lit(False),
        "is_alert": pl.lit(False),
    }


def _scored(frame: pl.DataFrame) -> pl.DataFrame:
    columns = ["grid_id", "theme_id", "week_start", "n", *TEST_COLUMNS]
    return frame.select(columns).with_columns(pl.col("n").cast(pl.Int64)).sort("week_start", "grid_id", "theme_id")


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` as :data:`ALERT_COLUMNS`, in order: a column a kind does not have is a typed null."""
    return frame.select(
        [(pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c) for c, t in ALERT_COLUMNS.items()]
    )


def _alert_id(prefix: str, *columns: str, week: str | None = None) -> pl.Expr:
    """A short stable id from the values that identify an alert (the same values give the same id);
    ``week``: an ISO week standing for the last of ``columns`` (the id the alert had or will have then)."""
    values = [pl.col(c).cast(pl.String) for c in columns] + ([pl.lit(week)] if week else [])
    parts = pl.concat_str(values, separator="\x1f")
    digest = parts.map_elements(lambda s: hashlib.blake2b(s.encode(), digest_size=6).hexdigest(), pl.String)
    return (prefix + digest).alias("alert_id")


def _weeks_running(
    frame: pl.DataFrame, keys: list[str], prefix: str, previous: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Number each alerted week within its run of consecutive weeks for the same ``keys`` (1 = new).

    ``previous``: alert_id and weeks_running of the alerts of the week before ``frame``'s first week
    (stored earlier): a run that goes on from there goes on counting.
    """
    run = (pl.col("week_start").diff() != timedelta(days=7)).fill_null(True).cum_sum()
    out = (
        frame.sort(*keys, "week_start")
        .with_columns(run=run.over(keys))
        .with_columns(
            weeks_running=pl.int_range(1, pl.len() + 1).over(*keys, "run"),
            run_start=pl.col("week_start").min().over(*keys, "run"),
        )
    )
    if previous is not None and previous.height and out.height:
        first = out["week_start"].min()
        before = (first - timedelta(weeks=1)).strftime("%G-W%V")
        carried = previous.select("alert_id", carried=pl.col("weeks_running"))
        out = (
            out.with_columns(_alert_id(prefix, *keys, week=before).alias("_before"))
            .join(carried, left_on="_before", right_on="alert_id", how="left", maintain_order="left")
            .with_columns(
                carried=pl.when(pl.col("run_start") == first).then(pl.col("carried")).otherwise(None).fill_null(0)
            )
            .with_columns(carried=pl.col("carried").max().over(*keys, "run"))
            .with_columns(weeks_running=pl.col("weeks_running") + pl.col("carried"))
            .drop("_before", "carried")
        )
    return out.drop("run", "run_start")


def surge_alerts(
    records: pl.DataFrame,
    cells: pl.DataFrame | None = None,
    model: SurgeModel = SurgeModel(),
    scored: pl.DataFrame | None = None,
    previous: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Alerts of kind ``surge``: the cells :func:`score_surges` flags, with their records.

    ``records``: source, record_id, grid_id, theme_id, theme_label, category, week_start, created_at,
    street, community, contact_key (``mart_records``): at least those of the flagged cells.
    ``scored``: the result of :func:`score_surges` (else it is computed from ``cells``).
    ``previous``: alert_id, weeks_running of the surge alerts of the week before the first scored
    week, so that a run of alerts goes on counting (:func:`_weeks_running`).
    """
    scored = (scored if scored is not None else score_surges(cells, model)).filter("is_alert")
    if scored.is_empty():
        return pl.DataFrame(schema=ALERT_COLUMNS)
    cell = ["grid_id", "theme_id", "week_start"]
    inside = with_people(records.filter(pl.col("grid_id").is_not_null())).join(scored.select(cell), on=cell, how="semi")
    behind = inside.group_by(cell).agg(
        records=pl.concat_str("source", pl.lit(":"), "record_id").sort(),
        n_contacts=pl.col("contact_key").drop_nulls().n_unique(),
        first_at=pl.col("created_at").min(),
        last_at=pl.col("created_at").max(),
        theme_label=pl.col("theme_label").min(),  # one per theme
        category=pl.col("category").min(),
        street=pl.col("street").drop_nulls().mode().sort().first(),
        community=pl.col("community").drop_nulls().mode().sort().first(),
    )
    out = (
        scored.join(behind, on=cell, how="left")
        .join(person_counts(inside, cell).drop("n_weighted"), on=cell, how="left")
        .with_columns(iso_week=pl.col("week_start").dt.strftime("%G-W%V"))
        # mostly one person: that person's 一人多诉, not a surge
        .filter(~mostly_one_person(pl.col("n"), pl.col("top_person_n").fill_null(0)))
    )
    if out.is_empty():
        return pl.DataFrame(schema=ALERT_COLUMNS)
    return _conform(
        _weeks_running(out, ["grid_id", "theme_id"], "S-", previous).with_columns(
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
    "mondays",
    "repeat_caller_alerts",
    "score_surges",
    "surge_alerts",
]
