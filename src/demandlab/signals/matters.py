"""Matters: what records at one place say, finer than a theme (捆绑销售车位 inside 停车), and its name.

A hot issue is one place and one specific matter. Themes are too coarse for that (a compound's
parking-space bundling and its residents' parking fees are both 停车) and sometimes too fine (one
matter written two ways can fall into two themes). So, within a **block** — the records naming
one place, whatever their theme; or, for records that name no place, the records of one theme —
records are grouped by what they say:

* each record is a TF-IDF vector of its tokens (fitted on the records being grouped, document
  frequencies over distinct texts, sublinear term frequency), without the tokens of its own place
  name (which every record at the place shares and which says nothing about the matter);
* records are clustered by average linkage on cosine distance and cut where the average
  similarity between two groups falls below :data:`PLACE_SIMILARITY` (records at one place) or
  :data:`PLACELESS_SIMILARITY` (records that share only a theme: a city-wide matter such as a
  subsidy policy must say the same thing to be one matter);
* a block larger than :data:`MAX_BLOCK` records is clustered in slices of that size in time order
  and the slices' groups joined by the same rule on their centres, so memory stays bounded by
  the slice.

A matter is named by a phrase its records wrote (:func:`demandlab.themes.keywords.phrase_labels`,
contrasting the matters with each other; no word of a group's place and no word the dictionary
tags as a place name: 秀洲区 · 王江泾 does not name a matter), else by the theme's label.
Everything is a function of the records' content and order (created_at, source, record_id).
"""

from __future__ import annotations

import functools

import numpy as np
import polars as pl
import pyarrow as pa
import scipy.sparse as sp
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

#: Average cosine similarity at which records naming one place are one matter.
PLACE_SIMILARITY = 0.06
#: Average cosine similarity at which records that name no place (one theme) are one matter.
PLACELESS_SIMILARITY = 0.25
#: Records clustered at once; larger blocks are clustered in slices of this size.
MAX_BLOCK = 1_500


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def matter_tokens(tokens: list[str] | None, place: str | None) -> list[str]:
    """A record's tokens without those of its place name (翠湖, 小区 in 翠湖小区 …): the definition; find_matters
    computes the same for every record at once in polars.

    >>> matter_tokens(["伊景园", "滨河苑", "捆绑", "销售", "车位"], "伊景园滨河苑")
    ['捆绑', '销售', '车位']
    """
    if not tokens:
        return []
    if not place:
        return list(tokens)
    return [t for t in tokens if not (len(t) >= 2 and t in place)]


def _cluster(vectors: sp.csr_matrix, similarity: float) -> np.ndarray:
    """Average-linkage clusters of the l2-normalised rows, cut at ``similarity``; labels 0…k−1 in order
    of each cluster's first row."""
    n = vectors.shape[0]
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    sims = (vectors @ vectors.T).toarray()
    distance = np.clip(1.0 - sims, 0.0, 2.0)
    labels = cut(linkage(squareform(distance, checks=False), method="average"), 1.0 - similarity)
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(np.argsort(first, kind="stable"), kind="stable")  # cluster rank by its first row
    _, inverse = np.unique(labels, return_inverse=True)
    return order[inverse].astype(np.int64)


def cut(merges: np.ndarray, distance: float) -> np.ndarray:
    """Flat clusters of a linkage whose heights never decrease (scipy's ``linkage`` returns them sorted): the
    merges at most ``distance`` high, joined — what ``fcluster(merges, distance, "distance")`` gives, without its
    checks of the linkage, which cost more than clustering the ten thousand small blocks of a busy district.
    Labels are each row's cluster root (not numbered 1…k).

    >>> cut(np.array([[0.0, 1.0, 0.1, 2.0], [2.0, 3.0, 0.5, 3.0]]), 0.3).tolist()
    [3, 3, 2]
    """
    n = len(merges) + 1
    k = int(np.searchsorted(merges[:, 2], distance, side="right"))  # the merges at most ``distance`` high
    root = np.arange(n + k)
    joined = np.arange(n, n + k)
    root[merges[:k, 0].astype(np.int64)] = joined
    root[merges[:k, 1].astype(np.int64)] = joined
    while True:  # each row to the last cluster it is merged into: pointer jumping
        up = root[root]
        if np.array_equal(up, root):
            return root[:n]
        root = up


