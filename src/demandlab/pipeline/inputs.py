"""What each stage reads: one function per input, each a query from ``sql/io`` returning a frame.

Reading is kept apart from the stages (which never touch the database) and from how their
outputs land (:mod:`.outputs`). Every function takes the store and plain values.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import polars as pl

from .. import schema, sql
from ..store import Store, quote, registered


class Query(NamedTuple):
    """A stage's input as SQL and its parameters: the runner streams it in batches (:mod:`.batches`)."""

    sql: str
    params: list | None = None

    def read(self, store: Store) -> pl.DataFrame:
        """All of it at once (analysts' tools and tests)."""
        return store.sql(self.sql, self.params)


def untagged_focus(store: Store) -> pl.DataFrame:
    """Records without their 一老一小 tags (cleaned before schema version 8): key, title and text."""
    return store.sql("select source, record_id, title, text from records where focus is null")


def pending_raw() -> Query:
    """The current version of every record with a version not yet cleaned (restricted file)."""
    return Query(sql.text("io/pending_raw"))


def place_names(store: Store) -> list[str]:
    """Compounds, communities and streets of the registry (kept whole by the segmenter)."""
    return store.sql(sql.text("io/place_names"))["name"].to_list()


def strip_place_names(store: Store) -> list[str]:
    """Place names the fit keeps out of theme features: the registry's, and what the place finder found."""
    return store.sql(sql.text("io/strip_place_names"))["name"].to_list()


def pending_tokens(segmenter: str) -> Query:
    return Query(sql.text("io/pending_tokens"), [segmenter])


def pending_assign(version: str) -> Query:
    return Query(sql.text("io/pending_assign"), [version])


def model_facts(store: Store, version: str) -> tuple[dt.date | None, dt.date | None, int, float | None]:
    """What the refit policy looks at: the model's window end, the data's end, and the newer records."""
    row = store.sql(sql.text("io/model_window"), [version])
    if row.height == 0 or row["window_end"][0] is None:
        return None, None, 0, None
    window_end, data_end = row.row(0)
    newer, share = store.sql(sql.text("io/newer_records"), [window_end]).row(0)
    return window_end, data_end, newer, share


def cluster_themes(store: Store, version: str) -> dict[int, int]:
    """Cluster → theme id (before analysts' merges) of a fitted model."""
    rows = store.sql("select cluster, theme_id from theme_clusters where model_version = ?", [version])
    return dict(rows.iter_rows())


def data_end(store: Store) -> dt.date | None:
    return store.scalar("select max(week_start) from records")


def fit_tokens(store: Store, start: dt.date, sample: int) -> pl.DataFrame:
    """Tokens and text of the records the fit learns from: from ``start`` on, at most ``sample`` of them (a
    fixed sample by a hash of the key, so a record stays in it as the window slides), by key."""
    return store.sql(sql.text("io/fit_tokens"), [start, sample])


def _of_keys(store: Store, query: str, keys: pl.DataFrame) -> pl.DataFrame:
    """``query`` (reading the table ``_keys``: source, record_id) over ``keys``."""
    with registered(store.con, "_keys", keys.select("source", "record_id")):
        return store.sql(query)


def prior_clusters(store: Store, keys: pl.DataFrame) -> pl.Series:
    """The cluster each of ``keys`` (source, record_id) has under the current model (null: none)."""
    query = "select source, record_id, cluster from assignments semi join _keys using (source, record_id)"
    clusters = _of_keys(store, query + " where cluster is not null", keys)
    return keys.join(clusters, on=["source", "record_id"], how="left", maintain_order="left")["cluster"]


def previous_assignments(store: Store, keys: pl.DataFrame) -> pl.DataFrame:
    """The theme of each of ``keys`` under the previous fit (:file:`sql/io/previous_assignments.sql`)."""
    return _of_keys(store, sql.text("io/previous_assignments"), keys)


def known_themes(store: Store) -> pl.DataFrame:
    return store.sql(sql.text("io/known_themes"))


def themes(store: Store) -> pl.DataFrame:
    return store.sql("select * from themes order by theme_id")


def compounds(store: Store) -> list[str]:
    return store.sql("select distinct compound from places where compound is not null order by 1")["compound"].to_list()


def pending_places(everything: bool) -> Query:
    return Query(sql.text("io/pending_places", everything="true" if everything else "false"))


def located_compounds(store: Store) -> list[str]:
    return store.sql("select distinct place_key from record_places where place_kind = 'compound' order by 1")[
        "place_key"
    ].to_list()


def label_column(name: str) -> str:
    """A records column to learn or compare with, quoted (anything else is refused)."""
    if name not in schema.RECORD:
        raise ValueError(f"unknown label column {name!r}; a records column such as 'category' or 'kind'")
    return quote(name)


def evaluate_frame(store: Store, label: str | None) -> pl.DataFrame:
    return store.sql(sql.text("io/evaluate_frame", label=f"r.{label_column(label)}" if label else "null"))


def active_keywords(store: Store) -> list[list[str]]:
    query = "select keywords from themes where theme_id >= 0 and status = 'active' and size > 0 order by theme_id"
    return store.sql(query)["keywords"].to_list()


def export_themes(store: Store) -> pl.DataFrame:
    return store.sql(sql.text("io/export_themes"))


def classifier_data(store: Store, label: str, source: str | None = None) -> pl.DataFrame:
    """Records with tokens, text and the label (null where the record has none)."""
    query = sql.text("io/classifier_data", label=label_column(label), where="where r.source = ?" if source else "")
    return store.sql(query, [source] if source else None)
