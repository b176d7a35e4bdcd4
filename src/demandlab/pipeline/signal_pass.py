"""The signals step: what each part of it reads, the pure stage it calls, what it writes.

:meth:`demandlab.Pipeline.signals` calls :func:`run_signals` after locating places. A **full pass**
(``ctx.since`` None: the settings, the theme model or the places changed) creates the signal marts
empty and fills them from the first week on. An **update** (records changed from ``since`` on)
computes again only what those records can change and replaces those rows, so a week's update
costs what the week costs:

* ``mart_repeats``: the groups with a member created from ``since`` − ``repeat_window_days`` on;
* ``mart_surge_scores`` and the surge and crowd rows of ``mart_alerts``: the weeks from the week of
  ``since`` (or of the earliest record without a contact whose repeat group changed, since such
  people are counted by group; a record with a contact is its contact) to the last, each block
  of weeks reading its baselines' lookback and what the weeks before it decided from the marts
  as written (:mod:`demandlab.signals.stage`);
* the 一人多诉 rows of ``mart_alerts``: the people of the changed records and of the alerts that held
  any of them, with all their records;
* ``mart_hot_issues``: as of the latest week, from the records of ``hot_weeks`` (the year before
  counted per place and theme in SQL, not read).

An update is one transaction. A full pass commits after each block (DuckDB holds a transaction's
uncommitted rows outside its memory limit) and once each block has read its records, letting DuckDB drop
what it kept of them between the transactions: it first notes ``signals_since = all``, so a pass
stopped midway is done again whole by the next run, and the settings are noted last.

Memory is that of a block of weeks (:data:`~demandlab.signals.stage.BLOCK_WEEKS`, fewer in a dense district:
:func:`~demandlab.signals.stage.block_weeks`; and the lookback),
of one part of the people, or of the hot issues' period, never of the whole database (without a theme
model, repeats read at most :data:`REPEATS_AT_ONCE` records at once or a sample of that many).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import replace
from functools import partial

import polars as pl

from .. import schema, sql
from ..marts import read
from ..signals.alerts import ALERT_COLUMNS
from ..signals.hot import HOT_COLUMNS, week_end
from ..signals.people import with_people
from ..signals.repeats import REPEAT_COLUMNS, fitted_tfidf
from ..signals.stage import (
    SURGE_SCORE_COLUMNS,
    SignalsContext,
    WeekInputs,
    block_weeks,
    hot_stage,
    lookback,
    repeat_groups,
    score_block,
    surge_cells_to_read,
    touched_people,
    week_blocks,
    weekly_signals,
)
from ..stages import KeyRunner, in_process
from ..store import Store, registered
from . import outputs
from .batches import commit_so_far
from .reports import Progress, silent

#: The signal marts and their columns, in the order they are written.
SIGNAL_COLUMNS = {
    "mart_alerts": ALERT_COLUMNS,
    "mart_repeats": REPEAT_COLUMNS,
    "mart_hot_issues": HOT_COLUMNS,
    "mart_surge_scores": SURGE_SCORE_COLUMNS,
}
#: Records of people read at once on a full pass (一人多诉 is computed a part of the people at a time).
PEOPLE_PART = 1_000_000
#: Without a theme model, a full pass compares the repeats of up to this many records at once with a TF-IDF
#: fitted on them; a larger database is compared block by block with a TF-IDF fitted on a sample of this many
#: (``io/repeat_fit_sample``), as an update is (every record's tokens at once took 3 M records to 6.9 GiB).
REPEATS_AT_ONCE = 200_000


def _one_transaction() -> None:
    """The ``step`` of an update: nothing commits before the end."""


def run_signals(
    store: Store, ctx: SignalsContext, settings: str, progress: Progress = silent, key_stage: KeyRunner = in_process
) -> None:
    """Bring the signal marts up to date (see the module docstring); ``settings`` are noted with them.
    ``key_stage`` runs the key stages — 多人同诉's counts by place × theme, 一人多诉 by person, a whole pass's
    repeats by block — here or in Spark (:func:`demandlab.spark.stages.key_runner`)."""
    first_data, last_data, busiest = store.con.execute(sql.text("io/signal_weeks")).fetchall()[0]
    ctx = replace(ctx, start=first_data, last_week=last_data, block_weeks=block_weeks(busiest or 0))
    with store.transaction() as con:
        step: Callable[[], None] = _one_transaction
        if ctx.since is None:
            outputs.signal_tables(con, SIGNAL_COLUMNS)
            Store.set_meta(con, "signals_since", "all")  # stopped midway, the next run passes again whole
            step = partial(commit_so_far, con, store)  # DuckDB's cache let go between the transactions
        if first_data is not None:
            keys = read.place_keys(store)
            regrouped = _repeats(store, ctx, keys, step, key_stage)
            first = ctx.first_week()
            # a record without a contact is counted as its group's person: the weeks of those whose group changed
            # are computed again (a record with a contact is its contact, whatever its group)
            by_group = regrouped.filter(pl.col("contact_key").is_null())
            if by_group.height:
                earliest = by_group["created_at"].min().date()
                first = max(min(first, earliest - dt.timedelta(days=earliest.weekday())), first_data)
            if ctx.since is not None:
                outputs.signal_weeks_forgotten(con, first)
            _weeks(store, ctx, keys, first, progress, families(store, keys), step, key_stage)
            _repeat_callers(store, ctx, keys, regrouped, step, key_stage)
            _hot(store, ctx, keys, step)
        outputs.signals(con, settings)


def _week_start(moment: dt.date) -> dt.datetime:
    return dt.datetime.combine(moment, dt.time())


def _repeats(
    store: Store, ctx: SignalsContext, keys: pl.DataFrame, step: Callable[[], None], key_stage: KeyRunner = in_process
) -> pl.DataFrame:
    """Bring ``mart_repeats`` up to date, calling ``step`` after each block's reads and after its writes; returns
    the records whose group changed (source, record_id, created_at, contact_key)."""
    window = dt.timedelta(days=ctx.config.repeat_window_days)
    vectorize = None  # the model's TF-IDF
    if ctx.since is not None:
        starts: list[dt.datetime | None] = [ctx.since]
    elif ctx.model is None and store.count("mart_records") <= REPEATS_AT_ONCE:
        starts = [None]  # a TF-IDF fitted on the records compared: all of them at once
    else:  # block by block, each from the groups the blocks before found (what an update does)
        starts = [_week_start(first) for first, _ in week_blocks(ctx.start, ctx.last_week, ctx.block_weeks)]
        if ctx.model is None:  # no model: a TF-IDF fitted on a sample, fixed for every block
            sample = store.sql(sql.text("io/repeat_fit_sample"), {"n": REPEATS_AT_ONCE})["tokens"]
            vectorize = fitted_tfidf(sample.to_list())
    changed = []
    for i, since in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else None
        begin = since - window if since is not None else None
        texts = read.signal_records(store, "tokens", begin, end=end, keys=keys)
        previous = (
            store.sql(sql.text("io/signal_repeat_groups"), {"start": begin})
            if since is not None
            else pl.DataFrame(schema=REPEAT_COLUMNS)
        )
        step()
        if since is None:  # every record compared: the key stage (by block)
            groups = key_stage("repeats", texts.drop("title", "text", strict=False), ctx)
        else:
            groups = repeat_groups(previous, texts, since, ctx, vectorize)
        outputs.repeat_groups(store.con, groups, previous)
        step()
        if ctx.since is not None:
            before = previous.select(*schema.KEY, "created_at", old="repeat_group_id")
            after = groups.select(*schema.KEY, "created_at", new="repeat_group_id")
            both = before.join(after, on=[*schema.KEY, "created_at"], how="full", coalesce=True)
            moved = both.filter(pl.col("old").ne_missing(pl.col("new"))).select(*schema.KEY, "created_at")
            changed.append(moved.join(texts.select(*schema.KEY, "contact_key"), on=schema.KEY, how="left"))
    return pl.concat(changed) if changed else pl.DataFrame(schema={"source": pl.String, "record_id": pl.String,
                                                                   "created_at": pl.Datetime("us"),
                                                                   "contact_key": pl.String})  # fmt: skip


def families(store: Store, keys: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each grid's street and each (unified) place's street: the families surges and 多人同诉 are
    corrected for multiple testing in (a place's: the street most of its records are in, ties by name)."""
    grids = store.sql(sql.text("io/signal_grid_streets"))
    counts = store.sql(sql.text("io/signal_place_streets"))
    places = (
        counts.join(keys, on=["place_key", "place_kind"], how="inner")
        .group_by("unified", "street")
        .agg(pl.col("n").sum())
        .sort(["unified", "n", "street"], descending=[False, True, False])
        .unique("unified", keep="first", maintain_order=True)
        .select(place_key="unified", family="street")
    )
    return grids, places


