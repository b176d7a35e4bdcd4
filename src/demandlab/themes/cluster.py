"""How many themes, and where: a deterministic split, merging its parts, dropping what is too small.

Plain functions over unit vectors in the LSA space, called by
:class:`~demandlab.themes.model.ThemeModel` (the reasoning is in that module's docstring). No
function here draws a random number: the first split is Ward's agglomeration of a sample chosen by
content hash, the refinement is spherical Lloyd iterations from the centres it is given, so the
same documents give the same themes whatever the seed. Every function returns unit-length centres
and leaves its inputs untouched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.preprocessing import normalize as l2_normalize

UNASSIGNED = -1
WARD_SAMPLE = 6_000  # distinct documents the first split agglomerates (Ward keeps n² / 2 distances: 144 MB)
REFINE_ITERATIONS = 30  # Lloyd iterations at most; they stop earlier when no document changes theme
MIN_CENTRES_TO_ESTIMATE = 8  # fewer centres give too few similarities (28) to find a valley in: none merge
CHUNK = 200_000  # documents per block of similarities (200,000 × 150 float32: 120 MB)


def content_order(docs: Sequence[str]) -> np.ndarray:
    """Indices of the distinct documents, ordered by a hash of their content.

    The first ``m`` of them are a sample that depends on what the documents say, not on their order,
    the random seed or the process (``hash()`` is salted per process; BLAKE2 is not); a message sent
    a hundred times counts once.

    Examples
    --------
    >>> order = content_order(["电梯 故障", "垃圾 清运", "电梯 故障"])
    >>> sorted(order.tolist())
    [0, 1]
    >>> content_order(["垃圾 清运", "电梯 故障"]).tolist() == content_order(["电梯 故障", "垃圾 清运"]).tolist()[::-1]
    True
    """
    first: dict[bytes, int] = {}
    for i, doc in enumerate(docs):
        first.setdefault(hashlib.blake2b(doc.encode("utf-8"), digest_size=8).digest(), i)
    return np.array([first[key] for key in sorted(first)], dtype=np.int64)


def distinct(vectors: np.ndarray) -> int:
    """How many different documents there are (a tiny corpus may hold few).

    Examples
    --------
    >>> distinct(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    2
    """
    return len(np.unique(vectors[:50_000].round(4), axis=0))


def valley(similarity: np.ndarray) -> float | None:
    """The low point between unrelated cluster pairs and pairs that are parts of one theme.

    The similarities between the first split's centres form a large background near zero (unrelated
    clusters) and, when k-means cut themes into parts, a second group of higher similarities. The
    threshold is the first minimum of their density (Gaussian kernel estimate) past the background's
    peak that is deep (below a quarter of that peak) and followed by a real second group (density
    rising again at least 1.5-fold, holding at least 0.5 % of the pairs). At a first split of 150 the
    parts of a theme form a broad, flat group, which a twofold rise missed. None when there is no such
    valley: a fuzzy corpus whose similarities form one hump.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> two_groups = np.concatenate([rng.normal(0.0, 0.05, 5000), rng.normal(0.6, 0.05, 500)])
    >>> 0.15 < valley(two_groups) < 0.45
    True
    """
    from scipy.stats import gaussian_kde

    grid = np.linspace(similarity.min(), similarity.max(), 400)
    density = gaussian_kde(similarity, bw_method=0.15)(grid)
    peak = int(density.argmax())
    for i in range(peak + 1, len(grid) - 1):
        is_minimum = density[i] <= density[i - 1] and density[i] <= density[i + 1]
        if not is_minimum or density[i] >= 0.25 * density[peak]:
            continue
        rises = density[i + 1 :].max() >= 1.5 * max(density[i], 1e-12)
        if rises and (similarity > grid[i]).mean() >= 0.005:
            return float(grid[i])
    return None


def ward_centers(vectors: np.ndarray, k: int) -> np.ndarray:
    """Unit centres of ``k`` groups cut from Ward's agglomeration of ``vectors`` (at most k distinct).

    Deterministic: the tree of merges depends only on the vectors.

    Examples
    --------
    >>> vectors = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0], [0.14, 0.99]])
    >>> ward_centers(vectors, 2).round(2).tolist()
    [[1.0, 0.07], [0.07, 1.0]]
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    unique = np.unique(vectors, axis=0)
    if len(unique) <= max(k, 1):
        return l2_normalize(unique)
    groups = fcluster(linkage(vectors.astype(np.float64), "ward"), t=k, criterion="maxclust")
    return l2_normalize(np.vstack([vectors[groups == g].mean(axis=0) for g in np.unique(groups)]))


