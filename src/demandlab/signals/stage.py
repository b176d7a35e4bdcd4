"""The signals stage: alerts, repeats, hot issues and every surge test, as pure functions of what they are given.

The runner (:meth:`demandlab.Pipeline.signals`) reads, calls these and writes, in one transaction;
nothing here opens a file or a connection. The work is cut so that it costs what the weeks to
compute cost, never what the database holds:

* **weeks** (:func:`week_blocks`): surges and 多人同诉 are computed for the weeks from the first
  changed week (every week on a full pass) to the last, a block of weeks at a time
  (:func:`weekly_signals`); a block reads only its weeks and its baselines' lookback
  (:func:`lookback`), and takes what earlier weeks decided (alerted weeks at their expected value,
  runs of alerts) from the signal marts as written, so a block gives what one pass over everything
  gives;
* **repeats** (:func:`repeat_groups`): the near-duplicate groups are brought up to date block by
  block from the groups found before (:func:`.repeats.update_repeats`);
* **一人多诉** (:func:`repeat_caller_stage`): only the people touched by changed records, with all
  their records (:func:`touched_people` says who);
* **hot issues** (:func:`hot_stage`): as of the end of the latest week, over ``hot_weeks``.

Each part is a stage of its own, declaring how it may be split (:mod:`demandlab.stages`): the
people counts behind 多人同诉 by place × theme (:func:`crowd_stage`), repeat callers by person,
repeats by block (theme × place or grid) with the theme model's fixed TF-IDF; the surge and crowd
tests (which compare each series with its theme across the district and control false
discoveries across the week) and hot issues need all series of a week (global).
:func:`compute_signals` runs everything at once over frames in memory (notebooks, tests).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import polars as pl

from ..config import SignalsConfig
from ..themes.assign import model_from_bytes
from .alerts import ALERT_COLUMNS, SurgeModel, mondays, repeat_caller_alerts, score_surges, surge_alerts
from .crowd import CrowdModel, crowd_alerts, crowd_counts
from .hot import TextReader, hot_issues, latest_week_end
from .people import with_people
from .repeats import REPEAT_COLUMNS, find_repeats, update_repeats

#: Columns of ``mart_surge_scores`` and their types.
SURGE_SCORE_COLUMNS: dict[str, pl.DataType] = {
    "grid_id": pl.String(),
    "theme_id": pl.Int32(),
    "week_start": pl.Date(),
    "n": pl.Int64(),
    "baseline": pl.Float64(),
    "expected": pl.Float64(),
    "p_value": pl.Float64(),
    "q_value": pl.Float64(),
    "is_alert": pl.Boolean(),
}

#: Bump when what the signals compute changes, so that the pipeline computes them all again.
# 2: people counted one way (contacts, else near-duplicate groups); hot issues per matter
# 3: a matter is never named by an organisation (房地产开发有限公司 → its theme)
# 4: surges and 多人同诉 against each series' own baseline with over-dispersion and false-discovery control;
#    only grid × theme weeks with records in mart_surge_scores
SIGNALS_VERSION = "5"

#: The marts the signals stage writes, in the order it writes them.
SIGNAL_MARTS_ORDER = ("mart_alerts", "mart_repeats", "mart_hot_issues", "mart_surge_scores")

#: Weeks computed together on a full pass: memory is that of a block and its lookback, not of the data.
BLOCK_WEEKS = 13
#: Records a block of weeks holds at most (its weeks × the busiest week's records), down to one week. At
#: 10 M records (107,000 a week) 13-week blocks and their lookback took the build's signals step to 9.27 GiB
#: (82577f5), 4-week blocks to 6.46 (bench/results/scale.json). A block's results do not depend on its size.
BLOCK_RECORDS = 500_000


@dataclass(frozen=True)
class SignalsContext:
    """The signals' settings, the theme model whose TF-IDF repeats compare with (bytes), ``since``: records
    changed from then on are looked at again (None: everything), ``start`` and ``last_week``: the first and
    the last week of the data (a baseline never reaches before the first; a window never ends after the last)."""

    config: SignalsConfig = field(default_factory=SignalsConfig)
    model: bytes | None = None
    since: dt.datetime | None = None
    last_week: dt.date | None = None
    start: dt.date | None = None
    block_weeks: int = BLOCK_WEEKS  # weeks per block (:func:`block_weeks`)

    def surge_model(self) -> SurgeModel:
        cfg = self.config
        return SurgeModel(window=cfg.surge_window, fdr=cfg.surge_fdr, min_count=cfg.surge_min_count)

    def crowd_model(self) -> CrowdModel:
        cfg = self.config
        return CrowdModel(
            min_people=cfg.crowd_min_contacts, days=cfg.crowd_days, window=cfg.crowd_baseline_weeks, fdr=cfg.crowd_fdr
        )

    def vectorize(self):
        """The model's fixed TF-IDF (documents → l2-normalised rows), or None to fit one on the records."""
        return None if self.model is None else model_from_bytes(self.model).tfidf

    def repeat_start(self) -> dt.datetime | None:
        return self.since - dt.timedelta(days=self.config.repeat_window_days) if self.since else None

    def first_week(self) -> dt.date | None:
        """The first week whose signals are computed: that of ``since``, else the first of the data."""
        if self.since is None:
            return self.start
        day = self.since.date()
        week = day - dt.timedelta(days=day.weekday())
        return max(week, self.start) if self.start else week