def _normalised(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)


def cluster_block(vectors: sp.csr_matrix, similarity: float, max_block: int = MAX_BLOCK) -> np.ndarray:
    """Matter labels of one block's rows (l2-normalised, in time order); see the module docstring.

    >>> rows = _normalised(sp.csr_matrix(np.array([[1.0, 0, 0], [0.9, 0.1, 0], [0, 0, 1.0]])))
    >>> cluster_block(rows, 0.5).tolist(), cluster_block(rows, 0.5, max_block=2).tolist()
    ([0, 0, 1], [0, 0, 1])
    """
    n = vectors.shape[0]
    if n <= max_block:
        return _cluster(vectors, similarity)
    labels = np.empty(n, dtype=np.int64)
    centres, offset = [], 0
    for lo in range(0, n, max_block):
        part = _cluster(vectors[lo : lo + max_block], similarity)
        labels[lo : lo + max_block] = part + offset
        k = int(part.max()) + 1
        member = sp.csr_matrix((np.ones(len(part)), (part, np.arange(len(part)))), shape=(k, len(part)))
        centres.append(member @ vectors[lo : lo + max_block])
        offset += k
    joined = cluster_block(_normalised(sp.vstack(centres).tocsr()), similarity, max_block)
    return joined[labels]


#: Records whose tokens are exploded at once when counting (memory follows the slice, not the period).
COUNT_SLICE = 100_000


def _token_pairs(records: pl.DataFrame) -> pl.DataFrame:
    """(row, token) of every token of ``records`` (a list, or one space-joined string) that is not part of
    the record's place name (:func:`matter_tokens`, here in polars); ``row`` counts from 0 in ``records``."""
    tokens = pl.col("tokens").str.split(" ") if records.schema["tokens"] == pl.String else pl.col("tokens")
    return (
        records.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("row"), pl.col("place").fill_null(""), tokens)
        .explode("tokens")
        .rename({"tokens": "token"})
        .filter(pl.col("token").is_not_null())
        .filter(~((pl.col("token").str.len_chars() >= 2) & pl.col("place").str.contains(pl.col("token"), literal=True)))
        .select("row", "token")
    )


def _token_counts(records: pl.DataFrame, slice_rows: int | None = None) -> sp.csr_matrix:
    """How often each record (a row of ``records``) uses each token (a column, tokens in code-point order),
    without the tokens of its place name (:func:`matter_tokens`); canonical CSR (sorted columns, no
    duplicates). Counted ``slice_rows`` records at a time: a period of a million records holds tens of millions
    of tokens, which exploded at once took gigabytes. Each slice numbers its tokens in its own sorted
    vocabulary; the slices' vocabularies merged, each slice's numbers are mapped onto the whole one, which keeps
    their order (both sorted), so each row's columns stay sorted. The same matrix whatever the slice."""
    slice_rows = max(slice_rows or COUNT_SLICE, 1)
    parts = []  # per slice: its sorted vocabulary, and (row, term, n) numbered in it, sorted by row and term
    for lo in range(0, records.height, slice_rows):
        pairs = _token_pairs(records.slice(lo, slice_rows))
        # sorted as Python sorts it (UTF-8 bytes sort in code-point order): CountVectorizer's columns
        vocabulary = pairs.select(pl.col("token").unique().sort()).with_row_index("term")
        counted = pairs.join(vocabulary, on="token").group_by("row", "term").agg(n=pl.len()).sort("row", "term")
        parts.append((lo, vocabulary["token"], counted))
        del pairs
    merged = pl.concat([tokens for _, tokens, _ in parts]).unique().sort() if parts else pl.Series([], dtype=pl.String)
    numbered = merged.to_frame("token").with_row_index("global")
    lengths = np.zeros(records.height, dtype=np.int64)
    indices, data = [], []
    for lo, tokens, counted in parts:
        whole = tokens.to_frame().join(numbered, on="token", how="left", maintain_order="left")["global"].to_numpy()
        np.add.at(lengths, counted["row"].to_numpy() + lo, 1)
        indices.append(whole[counted["term"].to_numpy()].astype(np.int32))
        data.append(counted["n"].to_numpy().astype(np.int64))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    return sp.csr_matrix(
        (
            np.concatenate(data) if data else np.zeros(0, dtype=np.int64),
            np.concatenate(indices) if indices else np.zeros(0, dtype=np.int32),
            indptr,
        ),
        shape=(records.height, merged.len()),
    )