def labels_of(vectors: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Each vector's most similar centre, computed in blocks so that a million documents fit in memory."""
    out = np.empty(len(vectors), dtype=np.int64)
    for start in range(0, len(vectors), CHUNK):
        out[start : start + CHUNK] = (vectors[start : start + CHUNK] @ centers.T).argmax(axis=1)
    return out


def _sums_by_label(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Per label, the sum of its vectors in float64 (a one-hot matrix product: np.add.at is ~50× slower)."""
    from scipy.sparse import csr_matrix

    n = len(labels)
    # row j of the one-hot matrix lists label j's documents in index order: the sums add them in that order
    members = np.argsort(labels, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=k))])
    onehot = csr_matrix((np.ones(n, dtype=np.float64), members, starts), shape=(k, n))
    return np.asarray(onehot @ vectors, dtype=np.float64)


def refine(vectors: np.ndarray, centers: np.ndarray, iterations: int = REFINE_ITERATIONS) -> np.ndarray:
    """Spherical k-means (Lloyd) from ``centers``: each centre becomes the mean direction of its documents.

    Stops when no document changes centre. A centre no document reaches keeps its place (it is
    dropped later, as too small).

    Examples
    --------
    >>> vectors = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    >>> refine(vectors, np.array([[1.0, 0.0], [0.0, 1.0]])).round(3).tolist()
    [[0.949, 0.316], [0.0, 1.0]]
    """
    centers = l2_normalize(centers)
    labels = None
    for _ in range(iterations):
        new = labels_of(vectors, centers)
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        sums = _sums_by_label(vectors, labels, len(centers))
        reached = np.bincount(labels, minlength=len(centers)) > 0
        centers = np.where(reached[:, None], l2_normalize(sums), centers).astype(vectors.dtype)
    return centers


def prune(vectors: np.ndarray, centers: np.ndarray, min_size: int, min_themes: int) -> np.ndarray:
    """Drop centres that fewer than ``min_size`` documents choose, refining after each round.

    The smallest go first and never below ``min_themes`` centres (or one); their documents join the
    nearest remaining theme.

    Examples
    --------
    >>> vectors = np.array([[1.0, 0.0]] * 5 + [[0.0, 1.0]] * 5 + [[0.7, 0.7]])
    >>> len(prune(vectors, np.array([[1.0, 0.0], [0.0, 1.0], [0.71, 0.71]]), min_size=3, min_themes=1))
    2
    """
    floor = max(min_themes, 1)
    for _ in range(20):
        sizes = np.bincount(labels_of(vectors, centers), minlength=len(centers))
        small = sizes < min_size
        if not small.any() or len(centers) <= floor:
            break
        keep = ~small
        if keep.sum() < floor:  # keep the largest `floor` centres
            keep = np.zeros(len(centers), dtype=bool)
            keep[np.argsort(-sizes, kind="stable")[:floor]] = True
        centers = refine(vectors, centers[keep])
    return centers


def merge_threshold(centers: np.ndarray, merge_similarity: float | str) -> float:
    """How alike two cluster centres must be to merge: ``merge_similarity``, or from the data when "auto".

    Examples
    --------
    >>> merge_threshold(np.eye(3), 0.4)
    0.4
    >>> merge_threshold(np.eye(3), "auto")   # every pair equally (un)alike: nothing to estimate, nothing merges
    1.0
    """
    if merge_similarity != "auto":
        return float(merge_similarity)
    similarity = (centers @ centers.T)[np.triu_indices(len(centers), 1)]
    # a handful of centres (a tiny corpus) or no spread: too little to estimate a density from
    if len(centers) < MIN_CENTRES_TO_ESTIMATE or np.ptp(similarity) < 1e-6:
        return 1.0
    low = valley(similarity)
    # a corpus whose centres are all very alike could ask for more than 1: nothing merges then
    return low if low is not None else min(1.0, float(similarity.mean() + 3 * similarity.std()))


def _merge(centers: np.ndarray, threshold: float) -> np.ndarray:
    """Group labels of ``centers`` by average linkage, cut where they are less alike than ``threshold``."""
    return (
        AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average", distance_threshold=1.0 - threshold)
        .fit(centers)
        .labels_
    )


def carry_prior(
    vectors: np.ndarray, prior: np.ndarray, merged: np.ndarray, threshold: float, max_themes: int
) -> tuple[np.ndarray, dict]:
    """The previous themes' centroids in this space, plus the merged clusters none of them covers.

    Returns the centres and what was carried (empty when no previous theme had enough documents).

    Examples
    --------
    >>> vectors = np.array([[1.0, 0.0]] * 5 + [[0.0, 1.0]] * 5)
    >>> centers, trace = carry_prior(vectors, np.array([0] * 5 + [-1] * 5), np.eye(2), 0.5, max_themes=10)
    >>> centers.tolist(), trace
    ([[1.0, 0.0], [0.0, 1.0]], {'carried': 1, 'new': 1})
    """
    themes, counts = np.unique(prior[prior >= 0], return_counts=True)
    themes = themes[counts >= 5]  # a handful of records does not make a theme worth carrying
    if len(themes) == 0:
        return merged, {}
    sums = np.vstack([vectors[prior == t].sum(axis=0) for t in themes])
    carried = l2_normalize(sums)
    if len(carried) > 1:
        # previous themes that are one theme by this fit's own criterion become one
        groups = _merge(carried, threshold)
        carried = l2_normalize(np.vstack([sums[groups == g].sum(axis=0) for g in range(groups.max() + 1)]))
    new = merged[(merged @ carried.T).max(axis=1) < threshold]
    centers = np.vstack([carried, new])
    return centers[: max(max_themes, len(carried))], {"carried": len(carried), "new": len(new)}


def first_split_size(n_documents: int, *, min_themes: int, max_themes: int, min_theme_size: int) -> int:
    """Clusters of the first split: as many as the corpus could fill with themes of ``min_theme_size``.

    At most ``max_themes``; merging and dropping small themes then bring the count down to the data's.

    Examples
    --------
    >>> first_split_size(2_000, min_themes=2, max_themes=150, min_theme_size=20)
    100
    >>> first_split_size(1_000_000, min_themes=2, max_themes=150, min_theme_size=20)
    150
    >>> first_split_size(30, min_themes=2, max_themes=150, min_theme_size=20)
    2
    """
    return int(min(max_themes, max(min_themes, n_documents // max(min_theme_size, 1))))


def split_and_merge(
    vectors: np.ndarray,
    sample: np.ndarray,
    prior: np.ndarray | None,
    *,
    min_themes: int,
    max_themes: int,
    min_theme_size: int,
    merge_similarity: float | str,
) -> tuple[np.ndarray, dict]:
    """Split, merge the parts of one theme, refine and drop what is too small: the centres and a trace.

    ``sample``: indices of the documents the first split agglomerates (:func:`content_order`).
    ``prior`` (a refit): each document's previous theme, -1 for none; its themes seed the result.

    Examples
    --------
    >>> vectors = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0], [0.14, 0.99]] * 5)
    >>> centers, trace = split_and_merge(
    ...     vectors, np.arange(4), None, min_themes=2, max_themes=4, min_theme_size=1, merge_similarity=0.9
    ... )
    >>> len(centers), trace
    (2, {'first_split': 4, 'merged_to': 2, 'merge_similarity': 0.9, 'dropped_small': 0})
    """
    k = first_split_size(len(vectors), min_themes=min_themes, max_themes=max_themes, min_theme_size=min_theme_size)
    first = refine(vectors, ward_centers(vectors[sample], k))
    sizes = np.bincount(labels_of(vectors, first), minlength=len(first)).astype(np.float64)
    groups = np.arange(len(first))
    threshold = merge_threshold(first, merge_similarity)
    if len(first) > min_themes:
        groups = _merge(first, threshold)
        if groups.max() + 1 < min_themes:
            groups = (
                AgglomerativeClustering(n_clusters=min_themes, metric="cosine", linkage="average").fit(first).labels_
            )
    merged = l2_normalize(
        np.vstack([(first[groups == g] * sizes[groups == g, None]).sum(axis=0) for g in range(groups.max() + 1)])
    )
    trace = {"first_split": len(first), "merged_to": len(merged), "merge_similarity": round(threshold, 4)}
    if prior is not None:
        # a cluster too small to be a theme must not enter a refit as new and pull records off the old ones
        merged_sizes = np.array([sizes[groups == g].sum() for g in range(groups.max() + 1)])
        if (merged_sizes >= min_theme_size).any():
            merged = merged[merged_sizes >= min_theme_size]
        merged, carried = carry_prior(vectors, prior, merged, threshold, max_themes)
        trace |= carried
    refined = refine(vectors, merged)
    # a refit keeps the themes it carried (their ids are trend lines); new clusters were sized above
    centers = (
        refined if prior is not None and trace.get("carried") else prune(vectors, refined, min_theme_size, min_themes)
    )
    trace["dropped_small"] = len(refined) - len(centers)
    return centers, trace


def nearest(
    vectors: np.ndarray, centers: np.ndarray, known: np.ndarray, min_similarity: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each document's nearest centre and its cosine similarity; -1 when unknown or below ``min_similarity``.

    Examples
    --------
    >>> labels, scores = nearest(np.eye(2), np.eye(2), np.array([True, False]), 0.5)
    >>> labels.tolist(), scores.tolist()
    ([0, -1], [1.0, 0.0])
    """
    if len(centers) == 0:  # a degraded fit without themes
        return np.full(len(vectors), UNASSIGNED, dtype=np.int64), np.zeros(len(vectors))
    # float64: a float32 product depends on the batch's blocking in the last bits, which rounding can show
    similarity = vectors.astype(np.float64) @ centers.T.astype(np.float64)
    labels = similarity.argmax(axis=1)
    scores = similarity[np.arange(len(labels)), labels]
    labels = np.where(known & (scores >= min_similarity), labels, UNASSIGNED)
    return labels, np.where(known, scores, 0.0)