def _weeks(
    store: Store,
    ctx: SignalsContext,
    keys: pl.DataFrame,
    first: dt.date,
    progress: Progress,
    streets: tuple[pl.DataFrame, pl.DataFrame] | None = None,
    step: Callable[[], None] = _one_transaction,
    key_stage: KeyRunner = in_process,
) -> None:
    """Surge tests, surge and crowd alerts of the weeks from ``first``, a block of weeks at a time, calling
    ``step`` after each block's reads and after its writes; ``streets``: :func:`families` (None: the district is
    one family)."""
    back = lookback(ctx)
    blocks = week_blocks(first, ctx.last_week, ctx.block_weeks)
    lookback_alerts = sql.text("io/signal_lookback_alerts")
    placed, read_until = None, None
    with progress("预警 alerts", len(blocks)) as advance:
        for start, last in blocks:
            end = _week_start(last + dt.timedelta(weeks=1))
            surge_from = start - dt.timedelta(weeks=back.surge_weeks)
            crowd_from = start - dt.timedelta(weeks=back.crowd_weeks)
            placed = _placed(store, keys, placed, _week_start(crowd_from), read_until, end)
            read_until = end
            inputs = WeekInputs(
                start,
                last,
                cells=store.sql(sql.text("io/signal_surge_counts"), {"first": start, "last": last}),
                records=pl.DataFrame(),
                surge_history=store.sql(
                    "select * from mart_surge_scores where week_start >= ? and week_start < ?", [surge_from, start]
                ),
                crowd_previous=store.sql(lookback_alerts, {"kind": "crowd", "first": crowd_from, "until": start}),
                surge_previous=store.sql(
                    lookback_alerts, {"kind": "surge", "first": start - dt.timedelta(weeks=1), "until": start}
                ),
                grid_families=streets[0] if streets else None,
                place_families=streets[1] if streets else None,
            )
            step()
            scored = score_block(inputs, ctx)
            alerted = surge_cells_to_read(scored)
            parts = [placed]
            if alerted.height:
                parts.append(read.signal_records(store, groups=True, only=alerted, keys=keys))
            records = pl.concat(parts).unique(schema.KEY, keep="first", maintain_order=True)
            step()
            inputs.records = with_people(records.sort("created_at", "source", "record_id"))
            found = weekly_signals(inputs, ctx, scored, key_stage)
            outputs.signal_rows(store.con, "mart_surge_scores", found.surge_scores)
            outputs.signal_rows(store.con, "mart_alerts", found.alerts)
            step()
            advance(1)


