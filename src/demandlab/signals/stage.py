"""The signals stage: alerts, repeats, hot issues and every surge test, from the records and the marts.

:func:`compute_signals` is a pure function of what it is given. The parts it is made of are
stages of their own, each declaring how it may be split (:mod:`demandlab.stages`): crowd alerts
by place × theme, repeat callers by contact, repeats by block (theme × place or grid) with the
theme model's fixed TF-IDF; surge scoring and hot issues need the whole period (global).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import polars as pl

from ..config import SignalsConfig
from ..themes.assign import model_from_bytes
from .alerts import SurgeModel, crowd_alerts, repeat_caller_alerts, score_surges, surge_alerts
from .hot import hot_issues, latest_week_end
from .people import with_people
from .repeats import find_repeats, update_repeats

SURGE_SCORE_COLUMNS = (
    "grid_id", "theme_id", "week_start", "n", "baseline", "expected", "p_value", "q_value", "is_alert",
)  # fmt: skip


@dataclass(frozen=True)
class SignalsContext:
    """The signals' settings, the theme model whose TF-IDF repeats compare with (bytes), and ``since``:
    records changed from then on are looked at again (None: everything)."""

    config: SignalsConfig = field(default_factory=SignalsConfig)
    model: bytes | None = None
    since: dt.datetime | None = None
    last_week: dt.date | None = None  # the last week with data (a crowd window never ends after it)

    def surge_model(self) -> SurgeModel:
        cfg = self.config
        return SurgeModel(window=cfg.surge_window, fdr=cfg.surge_fdr, min_count=cfg.surge_min_count)

    def vectorize(self):
        """The model's fixed TF-IDF (documents → l2-normalised rows), or None to fit one on the records."""
        return None if self.model is None else model_from_bytes(self.model).tfidf

    def repeat_start(self) -> dt.datetime | None:
        return self.since - dt.timedelta(days=self.config.repeat_window_days) if self.since else None


#: Bump when what the signals compute changes, so that the pipeline computes them all again.
# 2: people counted one way (contacts, else near-duplicate groups); hot issues per matter
# 3: a matter is never named by an organisation (房地产开发有限公司 → its theme)
SIGNALS_VERSION = "3"

#: The marts the signals stage writes, in the order it writes them.
SIGNAL_MARTS_ORDER = ("mart_alerts", "mart_repeats", "mart_hot_issues", "mart_surge_scores")


@dataclass
class Signals:
    alerts: pl.DataFrame  # mart_alerts
    repeats: pl.DataFrame  # mart_repeats
    hot: pl.DataFrame  # mart_hot_issues
    surge_scores: pl.DataFrame  # mart_surge_scores

    def as_marts(self) -> dict[str, pl.DataFrame]:
        return dict(zip(SIGNAL_MARTS_ORDER, (self.alerts, self.repeats, self.hot, self.surge_scores), strict=True))


def hot_start(records: pl.DataFrame, ctx: SignalsContext) -> dt.datetime | None:
    """From when the hot issues of ``mart_hot_issues`` (as of the end of the latest week) read records."""
    as_of = latest_week_end(records)
    return as_of - dt.timedelta(weeks=ctx.config.hot_weeks) if ctx.config.hot_weeks and as_of else None


def texts_start(records: pl.DataFrame, ctx: SignalsContext) -> dt.datetime | None:
    """From when :func:`compute_signals` needs the records' texts and tokens (None: all of them)."""
    hot_start_ = hot_start(records, ctx)
    repeat_start = ctx.repeat_start()
    if repeat_start is None or hot_start_ is None:
        return None
    return min(repeat_start, hot_start_)


def crowd_stage(records: pl.DataFrame, ctx: SignalsContext) -> pl.DataFrame:
    """多人同诉 (partitioned by place × theme; ``records`` carry ``person_key``, see :mod:`.people`)."""
    return crowd_alerts(records, ctx.config.crowd_min_contacts, ctx.config.crowd_days, ctx.last_week)


def repeat_caller_stage(records: pl.DataFrame, ctx: SignalsContext) -> pl.DataFrame:
    """一人多诉 (partitioned by person: ``person_key`` of :mod:`.people`)."""
    return repeat_caller_alerts(records, ctx.config.repeat_caller_min_records, ctx.config.repeat_caller_gap_days)


def repeats_stage(records: pl.DataFrame, ctx: SignalsContext) -> pl.DataFrame:
    """Near-duplicate records (partitioned by block: theme × place or grid), compared with the model's TF-IDF."""
    cfg = ctx.config
    return find_repeats(
        records, threshold=cfg.repeat_similarity, window_days=cfg.repeat_window_days, vectorize=ctx.vectorize()
    )


def compute_signals(
    records: pl.DataFrame,
    cells: pl.DataFrame,
    texts: pl.DataFrame,
    previous: pl.DataFrame | None,
    ctx: SignalsContext,
) -> Signals:
    """Every signal at once.

    Parameters
    ----------
    records : the records with theme and place (``marts.read.signal_records``), light columns.
    cells : grid × theme × week counts (``mart_grid_theme_week``).
    texts : the same records with title, text and tokens, from :func:`texts_start` on.
    previous : the repeat groups before (``mart_repeats``) when ``ctx.since`` is set, else None.
    ctx : settings, the model and ``since``.
    """
    cfg = ctx.config
    if ctx.last_week is None and records.height:
        ctx = replace(ctx, last_week=records["week_start"].max())
    repeat_records = texts.drop("title", "text")
    start = ctx.repeat_start()
    if start is not None:
        repeat_records = repeat_records.filter(pl.col("created_at") >= start)
    if ctx.since is None or previous is None:
        repeats = repeats_stage(repeat_records, ctx)
    else:
        options = {"threshold": cfg.repeat_similarity, "window_days": cfg.repeat_window_days}
        repeats = update_repeats(previous, repeat_records, ctx.since, vectorize=ctx.vectorize(), **options)
    # people, one way for every signal: contacts, else the near-duplicate groups just found
    people = with_people(records, repeats)
    surge = ctx.surge_model()
    scored = score_surges(cells, surge)
    alerts = pl.concat(
        [surge_alerts(people, cells, surge, scored), crowd_stage(people, ctx), repeat_caller_stage(people, ctx)],
        how="vertical",
    ).sort(["week_start", "kind", "p_value", "n", "alert_id"], descending=[True, False, False, True, False])
    begin = hot_start(records, ctx)
    hot_texts = texts if begin is None else texts.filter(pl.col("created_at") > begin)
    hot = hot_issues(
        people, weeks=cfg.hot_weeks or None, min_records=cfg.hot_min_records, texts=hot_texts, repeats=repeats
    )
    return Signals(alerts, repeats, hot, scored.select(SURGE_SCORE_COLUMNS))
