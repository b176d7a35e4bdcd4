"""Hot issues (热点问题): one place and one specific matter, ranked by a documented heat index.

A hot issue is a group of records about the same **matter** at the same **place** (a compound,
school, market, shop or road found by :mod:`.places`) within a period: by default the 13 weeks up
to the as-of time, the end of an ISO week (:func:`week_end`); ``weeks=None`` takes all the data.
The matter is finer than a theme and found from what the records say (:mod:`.matters`: 捆绑销售车位
and 停车收费 at one compound are two matters, one matter written in two ways is one); records that
name no place form city-wide matters inside their theme (a housing-subsidy policy), which must be
raised by at least ``min_records`` people to be hot.

People are counted one way (:mod:`.people`): distinct contacts where records have them, else
near-duplicate groups; every hot issue says which (``people_basis``). For a group with

* ``n`` records from ``p`` people, weighed per person as ``w = Σ (1 + ln kᵢ)`` (kᵢ the records of
  person i: a resident's 84 messages weigh about 5.4, 84 residents' one message each 84),
* ``L`` likes / support (点赞数; 0 where the source has none),
* a span of ``d`` days from its first to its last record (counted up to 91 days: persisting
  through a quarter is what the term rewards; years between two mentions are not heat), and
* ``e`` records expected from the past: the place's records on the group's theme in the 52 weeks
  before the period, scaled to the period's length and to the group's share of that theme at the
  place now (for a city-wide matter: of the theme's records without a place),

the heat index is::

    heat = [ln(1+w) + ln(1+p) + ½·ln(1+L) + ½·ln(1+min(d, 91)/7)] × n / (n + e) × 0.5 ^ (age / 28 days)

The first factor grows with volume, breadth (people, support) and persistence, each with
diminishing returns so that no single one dominates; the second discounts what the place has
always raised (a chronic matter at a big compound is known business, a new one is news); the third
halves the heat for every four weeks since the group's last record. With ``weeks=None`` (all the
data, e.g. a message board read as a whole) each group is judged on its busiest 13 weeks (a
group mentioned twice a year for eight years is not hot; ten messages in two months are), with
no past and no as-of date to be recent to: both discounts are 1 and the volume factor ranks alone.
Groups of fewer than ``min_records`` records are not hot issues. A group mostly written by one
person (:func:`.people.mostly_one_person`) is kept and marked ``is_repeat``: it is 一人多诉, and the
report and the command line say so instead of counting it as a crowd.

A record that names only a road joins the place most records on that road name about the same
theme (湖滨路 → 湖滨路东门菜市场), so one matter written two ways stays one hot issue. Only the period and
the 52 weeks before it are read (with ``weeks``), so the result does not depend on older records.

A hot issue's ``hot_id`` names its block (place key, else ``theme-<id>``) and a digest of its
earliest record, so it stays the same as later records join. Its name (``matter``) is a phrase its
records wrote that sets it apart from the other hot issues (:func:`.matters.matter_names`), else
the theme's label. The representative texts are the group's records whose tokens share most with
the group's own ten most frequent words (ties between words broken by the word), then the most
liked, then the latest (then the last by source and record id). The result does not depend on the
order of the input rows nor on Python's string hashing: a rerun of the same week gives the same
hot issues.

:func:`hot_issues` is the one computation: the signals stage writes ``mart_hot_issues`` with it as
of the end of the latest week, and ``demandlab.marts.hot_issues`` (which the report and the command
line read) uses that table for that week and calls it for any other week or scope.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import polars as pl

from .matters import find_matters, matter_names
from .people import mostly_one_person, person_counts, with_people

#: Columns of a hot-issue frame (``mart_hot_issues``).
HOT_COLUMNS: dict[str, pl.DataType] = {
    "rank": pl.Int64(),
    "hot_id": pl.String(),
    "as_of": pl.Datetime("us"),
    "place_key": pl.String(),
    "place": pl.String(),
    "place_kind": pl.String(),
    "matter": pl.String(),
    "theme_id": pl.Int64(),
    "theme_label": pl.String(),
    "category": pl.String(),
    "street": pl.String(),
    "community": pl.String(),
    "grid_id": pl.String(),
    "n": pl.Int64(),
    "n_people": pl.Int64(),
    "people_basis": pl.String(),
    "top_person_n": pl.Int64(),
    "is_repeat": pl.Boolean(),
    "n_contacts": pl.Int64(),
    "likes": pl.Int64(),
    "first_at": pl.Datetime("us"),
    "last_at": pl.Datetime("us"),
    "span_days": pl.Int64(),
    "expected": pl.Float64(),
    "heat": pl.Float64(),
    "examples": pl.List(pl.String()),
    "records": pl.List(pl.String()),
}


#: Reads title and text of the records (source, record_id) of a frame: a frame of source, record_id, title, text.
TextReader = Callable[[pl.DataFrame], pl.DataFrame]


def week_end(week_start: date) -> datetime:
    """The last instant of the ISO week starting on ``week_start``: the as-of time of that week's hot issues.

    >>> week_end(date(2026, 11, 9))
    datetime.datetime(2026, 11, 15, 23, 59, 59, 999999)
    """
    return datetime.combine(week_start + timedelta(days=7), time()) - timedelta(microseconds=1)


def latest_week_end(records: pl.DataFrame) -> datetime | None:
    """The end of the ISO week of the latest record (None without records): the default as-of time."""
    if records.is_empty():
        return None
    latest = records["created_at"].max()
    return week_end(latest.date() - timedelta(days=latest.weekday()))


def heat_index(n, weighted, people, likes, span_days, expected, age_days):  # polars expressions or numbers
    """The heat index of the module docstring; works on polars expressions and on numbers.

    ``n`` records, ``weighted`` of them weighed per person, ``people`` distinct people.

    >>> round(heat_index(10, 10, 8, 0, 30, 0.0, 0), 3)
    5.428
    >>> heat_index(10, 10, 8, 0, 30, 10.0, 0) < heat_index(10, 10, 8, 0, 30, 0.0, 0)   # a chronic matter
    True
    >>> heat_index(33, 7.4, 4, 0, 30, 0.0, 0) < heat_index(10, 10, 8, 0, 30, 0.0, 0)  # mostly one person
    True
    """
    log = pl.Expr.log1p if isinstance(n, pl.Expr) else math.log1p
    span = pl.min_horizontal(span_days, 91) if isinstance(n, pl.Expr) else min(span_days, 91)
    volume = log(weighted) + log(people) + 0.5 * log(likes) + 0.5 * log(span / 7)
    return volume * n / (n + expected) * 0.5 ** (age_days / 28)


def _examples(texts: list[str | None], tokens: list[list[str] | None], likes: list[int], k: int = 3) -> list[str]:
    """``k`` distinct texts, best first; the lists are in time order (then source, record id)."""
    common = Counter(t for toks in tokens if toks for t in set(toks))
    # most_common breaks ties by first occurrence, i.e. by set iteration order, which changes with
    # PYTHONHASHSEED from one process to the next: break them by the word itself
    top = {t for t, _ in sorted(common.items(), key=lambda item: (-item[1], item[0]))[:10]}
    scored = sorted(
        range(len(texts)),
        key=lambda i: (-len(top & set(tokens[i] or ())), -(likes[i] or 0), -i),
    )
    seen: list[str] = []
    for i in scored:
        text = (texts[i] or "").strip()
        if text and text not in seen:
            seen.append(text if len(text) <= 120 else text[:119] + "…")
        if len(seen) == k:
            break
    return seen


_NAME_SAMPLE = 200  # records of a group its name is chosen from


def _group_examples(
    groups: pl.DataFrame, period: pl.DataFrame, texts: pl.DataFrame | None, text_of: TextReader | None = None
) -> tuple[list[list[str]], list[list[tuple[str, list[str]]]]]:
    """Representative texts of each group, and the (text, tokens) its name is chosen from, in the groups' order
    (title and text from ``text_of`` for the groups' records when the period has none)."""
    key = ["source", "record_id"]
    members = groups.select(pl.int_range(pl.len()).alias("g"), "block", "matter").join(
        period.select(*key, "block", "matter", "created_at", pl.col("likes").fill_null(0)),
        on=["block", "matter"],
    )
    source = texts if texts is not None else period
    wanted = [c for c in ("title", "text", "tokens") if c in source.columns]
    members = members.join(source.select(*key, *wanted), on=key, how="left")
    if text_of is not None and "title" not in members.columns:
        members = members.join(text_of(members.select(key).unique()).select(*key, "title", "text"), on=key, how="left")
    for column in ("title", "text"):
        if column not in members.columns:
            members = members.with_columns(pl.lit(None, pl.String).alias(column))
    if "tokens" not in members.columns:
        members = members.with_columns(tokens=pl.lit(None, pl.List(pl.String)))
    elif members.schema["tokens"] == pl.String:
        members = members.with_columns(pl.col("tokens").str.split(" "))
    by_group = (
        members.sort("created_at", "source", "record_id")
        .group_by("g")
        .agg(
            texts=pl.coalesce("title", "text"),
            full=pl.concat_str(pl.col("title").fill_null(""), pl.col("text").fill_null(""), separator="。"),
            tokens="tokens",
            likes="likes",
        )
        .sort("g")
    )
    found, samples = {}, {}
    for g, t, full, k, likes in zip(
        by_group["g"].to_list(),
        by_group["texts"].to_list(),
        by_group["full"].to_list(),
        by_group["tokens"].to_list(),
        by_group["likes"].to_list(),
        strict=True,
    ):
        found[g] = _examples(t, k, likes)
        samples[g] = [(text, list(toks)) for text, toks in zip(full, k, strict=True) if toks][:_NAME_SAMPLE]
    return [found.get(g, []) for g in range(groups.height)], [samples.get(g, []) for g in range(groups.height)]


#: What a place is counted by in the year before a period (:func:`place_counts`): a hot issue's past.
PLACE_COUNT_COLUMNS = ("place_key", "place_kind", "place_road", "theme_id")


def place_counts(records: pl.DataFrame) -> pl.DataFrame:
    """Records per place key, kind, road and theme (``n``), themed records only: all :func:`hot_issues` reads
    of the year before its period (``past``), which a caller may count in SQL instead of reading the rows."""
    return (
        records.filter(pl.col("theme_id") >= 0)
        .group_by(PLACE_COUNT_COLUMNS)
        .agg(n=pl.len())
        .with_columns(pl.col("n").cast(pl.Int64))
    )


def _road_anchors(counts: pl.DataFrame, min_records: int = 3) -> pl.DataFrame:
    """For each road and theme, the place most records naming a place after that road name (at least
    ``min_records`` of them, more than half): ``place_key`` (the road), ``theme_id``, ``anchor``, ``anchor_kind``.
    ``counts``: :func:`place_counts` rows."""
    named = counts.filter(pl.col("place_road").is_not_null() & (pl.col("place_kind") != "road"))
    kinds = (
        named.group_by("place_road", "theme_id", "place_key", "place_kind")
        .agg(pl.col("n").sum())
        .sort("n", "place_kind", descending=[True, False])
        .group_by("place_road", "theme_id", "place_key", maintain_order=True)
        .agg(n=pl.col("n").sum(), anchor_kind=pl.col("place_kind").first())  # the most common kind, ties by name
    )
    return (
        kinds.with_columns(share=pl.col("n") / pl.col("n").sum().over("place_road", "theme_id"))
        .filter((pl.col("n") >= min_records) & (pl.col("share") > 0.5))
        .select(pl.col("place_road").alias("place_key"), "theme_id", pl.col("place_key").alias("anchor"), "anchor_kind")
    )


def _onto_road_anchors(records: pl.DataFrame, anchored: pl.DataFrame | None = None) -> pl.DataFrame:
    """Records that name only a road join the place people write on that road about the same matter.

    湖滨路东门菜市场外面摊贩占道经营 names the market and the road it is on; a later 湖滨路的摊贩把摊位摆到了
    马路上 names only the road. When, for one theme, most records naming a place after that road name
    one place (at least three of them), the road-only records join it. ``anchored``: the anchors
    (:func:`_road_anchors`), else those of ``records``.
    """
    if "place_road" not in records.columns:
        return records
    anchored = _road_anchors(place_counts(records)) if anchored is None else anchored
    if anchored.is_empty():
        return records
    road_only = pl.col("place_kind") == "road"
    return (
        records.join(anchored, on=["place_key", "theme_id"], how="left")
        .with_columns(
            place_key=pl.when(road_only & pl.col("anchor").is_not_null()).then("anchor").otherwise("place_key"),
            place_kind=pl.when(road_only & pl.col("anchor").is_not_null()).then("anchor_kind").otherwise("place_kind"),
        )
        .drop("anchor", "anchor_kind")
    )


def _busiest_quarter(records: pl.DataFrame, keys: list[str], days: int = 91) -> pl.DataFrame:
    """Each group's records in its busiest ``days``-day window (the latest such window on a tie)."""
    ordered = records.sort(*keys, "created_at", "source", "record_id").with_row_index("_i")
    counts = ordered.rolling("created_at", period=f"{days}d", group_by=keys).agg(_n=pl.len(), _i=pl.col("_i").last())
    best = counts.sort("_n", "created_at").group_by(keys).agg(_end=pl.col("created_at").last())
    return (
        ordered.join(best, on=keys)
        .filter(
            (pl.col("created_at") <= pl.col("_end")) & (pl.col("created_at") > pl.col("_end") - timedelta(days=days))
        )
        .drop("_i", "_end")
    )


def _hot_id(block: str, first_record: str) -> str:
    """``H-<block>-<digest of the earliest record>``: stable as later records join the group."""
    digest = hashlib.blake2b(first_record.encode(), digest_size=4).hexdigest()
    return f"H-{block.replace('theme:', 'theme-')}-{digest}"


def hot_issues(
    records: pl.DataFrame,
    as_of: datetime | None = None,
    weeks: int | None = 13,
    min_records: int = 3,
    top: int | None = None,
    texts: pl.DataFrame | None = None,
    examples_for: int = 200,
    repeats: pl.DataFrame | None = None,
    past: pl.DataFrame | None = None,
    text_of: TextReader | None = None,
) -> pl.DataFrame:
    """Rank place × matter groups by heat. Returns a frame with :data:`HOT_COLUMNS`, hottest first.

    ``records``: source, record_id, created_at, place_key, place, place_kind, theme_id,
    theme_label, category, contact_key, likes, grid_id, street, community, and for the matters and
    the examples title, text and ``tokens`` — in ``records`` or in ``texts`` (source, record_id,
    title, text, tokens), which then needs only the records of the period. ``as_of``: the end of the
    period (default: the end of the latest record's ISO week, :func:`latest_week_end`). ``repeats``:
    the near-duplicate groups (``mart_repeats``) that stand for people where records have no contact.
    Examples and names are chosen for the first ``examples_for`` groups. Records without a theme
    (未归类) are not part of any hot issue. ``past`` (with ``weeks``): the records of the 52 weeks before
    the period counted by :func:`place_counts`, when ``records`` hold only the period: the same result
    as passing those records, without reading them. ``text_of`` (keys → source, record_id, title, text), when
    neither ``records`` nor ``texts`` hold title and text: reads them for the examples' groups only (the
    signals step reads the period's tokens alone, as title and text are most of what the period weighs) —
    the same result as passing them.
    """
    if records.is_empty():
        return pl.DataFrame(schema=HOT_COLUMNS)
    # one order whatever order the rows came in (a join upstream need not keep any): lists of records,
    # examples and ties all follow it
    records = records.sort("created_at", "source", "record_id").with_columns(
        pl.lit(None, pl.String).alias(c) for c in ("place_kind", "place_road") if c not in records.columns
    )
    as_of = as_of or latest_week_end(records)
    start = as_of - timedelta(weeks=weeks) if weeks else records["created_at"].min() - timedelta(seconds=1)
    # the period and the 52 weeks before it (its past) are all a hot issue reads: a caller may pass more
    oldest = start - timedelta(weeks=52) if weeks else records["created_at"].min() - timedelta(seconds=1)
    window = records.filter((pl.col("theme_id") >= 0) & pl.col("created_at").is_between(oldest, as_of, closed="right"))
    if past is not None and weeks:
        window = window.filter(pl.col("created_at") > start)
        before = past.filter(pl.col("theme_id") >= 0)
    else:
        before = place_counts(window.filter(pl.col("created_at") <= start))
    anchored = _road_anchors(pl.concat([place_counts(window), before.select(*PLACE_COUNT_COLUMNS, "n")]))
    placed = _onto_road_anchors(window, anchored)
    period = placed.filter(pl.col("created_at") > start)
    if period.is_empty():
        return pl.DataFrame(schema=HOT_COLUMNS)
    if texts is not None:
        wanted = [c for c in ("title", "text", "tokens") if c in texts.columns]
        period = period.drop([c for c in wanted if c in period.columns]).join(
            texts.select("source", "record_id", *wanted), on=["source", "record_id"], how="left"
        )
    period = with_people(find_matters(period), repeats)
    keys = ["block", "matter"]
    if not weeks:
        period = _busiest_quarter(period, keys)
    # the past of a group: its place's records on its theme (for a city-wide matter: the theme's records
    # without a place) in the 52 weeks before, shared among the place's matters of that theme now
    block = pl.coalesce("place_key", pl.lit("theme:") + pl.col("theme_id").cast(pl.String))
    past = _onto_road_anchors(before, anchored).group_by(block.alias("block"), "theme_id").agg(past=pl.col("n").sum())
    now = period.group_by("block", "theme_id").agg(now=pl.len())
    scale = (weeks or 52) / 52
    groups = (
        period.group_by(keys)
        .agg(
            n=pl.len(),
            n_contacts=pl.col("contact_key").drop_nulls().n_unique(),
            likes=pl.col("likes").fill_null(0).sum(),
            first_at=pl.col("created_at").min(),
            last_at=pl.col("created_at").max(),
            place_key=pl.col("place_key").first(),
            place=pl.col("place").drop_nulls().mode().sort().first(),
            place_kind=pl.col("place_kind").drop_nulls().mode().sort().first(),
            theme_id=pl.col("theme_id").mode().sort().first(),
            street=pl.col("street").drop_nulls().mode().sort().first(),
            community=pl.col("community").drop_nulls().mode().sort().first(),
            grid_id=pl.col("grid_id").drop_nulls().mode().sort().first(),
            records=pl.concat_str("source", pl.lit(":"), "record_id"),
        )
        .join(person_counts(period, keys), on=keys)
        .filter(
            (pl.col("n") >= min_records) & (pl.col("place_key").is_not_null() | (pl.col("n_people") >= min_records))
        )
    )
    if groups.is_empty():
        return pl.DataFrame(schema=HOT_COLUMNS)
    themes = period.group_by("theme_id").agg(
        theme_label=pl.col("theme_label").min(), category=pl.col("category").min()
    )  # one of each per theme
    groups = (
        groups.join(themes, on="theme_id", how="left")
        .join(past, on=["block", "theme_id"], how="left")
        .join(now, on=["block", "theme_id"], how="left")
        .with_columns(
            expected=pl.col("past").fill_null(0) * scale * pl.col("n") / pl.col("now"),
            span_days=((pl.col("last_at") - pl.col("first_at")).dt.total_seconds() / 86400).floor().cast(pl.Int64) + 1,
            age_days=(pl.lit(as_of) - pl.col("last_at")).dt.total_seconds() / 86400 if weeks else pl.lit(0.0),
            is_repeat=mostly_one_person(pl.col("n"), pl.col("top_person_n")),
        )
    )
    groups = groups.with_columns(
        heat=heat_index(
            pl.col("n").cast(pl.Float64),
            pl.col("n_weighted"),
            pl.col("n_people").cast(pl.Float64),
            pl.col("likes").cast(pl.Float64),
            pl.col("span_days").cast(pl.Float64),
            pl.col("expected"),
            pl.col("age_days"),
        )
    ).sort(["heat", "n", "block", "first_at"], descending=[True, True, False, False])
    if top:
        groups = groups.head(top)
    examples, samples = _group_examples(groups.head(examples_for), period, None, text_of)
    examples += [[] for _ in range(groups.height - len(examples))]
    named = groups.head(examples_for)
    names = matter_names(samples, named["place"].to_list(), named["theme_label"].to_list())
    names += groups["theme_label"].to_list()[len(names) :]
    return groups.with_columns(
        rank=pl.int_range(1, pl.len() + 1),
        hot_id=pl.Series(
            [_hot_id(b, r[0]) for b, r in zip(groups["block"].to_list(), groups["records"].to_list(), strict=True)],
            dtype=pl.String,
        ),
        as_of=pl.lit(as_of, pl.Datetime("us")),
        matter=pl.Series(names, dtype=pl.String),
        examples=pl.Series(examples, dtype=pl.List(pl.String)),
    ).select({c: pl.col(c).cast(t) for c, t in HOT_COLUMNS.items()}.values())


__all__ = [
    "HOT_COLUMNS",
    "PLACE_COUNT_COLUMNS",
    "TextReader",
    "heat_index",
    "hot_issues",
    "latest_week_end",
    "place_counts",
    "week_end",
]