def _placed(
    store: Store,
    keys: pl.DataFrame,
    before: pl.DataFrame | None,
    start: dt.datetime,
    read_until: dt.datetime | None,
    end: dt.datetime,
) -> pl.DataFrame:
    """The records naming a place created from ``start`` and before ``end`` (repeat groups set): of ``before``,
    the previous block's (read up to ``read_until``), those from ``start`` on are kept and only the weeks after
    it are read — the crowd's lookback of each block is mostly the block before (12 of 16 weeks at 4-week blocks)."""
    if before is None or read_until is None:
        return read.signal_records(store, start=start, end=end, placed=True, groups=True, keys=keys)
    fresh = read.signal_records(store, start=max(start, read_until), end=end, placed=True, groups=True, keys=keys)
    return pl.concat([before.filter(pl.col("created_at") >= start), fresh])


def _person_records(store: Store, people: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """Every record of ``people`` (contact_key, else repeat_group_id: :func:`touched_people`)."""
    contacts = people.filter(pl.col("contact_key").is_not_null()).select("contact_key")
    groups = people.filter(pl.col("repeat_group_id").is_not_null()).select("repeat_group_id")
    parts = [
        read.signal_records(store, groups=True, only=contacts, keys=keys) if contacts.height else None,
        # a group is a person where records have no contact: the others are their contacts' records
        read.signal_records(store, groups=True, only=groups, keys=keys).filter(pl.col("contact_key").is_null())
        if groups.height
        else None,
    ]
    found = [p for p in parts if p is not None]
    if not found:
        nobody = pl.DataFrame(schema=dict.fromkeys(schema.KEY, pl.String))
        return read.signal_records(store, groups=True, only=nobody, keys=keys)
    return pl.concat(found).unique(schema.KEY, keep="first").sort("created_at", "source", "record_id")


def _held(store: Store, records: pl.DataFrame) -> pl.DataFrame:
    """The stored 一人多诉 alerts holding any of ``records`` (source, record_id): alert_id and every record held."""
    with registered(store.con, "_keys", records.select(schema.KEY).unique()):
        return store.sql(sql.text("io/signal_alerts_holding"), {"kind": "repeat_caller"})


def _repeat_callers(
    store: Store,
    ctx: SignalsContext,
    keys: pl.DataFrame,
    regrouped: pl.DataFrame,
    step: Callable[[], None],
    key_stage: KeyRunner = in_process,
) -> None:
    """一人多诉: every person a part at a time (full pass, ``step`` after each), else the people the changes
    touched."""
    if ctx.since is None:
        people = touched_people(store.sql(sql.text("io/signal_people")))
        total = store.scalar("select count(*) from mart_records where contact_key is not null") or 0
        parts = max(1, math.ceil(total / PEOPLE_PART))
        people = people.with_row_index("_i").with_columns(_part=pl.col("_i") % parts).drop("_i")
        for _, part in people.partition_by("_part", as_dict=True).items():
            records = _person_records(store, part.drop("_part"), keys)
            step()
            alerts = key_stage("repeat_callers", with_people(records), ctx)
            outputs.repeat_caller_alerts(store.con, alerts, [])
            step()
        return
    fresh = read.signal_records(store, start=ctx.since, keys=keys).select(schema.KEY)
    changed = pl.concat([fresh, regrouped.select(schema.KEY)]).unique()
    held = _held(store, changed)
    touched = read.signal_records(
        store, groups=True, only=pl.concat([changed, held.select(schema.KEY)]).unique(), keys=keys
    )
    records = _person_records(store, touched_people(touched), keys)
    gone = _held(store, pl.concat([records.select(schema.KEY), changed]))
    alerts = key_stage("repeat_callers", with_people(records), ctx)
    outputs.repeat_caller_alerts(store.con, alerts, gone["alert_id"].unique().to_list())


def _hot(store: Store, ctx: SignalsContext, keys: pl.DataFrame, step: Callable[[], None] = _one_transaction) -> None:
    """Hot issues as of the end of the latest week: the records of their period, the year before counted
    (``step`` once they are read)."""
    weeks = ctx.config.hot_weeks
    as_of = week_end(ctx.last_week)
    start = as_of - dt.timedelta(weeks=weeks) if weeks else None
    period = read.signal_records(store, "tokens", start, groups=True, keys=keys)  # read once; titles and texts:
    people = with_people(period.drop("tokens"))  # only the examples' (record_texts)
    texts = period.select(*schema.KEY, "created_at", "tokens")
    del period
    past = read.signal_place_counts(store, start - dt.timedelta(weeks=52), start, keys) if weeks else None
    step()
    outputs.hot_issues(store.con, hot_stage(people, texts, None, ctx, past, partial(record_texts, store)))


def record_texts(store: Store, records: pl.DataFrame) -> pl.DataFrame:
    """Title and text of ``records`` (source, record_id) from ``mart_records``."""
    with registered(store.con, "_keys", records.select(schema.KEY)):
        return store.sql(sql.text("io/record_texts"))


__all__ = ["SIGNAL_COLUMNS", "run_signals"]
