"""Repeats: near-duplicate records about the same matter at the same place within a time window.

Records are compared only inside blocks of one theme at one place (the place found in the text
when there is one, else the grid), and only with records at most ``window_days`` apart. Within a
block the similarity is the cosine of TF-IDF vectors over the records' tokens (scikit-learn's
``TfidfVectorizer`` on the segmented tokens, sublinear term frequency: fitted once over all records
compared, or fixed — the theme model's, or :func:`fitted_tfidf` on a sample where there is no model);
a pair at or above ``threshold`` is a repeat. Pairs are joined into groups by
connected components (scipy), so A~B and B~C put A, B and C in one group even when A and C
differ more.

A group's ``repeat_group_id`` is the key of its earliest record (``source:record_id``): it stays
the same when later records join the group. :func:`update_repeats` brings groups up to date for
new records by comparing only the records of the last window with them and joining the result
to the groups found before; with a fixed vectoriser (the theme model's TF-IDF, which the pipeline
passes) it gives the groups a full recomputation would.

Large blocks are compared in time slices of two windows overlapping by one, so memory stays
bounded by the busiest two windows of one block rather than by the block; small blocks are compared
many at once, in one sparse product whose columns are each block's own terms.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer

REPEAT_COLUMNS: dict[str, pl.DataType] = {
    "source": pl.String(),
    "record_id": pl.String(),
    "created_at": pl.Datetime("us"),
    "repeat_group_id": pl.String(),
    "group_start": pl.Datetime("us"),
    "group_size": pl.Int64(),
    "similarity": pl.Float64(),
}

_SLICE = 400  # records above which a block is compared in time slices
_BATCH = 20_000  # rows of small blocks compared in one product


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _tfidf(joined: bool) -> TfidfVectorizer:
    """The TF-IDF records are compared with when no fixed one is given: over space-joined tokens or token lists."""
    options = {"token_pattern": r"[^ ]+", "lowercase": False} if joined else {"analyzer": _identity}
    # every word counts, those of one record too: without them two different messages that share
    # only their common words look identical
    return TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **options)


def fitted_tfidf(documents: list[str]) -> Callable[[list], object]:
    """A fixed vectoriser for :func:`find_repeats` and :func:`update_repeats`: the TF-IDF fitted on
    ``documents`` (space-joined tokens), transforming the records compared. Where there is no theme model,
    the signals fit it on a sample of the records, so repeats are compared block by block as with the model.

    >>> vectorize = fitted_tfidf(["电梯 故障 困人", "电梯 故障", "楼道 堆物"])
    >>> vectorize(["电梯 故障 维修"]).shape
    (1, 5)
    """
    return _tfidf(True).fit(documents).transform


def find_repeats(
    records: pl.DataFrame,
    threshold: float = 0.6,
    window_days: int = 30,
    min_tokens: int = 3,
    vectorize: Callable[[list], object] | None = None,
) -> pl.DataFrame:
    """Group near-duplicate records; returns one row per record that has at least one repeat.

    ``records``: source, record_id, created_at, theme_id, ``tokens`` (a list of tokens or one
    space-joined string per record), and ``place_key`` and/or ``grid_id`` for the block.
    ``vectorize``: documents → l2-normalised sparse rows (default: TF-IDF fitted on these
    records). ``similarity`` is the record's highest cosine to another member.

    >>> import datetime as dt
    >>> day = dt.datetime(2026, 5, 1)
    >>> frame = pl.DataFrame({
    ...     "source": ["12345"] * 4, "record_id": ["a", "b", "c", "d"],
    ...     "created_at": [day, day + dt.timedelta(days=3), day + dt.timedelta(days=90), day],
    ...     "theme_id": [1, 1, 1, 1], "grid_id": ["G1"] * 4, "place_key": ["翠湖"] * 4,
    ...     "tokens": [["电梯", "故障", "困人", "维修"], ["电梯", "故障", "困人", "维修", "多次"],
    ...                ["电梯", "故障", "困人", "维修"], ["楼道", "堆物", "纸箱", "消防"]]})
    >>> find_repeats(frame).select("record_id", "repeat_group_id").rows()
    [('a', '12345:a'), ('b', '12345:a')]
    """
    empty = pl.DataFrame(schema=REPEAT_COLUMNS)
    joined = records.schema["tokens"] == pl.String
    n_tokens = pl.col("tokens").str.count_matches(" ") + 1 if joined else pl.col("tokens").list.len()
    base = records.filter((pl.col("theme_id") >= 0) & pl.col("tokens").is_not_null() & (n_tokens >= min_tokens))
    if base.height < 2:
        return empty
    place = pl.coalesce(
        pl.col("place_key") if "place_key" in base.columns else pl.lit(None, pl.String),
        pl.col("grid_id") if "grid_id" in base.columns else pl.lit(None, pl.String),
    )
    base = (
        base.with_columns(block=pl.concat_str(pl.col("theme_id").cast(pl.String), pl.lit("|"), place))
        .filter(pl.col("block").is_not_null())
        .sort("block", "created_at", "source", "record_id")
    )
    if base.height < 2:
        return empty
    if vectorize is None:
        vectorize = _tfidf(joined).fit_transform
    try:
        matrix = vectorize(base["tokens"].to_list()).tocsr()
    except ValueError:  # no token occurs twice: nothing can repeat
        return empty
    times = base["created_at"].dt.epoch("s").to_numpy() / 86400.0
    window = float(window_days)
    matrix.sort_indices()  # one order of the shared terms, so a pair's cosine is the same summed in any batch
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    sims: list[np.ndarray] = []

    def keep(product, offset: np.ndarray | int) -> None:
        product = product.tocoo()
        chosen = (product.row < product.col) & (product.data >= threshold)
        r, c = product.row[chosen], product.col[chosen]
        r, c = (offset[r], offset[c]) if isinstance(offset, np.ndarray) else (r + offset, c + offset)
        close = np.abs(times[r] - times[c]) <= window
        rows.append(r[close])
        cols.append(c[close])
        sims.append(product.data[chosen][close])

    blocks = (
        base.with_row_index("i").group_by("block", maintain_order=True).agg(lo=pl.col("i").min(), hi=pl.col("i").max())
    )
    small: list[tuple[int, int]] = []
    for lo, hi in blocks.select("lo", "hi").iter_rows():
        if hi - lo + 1 <= _SLICE:  # small blocks are compared many at once (one product, no Python loop)
            small.append((lo, hi + 1))
            if hi + 1 - small[0][0] >= _BATCH:
                keep(*_within_blocks(matrix, small))
                small = []
            continue
        for a, b in _slices(times, lo, hi + 1, window):
            part = matrix[a:b]
            keep(part @ part.T, a)
    if small:
        keep(*_within_blocks(matrix, small))
    if not rows or sum(len(r) for r in rows) == 0:
        return empty
    r, c, s = np.concatenate(rows), np.concatenate(cols), np.concatenate(sims)
    n = base.height
    graph = coo_matrix((np.ones(len(r)), (r, c)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    best = np.zeros(n)
    np.maximum.at(best, r, s)
    np.maximum.at(best, c, s)
    linked = np.zeros(n, dtype=bool)
    linked[r] = True
    linked[c] = True
    out = base.select("source", "record_id", "created_at").with_columns(
        component=pl.Series(labels), similarity=pl.Series(best.astype(float)), linked=pl.Series(linked)
    )
    out = out.filter("linked").sort("created_at", "source", "record_id")
    first = out.group_by("component", maintain_order=True).agg(
        repeat_group_id=pl.concat_str(pl.col("source").first(), pl.lit(":"), pl.col("record_id").first()),
        group_start=pl.col("created_at").first(),
        group_size=pl.len(),
    )
    return _conform(out.join(first, on="component").with_columns(pl.col("similarity").round(4)))


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select([pl.col(c).cast(t) for c, t in REPEAT_COLUMNS.items()]).sort(
        "repeat_group_id", "created_at", "source", "record_id"
    )


def update_repeats(
    previous: pl.DataFrame,
    records: pl.DataFrame,
    since: datetime,
    threshold: float = 0.6,
    window_days: int = 30,
    min_tokens: int = 3,
    vectorize: Callable[[list], object] | None = None,
) -> pl.DataFrame:
    """Repeat groups after records created at or after ``since`` were added or changed.

    ``previous``: the groups before (:data:`REPEAT_COLUMNS`); ``records``: at least every record
    created at or after ``since − window_days`` (earlier ones are ignored). Records before
    ``since`` keep their groups; a new record that links two old groups joins them under the
    earlier group's id.
    """
    start = since - timedelta(days=window_days)
    fresh = find_repeats(records.filter(pl.col("created_at") >= start), threshold, window_days, min_tokens, vectorize)
    kept = previous.filter(pl.col("created_at") < since)
    key = ["source", "record_id"]
    links = fresh.join(
        kept.select(*key, old_id="repeat_group_id", old_start="group_start"), on=key, how="inner"
    ).select("repeat_group_id", "old_id", "old_start")
    # groups joined by a shared record form one; the earliest record's key names it
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    starts = dict(fresh.select("repeat_group_id", "group_start").unique().iter_rows())
    starts.update(dict(links.select("old_id", "old_start").unique().iter_rows()))
    for new, old in links.select("repeat_group_id", "old_id").unique().iter_rows():
        a, b = root(new), root(old)
        if a != b:
            first, second = sorted((a, b), key=lambda g: (starts[g], g))
            parent[second] = first
    rename = {g: root(g) for g in list(parent)}

    def renamed(column: str) -> pl.Expr:
        return pl.col(column).replace(rename) if rename else pl.col(column)

    fresh_sim = fresh.select(*key, fresh_sim="similarity")
    old_rows = (
        kept.join(fresh_sim, on=key, how="left")
        .with_columns(renamed("repeat_group_id"), pl.max_horizontal("similarity", "fresh_sim").alias("similarity"))
        .drop("fresh_sim")
    )
    new_rows = fresh.join(kept.select(key), on=key, how="anti").with_columns(renamed("repeat_group_id"))
    combined = pl.concat([old_rows, new_rows], how="vertical_relaxed")
    combined = combined.with_columns(
        group_size=pl.len().over("repeat_group_id"), group_start=pl.col("created_at").min().over("repeat_group_id")
    )
    return _conform(combined.filter(pl.col("group_size") >= 2))


def _within_blocks(matrix: csr_matrix, blocks: list[tuple[int, int]]) -> tuple[csr_matrix, np.ndarray]:
    """The products of the rows of each block (``[lo, hi)`` row ranges, in order) with each other, in one
    sparse product: each block's terms are made its own columns, so rows of two blocks share none. Returns the
    product and the matrix row of each of its rows."""
    index = np.concatenate([np.arange(lo, hi) for lo, hi in blocks])
    block = np.concatenate([np.full(hi - lo, k, dtype=np.int64) for k, (lo, hi) in enumerate(blocks)])
    part = matrix[index]
    per_entry = np.repeat(block, np.diff(part.indptr))
    _, columns = np.unique(per_entry * matrix.shape[1] + part.indices.astype(np.int64), return_inverse=True)
    own = csr_matrix((part.data, columns.ravel(), part.indptr), shape=(len(index), int(columns.max(initial=-1)) + 1))
    return own @ own.T, index


def _slices(times: np.ndarray, lo: int, hi: int, window: float) -> list[tuple[int, int]]:
    """Row ranges covering every pair at most ``window`` days apart within rows [lo, hi) sorted by time."""
    if hi - lo <= _SLICE:
        return [(lo, hi)]
    out = []
    start = lo
    while start < hi:
        end_time = times[start] + 2 * window
        end = int(np.searchsorted(times[start:hi], end_time, side="right")) + start
        end = max(end, start + 1)
        out.append((start, end))
        if end >= hi:
            break
        # the next slice starts one window later, so pairs straddling the boundary are seen
        start = max(int(np.searchsorted(times[start:hi], times[start] + window, side="right")) + start, start + 1)
    return out


__all__ = ["REPEAT_COLUMNS", "find_repeats", "update_repeats"]