def _distinct_rows(counts: sp.csr_matrix) -> np.ndarray:
    """The rows of canonical ``counts`` that are the first with their terms and counts (equal rows compared
    byte for byte: each row's (term, count) pairs as one binary value, which polars tells apart)."""
    pairs = np.empty(counts.nnz, dtype=[("term", "<i4"), ("n", "<i8")])
    pairs["term"], pairs["n"] = counts.indices, counts.data
    width = pairs.dtype.itemsize
    offsets = (counts.indptr.astype(np.int64) * width).tobytes()
    rows = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), counts.shape[0], [None, pa.py_buffer(offsets), pa.py_buffer(pairs.tobytes())]
    )
    first = pl.Series("row", rows).is_first_distinct().to_numpy()
    return np.flatnonzero(first)


def _tfidf(counts: sp.csr_matrix) -> sp.csr_matrix:
    """One l2-normalised TF-IDF row for each row of ``counts`` that has a token, in order: sublinear term
    frequency, document frequencies over distinct texts (a message sent 30 times is one document, not 30
    that make its own words look common)."""
    counts = counts[np.diff(counts.indptr) > 0]
    distinct = _distinct_rows(counts)
    return TfidfTransformer(sublinear_tf=True).fit(counts[distinct]).transform(counts).tocsr()


def find_matters(records: pl.DataFrame) -> pl.DataFrame:
    """``records`` with ``block`` (the place key, else ``theme:<id>``) and ``matter`` (an integer, unique
    across blocks, numbered in order of blocks and of each matter's first record).

    ``records``: source, record_id, created_at, place_key, place, theme_id and ``tokens`` (a list or
    one space-joined string), in any order. Records without tokens (or a frame without the column)
    are grouped by theme at their place, as the themes found them; without a place each is its own
    matter (a whole theme is no city-wide matter).
    """
    records = records.sort("created_at", "source", "record_id").with_columns(
        block=pl.coalesce("place_key", pl.lit("theme:") + pl.col("theme_id").cast(pl.String))
    )
    if records.is_empty():
        return records.with_columns(matter=pl.lit(None, pl.Int64))
    if "tokens" not in records.columns:
        records = records.with_columns(tokens=pl.lit(None, pl.List(pl.String)))
    # the records block by block (each in time order), so that each block's vectors are consecutive rows
    has_place = pl.col("place_key").is_not_null().alias("placed")
    in_blocks = records.select(pl.int_range(pl.len()).alias("i"), "block", "place", "tokens", "theme_id", has_place)
    in_blocks = in_blocks.sort("block", "i")
    counts = _token_counts(in_blocks)
    useful = np.diff(counts.indptr) > 0
    vectors = _tfidf(counts) if counts.nnz else None
    position = np.cumsum(useful) - 1  # row of each useful record in ``vectors``
    bounds = (
        in_blocks.with_row_index("at")
        .group_by("block", maintain_order=True)
        .agg(lo=pl.col("at").first(), hi=pl.col("at").last() + 1, placed=pl.col("placed").first())
    )
    themes = in_blocks["theme_id"].to_numpy()
    matters = np.empty(in_blocks.height, dtype=np.int64)
    offset = 0
    for lo, hi, placed in bounds.select("lo", "hi", "placed").iter_rows():
        rows = np.arange(lo, hi)
        with_text = rows[useful[lo:hi]]
        if len(with_text):
            similarity = PLACE_SIMILARITY if placed else PLACELESS_SIMILARITY
            labels = cluster_block(vectors[position[with_text[0]] : position[with_text[-1]] + 1], similarity)
            matters[with_text] = labels + offset
            offset += int(labels.max()) + 1
        without = rows[~useful[lo:hi]]
        if not placed:  # no place and no words: nothing says two of them are one matter
            matters[without] = np.arange(offset, offset + len(without))
            offset += len(without)
            continue
        for theme in np.unique(themes[without]):
            matters[without[themes[without] == theme]] = offset
            offset += 1
    found = np.empty_like(matters)
    found[in_blocks["i"].to_numpy()] = matters
    return records.with_columns(pl.Series("matter", found, dtype=pl.Int64))