@dataclass
class Signals:
    alerts: pl.DataFrame  # mart_alerts
    repeats: pl.DataFrame  # mart_repeats
    hot: pl.DataFrame  # mart_hot_issues
    surge_scores: pl.DataFrame  # mart_surge_scores

    def as_marts(self) -> dict[str, pl.DataFrame]:
        return dict(zip(SIGNAL_MARTS_ORDER, (self.alerts, self.repeats, self.hot, self.surge_scores), strict=True))


@dataclass(frozen=True)
class Lookback:
    """How far before a block's first week each of its parts reads (see :func:`lookback`)."""

    surge_weeks: int  # mart_surge_scores weeks that are the surge baseline
    crowd_weeks: int  # weeks of records and of crowd alerts that are the crowd baseline (and its window)


def lookback(ctx: SignalsContext) -> Lookback:
    crowd = ctx.crowd_model()
    return Lookback(surge_weeks=ctx.config.surge_window, crowd_weeks=crowd.window + crowd.gap)


def block_weeks(busiest: int) -> int:
    """Weeks per block when the busiest week holds ``busiest`` records: :data:`BLOCK_WEEKS`, fewer in a dense
    district, so that a block holds at most :data:`BLOCK_RECORDS`, and at least one week.

    >>> block_weeks(10_700), block_weeks(107_000), block_weeks(900_000)
    (13, 4, 1)
    """
    return max(1, min(BLOCK_WEEKS, BLOCK_RECORDS // max(busiest, 1)))


def week_blocks(first: dt.date, last: dt.date, weeks: int = BLOCK_WEEKS) -> list[tuple[dt.date, dt.date]]:
    """The weeks ``first`` … ``last`` in blocks of at most ``weeks`` weeks, in order.

    >>> week_blocks(dt.date(2026, 1, 5), dt.date(2026, 2, 2), 2)  # doctest: +NORMALIZE_WHITESPACE
    [(datetime.date(2026, 1, 5), datetime.date(2026, 1, 12)), (datetime.date(2026, 1, 19), datetime.date(2026, 1, 26)),
     (datetime.date(2026, 2, 2), datetime.date(2026, 2, 2))]
    """
    days = mondays(first, last)
    return [(days[i], days[min(i + weeks, len(days)) - 1]) for i in range(0, len(days), weeks)]


@dataclass
class WeekInputs:
    """What :func:`weekly_signals` reads for the weeks ``first`` … ``last``.

    ``cells``: grid × theme × week counts of those weeks (``mart_grid_theme_week``, rows with records);
    ``records``: the records with a place from ``first`` − the crowd lookback to ``last`` (people keys
    set, :func:`.people.with_people`); ``cell_records``: the records of a set of cells, asked for by
    :func:`surge_cells_to_read`; ``surge_history``: ``mart_surge_scores`` of the surge lookback;
    ``crowd_previous``: the crowd alerts of the crowd lookback (alert_id, week_start, expected,
    weeks_running); ``surge_previous``: the surge alerts of the week before ``first``;
    ``grid_families`` (grid_id, family) and ``place_families`` (place_key, family): the street each
    grid and place is corrected for multiple testing in (None: the district).
    """

    first: dt.date
    last: dt.date
    cells: pl.DataFrame
    records: pl.DataFrame
    surge_history: pl.DataFrame | None = None
    crowd_previous: pl.DataFrame | None = None
    surge_previous: pl.DataFrame | None = None
    grid_families: pl.DataFrame | None = None
    place_families: pl.DataFrame | None = None


@dataclass
class WeekSignals:
    alerts: pl.DataFrame  # surge and crowd alerts of the weeks
    surge_scores: pl.DataFrame  # mart_surge_scores rows of the weeks


def score_block(inputs: WeekInputs, ctx: SignalsContext) -> pl.DataFrame:
    """The surge test of the block's cells (global: every grid × theme of each week together)."""
    start = ctx.start or inputs.cells["week_start"].min()
    cells = inputs.cells.filter(pl.col("week_start").is_between(inputs.first, inputs.last))
    return score_surges(cells, ctx.surge_model(), history=inputs.surge_history, start=start,
                        families=inputs.grid_families)  # fmt: skip


def weekly_signals(
    inputs: WeekInputs,
    ctx: SignalsContext,
    scored: pl.DataFrame | None = None,
    key_stage: Callable[[str, pl.DataFrame, SignalsContext], pl.DataFrame] | None = None,
) -> WeekSignals:
    """Surges and 多人同诉 of the weeks ``inputs.first`` … ``inputs.last`` (see :class:`WeekInputs`).

    ``scored``: the block's :func:`score_block` when the caller has it (it reads the records of the
    alerted cells in between); ``inputs.records`` must then hold those records too. ``key_stage``: how the
    people behind 多人同诉 are counted (the key stage ``crowd``, by place × theme: :data:`demandlab.stages.KeyRunner`,
    in Spark under the Spark engine); None, here. The test over all places of a week stays here.
    """
    scored = score_block(inputs, ctx) if scored is None else scored
    start = ctx.start or (inputs.records["week_start"].min() if inputs.records.height else inputs.first)
    last = min(inputs.last, ctx.last_week or inputs.last)
    counts = None
    if key_stage is not None and inputs.records.height:  # crowd_stage counts from first_week() = start to last_week
        counts = key_stage("crowd", inputs.records, replace(ctx, since=None, start=inputs.first, last_week=last))
    surges = surge_alerts(inputs.records, scored=scored, previous=inputs.surge_previous)
    crowds = crowd_alerts(
        inputs.records,
        ctx.crowd_model(),
        last,
        first_week=inputs.first,
        start=start,
        previous=inputs.crowd_previous,
        families=inputs.place_families,
        counts=counts,
    )
    alerts = pl.concat([surges, crowds], how="vertical")
    return WeekSignals(_sorted_alerts(alerts), scored.select(SURGE_SCORE_COLUMNS.keys()).cast(SURGE_SCORE_COLUMNS))


def surge_cells_to_read(scored: pl.DataFrame) -> pl.DataFrame:
    """The cells whose records a surge alert lists: the alerted ones (grid_id, theme_id, week_start)."""
    return scored.filter("is_alert").select("grid_id", "theme_id", "week_start")


def _sorted_alerts(alerts: pl.DataFrame) -> pl.DataFrame:
    return alerts.sort(
        ["week_start", "kind", "p_value", "n", "alert_id"],
        descending=[True, False, False, True, False],
    )


def crowd_stage(records: pl.DataFrame, ctx: SignalsContext) -> pl.DataFrame:
    """The people behind 多人同诉: per place × theme × week, the people in the window ending that week and in
    the week (:func:`.crowd.crowd_counts`; partitioned by place × theme; ``records`` carry ``person_key``).
    Which of them are alerts is decided over all places of the week at once (:func:`.crowd.crowd_alerts`)."""
    last = ctx.last_week or (records["week_start"].max() if records.height else None)
    return crowd_counts(records, ctx.crowd_model(), ctx.first_week(), last)


def repeat_caller_stage(records: pl.DataFrame, ctx: SignalsContext) -> pl.DataFrame:
    """一人多诉 (partitioned by person: ``person_key`` of :mod:`.people`)."""
    return repeat_caller_alerts(records, ctx.config.repeat_caller_min_records, ctx.config.repeat_caller_gap_days)


def repeats_stage(records: pl.DataFrame, ctx: SignalsContext) -> pl.DataFrame:
    """Near-duplicate records (partitioned by block: theme × place or grid), compared with the model's TF-IDF."""
    cfg = ctx.config
    return find_repeats(
        records, threshold=cfg.repeat_similarity, window_days=cfg.repeat_window_days, vectorize=ctx.vectorize()
    )


def repeat_groups(
    previous: pl.DataFrame | None,
    texts: pl.DataFrame,
    since: dt.datetime | None,
    ctx: SignalsContext,
    vectorize: Callable[[list], object] | None = None,
) -> pl.DataFrame:
    """The repeat groups after the records created from ``since`` on: ``previous`` (every row of every group
    with a member created from ``since`` − ``repeat_window_days`` on, none when ``since`` is None) brought up
    to date with ``texts`` (the records with tokens from then on). Returns the rows of the groups touched.
    ``vectorize``: a fixed TF-IDF where there is no model (default: :meth:`SignalsContext.vectorize`)."""
    cfg = ctx.config
    records = texts.drop("title", "text", strict=False)
    if since is None or previous is None:
        return repeats_stage(records, ctx)
    options = {"threshold": cfg.repeat_similarity, "window_days": cfg.repeat_window_days}
    return update_repeats(previous, records, since, vectorize=vectorize or ctx.vectorize(), **options)


def touched_people(changed: pl.DataFrame) -> pl.DataFrame:
    """The people whose 一人多诉 must be looked at again: ``contact_key`` or ``repeat_group_id`` of ``changed``
    (records created since the last pass, the members of repeat groups touched, and the records of the stored
    alerts that held any of them), without repeats."""
    return (
        changed.select("contact_key", "repeat_group_id")
        .filter(pl.col("contact_key").is_not_null() | pl.col("repeat_group_id").is_not_null())
        .with_columns(pl.when(pl.col("contact_key").is_null()).then("repeat_group_id").alias("repeat_group_id"))
        .unique()
        .sort(pl.all(), nulls_last=True)
    )


def hot_start(records: pl.DataFrame, ctx: SignalsContext) -> dt.datetime | None:
    """From when the hot issues of ``mart_hot_issues`` (as of the end of the latest week) read texts."""
    as_of = latest_week_end(records)
    return as_of - dt.timedelta(weeks=ctx.config.hot_weeks) if ctx.config.hot_weeks and as_of else None


def hot_stage(
    people: pl.DataFrame,
    texts: pl.DataFrame,
    repeats: pl.DataFrame | None,
    ctx: SignalsContext,
    past: pl.DataFrame | None = None,
    text_of: TextReader | None = None,
) -> pl.DataFrame:
    """Hot issues as of the end of the latest week (global). ``people``: records (with ``person_key``), those
    of the period at least; ``texts``: title, text, tokens from :func:`hot_start` (or tokens alone, with
    ``text_of`` reading the examples' title and text: :func:`.hot.hot_issues`); ``past``: the year before
    the period counted (:func:`.hot.place_counts`) when ``people`` hold only the period."""
    cfg = ctx.config
    begin = hot_start(people, ctx)
    hot_texts = texts if begin is None else texts.filter(pl.col("created_at") > begin)
    return hot_issues(
        people,
        weeks=cfg.hot_weeks or None,
        min_records=cfg.hot_min_records,
        texts=hot_texts,
        repeats=repeats,
        past=past,
        text_of=text_of,
    )


def compute_signals(
    records: pl.DataFrame,
    cells: pl.DataFrame,
    texts: pl.DataFrame,
    previous: pl.DataFrame | None,
    ctx: SignalsContext,
) -> Signals:
    """Every signal at once, over frames in memory (what the runner's passes block by block add up to).

    Parameters
    ----------
    records : the records with theme and place (``marts.read.signal_records``), light columns.
    cells : grid × theme × week counts (``mart_grid_theme_week``; zero rows may be left out).
    texts : the same records with title, text and tokens, from :func:`texts_start` on.
    previous : the repeat groups before (``mart_repeats``) when ``ctx.since`` is set, else None.
    ctx : settings, the model and ``since``.
    """
    if records.height:
        ctx = replace(
            ctx,
            last_week=ctx.last_week or records["week_start"].max(),
            start=ctx.start or records["week_start"].min(),
        )
    repeat_records = texts
    start = ctx.repeat_start()
    if start is not None:
        repeat_records = repeat_records.filter(pl.col("created_at") >= start)
    if ctx.since is not None and previous is not None:
        touched = previous.filter(
            pl.col("repeat_group_id").is_in(
                previous.filter(pl.col("created_at") >= start)["repeat_group_id"].unique().implode()
            )
        )
        fresh = repeat_groups(touched, repeat_records, ctx.since, ctx)
        kept = previous.join(touched.select("repeat_group_id").unique(), on="repeat_group_id", how="anti")
        repeats = pl.concat([kept, fresh], how="vertical").sort("repeat_group_id", "created_at", "source", "record_id")
    else:
        repeats = repeat_groups(None, repeat_records, None, ctx)
    # people, one way for every signal: contacts, else the near-duplicate groups just found
    people = with_people(records, repeats)
    empty = pl.DataFrame(schema=ALERT_COLUMNS)
    if records.height:
        block = WeekInputs(ctx.start, ctx.last_week, cells.filter(pl.col("n") > 0), people)
        weekly = weekly_signals(block, replace(ctx, since=None))
        alerts, scores = weekly.alerts, weekly.surge_scores
    else:
        alerts, scores = empty, pl.DataFrame(schema=SURGE_SCORE_COLUMNS)
    alerts = _sorted_alerts(pl.concat([alerts, repeat_caller_stage(people, ctx)], how="vertical"))
    hot = hot_stage(people, texts, repeats, ctx)
    return Signals(alerts, repeats.select(REPEAT_COLUMNS.keys()), hot, scores)


def texts_start(records: pl.DataFrame, ctx: SignalsContext) -> dt.datetime | None:
    """From when :func:`compute_signals` needs the records' texts and tokens (None: all of them)."""
    hot_start_ = hot_start(records, ctx)
    repeat_start = ctx.repeat_start()
    if repeat_start is None or hot_start_ is None:
        return None
    return min(repeat_start, hot_start_)


__all__ = [
    "BLOCK_RECORDS",
    "BLOCK_WEEKS",
    "SIGNALS_VERSION",
    "SIGNAL_MARTS_ORDER",
    "SURGE_SCORE_COLUMNS",
    "Signals",
    "SignalsContext",
    "WeekInputs",
    "WeekSignals",
    "block_weeks",
    "compute_signals",
    "crowd_stage",
    "hot_stage",
    "hot_start",
    "lookback",
    "repeat_caller_stage",
    "repeat_groups",
    "repeats_stage",
    "score_block",
    "surge_cells_to_read",
    "texts_start",
    "touched_people",
    "week_blocks",
    "weekly_signals",
]