@functools.cache
def _tags():
    """The dictionary's part-of-speech tags of a word (place names, ``ns``, never name a matter)."""
    from ..text.segment import Segmenter
    from ..themes.keywords import word_tagger

    return word_tagger(Segmenter())


def matter_names(
    groups: list[list[tuple[str, list[str]]]], places: list[str | None], fallback: list[str | None]
) -> list[str | None]:
    """A phrase each group's records wrote that sets it apart from the other groups, else ``fallback``.

    ``groups``: per group, its records as (title and text, tokens); ``places``: each group's place
    (its words are never part of a name).

    >>> parking = [("开发商捆绑销售车位", ["开发商", "捆绑", "销售", "车位"])] * 3
    >>> noise = [("搅拌站夜间噪音扰民", ["搅拌站", "夜间", "噪音", "扰民"])] * 3
    >>> matter_names([parking, noise], ["滨河苑", None], ["停车", "噪音"])
    ['开发商捆绑销售车位', '搅拌站夜间噪音扰民']
    """
    from ..themes.keywords import class_keywords, phrase_labels

    docs = [tokens for group in groups for _, tokens in group]
    if not docs or not any(docs):
        return list(fallback)
    labels = np.array([g for g, group in enumerate(groups) for _ in group])
    vectorizer = CountVectorizer(analyzer=_identity, lowercase=False)
    counts = vectorizer.fit_transform(docs).tocsr()
    vocabulary = vectorizer.get_feature_names_out().tolist()
    keywords, weights = class_keywords(counts, labels, len(groups), vocabulary, n_keywords=10)
    named = sorted({p for p in places if p})
    exclude = sorted({t for t in vocabulary if len(t) >= 2 and any(t in p for p in named)})
    names = phrase_labels(groups, keywords, weights, exclude=exclude, tags=_tags())
    return [name if names_a_matter(name) else fb for name, fb in zip(names, fallback, strict=True)]


#: Endings of the names of organisations: a phrase ending so says who is involved, not what the matter is.
ORGANISATION_ENDINGS = ("公司", "集团", "局", "委员会")


def names_a_matter(name: str | None) -> bool:
    """Whether a phrase can name a matter: not empty, and not the name of an organisation (on a real board a
    city-wide matter of four developers' misconduct at sale was named 房地产开发有限公司; its theme, 虚假宣传,
    says more).

    >>> names_a_matter("捆绑销售车位"), names_a_matter("房地产开发有限公司"), names_a_matter("公司经营不善")
    (True, False, True)
    """
    return bool(name) and not name.replace(" ", "").endswith(ORGANISATION_ENDINGS)


__all__ = [
    "MAX_BLOCK",
    "ORGANISATION_ENDINGS",
    "PLACELESS_SIMILARITY",
    "PLACE_SIMILARITY",
    "cluster_block",
    "cut",
    "find_matters",
    "matter_names",
    "matter_tokens",
    "names_a_matter",
]
