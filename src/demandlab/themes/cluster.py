"""How many themes, and where: k-means, over-clustering and merging, carrying a previous fit's themes.

Plain functions over unit vectors in the LSA space, called by
:class:`~demandlab.themes.model.ThemeModel`; the reasoning behind the merge threshold is in that
module's docstring. Every function returns unit-length centres and leaves its inputs untouched.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import AgglomerativeClustering, KMeans, MiniBatchKMeans, kmeans_plusplus
from sklearn.metrics import pairwise_distances_argmin_min
from sklearn.preprocessing import normalize as l2_normalize

UNASSIGNED = -1
SEED_SAMPLE = 20_000  # documents k-means++ seeds on, for corpora above SAMPLE_ABOVE …
SAMPLE_ABOVE = 80_000  # … where full seeding dominates the fit (100k documents: 21.1 s → 13 s)
MINI_BATCH_ABOVE = 200_000  # documents beyond which k-means runs in mini-batches and is not refined


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


def kmeans(vectors: np.ndarray, k: int, random_state: int, init: np.ndarray | None = None) -> np.ndarray:
    """Unit centres of ``k`` k-means clusters (of ``len(init)`` from ``init`` when given).

    Examples
    --------
    >>> vectors = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0], [0.14, 0.99]])
    >>> sorted(kmeans(vectors, 2, random_state=0).argmax(axis=1).tolist())
    [0, 1]
    """
    k = max(1, min(k, len(vectors)))
    if init is not None:
        km = KMeans(n_clusters=len(init), init=init, n_init=1, random_state=random_state)
    elif len(vectors) > MINI_BATCH_ABOVE:
        km = MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=4096, random_state=random_state)
    elif len(vectors) > SAMPLE_ABOVE:
        # k-means++ seeding costs k passes over the data per trial: seed on samples, keep the seeds
        # that fit their sample best, and refine them once on all the documents
        rng = np.random.default_rng(random_state)
        best, best_inertia = None, np.inf
        for trial in range(4):
            sample = vectors[rng.choice(len(vectors), SEED_SAMPLE, replace=False)]
            seeds, _ = kmeans_plusplus(sample, k, random_state=random_state + trial)
            inertia = float(np.square(pairwise_distances_argmin_min(sample, seeds)[1]).sum())
            if inertia < best_inertia:
                best, best_inertia = seeds, inertia
        km = KMeans(n_clusters=k, init=best, n_init=1, random_state=random_state)
    else:
        km = KMeans(n_clusters=k, n_init=4, random_state=random_state)
    km.fit(vectors)
    return l2_normalize(km.cluster_centers_)


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
    if len(similarity) < 3 or np.ptp(similarity) < 1e-6:  # no spread to estimate a density from
        return 1.0
    low = valley(similarity)
    return low if low is not None else float(similarity.mean() + 3 * similarity.std())


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


def overcluster_and_merge(
    vectors: np.ndarray,
    prior: np.ndarray | None,
    *,
    min_themes: int,
    max_themes: int,
    merge_similarity: float | str,
    random_state: int,
) -> tuple[np.ndarray, dict]:
    """Split into ``max_themes`` clusters, merge the parts of one theme, refine: the centres and a trace.

    ``prior`` (a refit): each document's previous theme, -1 for none; its themes seed the result.

    Examples
    --------
    >>> vectors = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0], [0.14, 0.99]] * 5)
    >>> centers, trace = overcluster_and_merge(
    ...     vectors, None, min_themes=2, max_themes=4, merge_similarity=0.9, random_state=0
    ... )
    >>> len(centers), trace
    (2, {'first_split': 4, 'merged_to': 2, 'merge_similarity': 0.9})
    """
    first = kmeans(vectors, min(max_themes, distinct(vectors)), random_state)
    sizes = np.bincount((vectors @ first.T).argmax(axis=1), minlength=len(first)).astype(np.float64)
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
        merged, carried = carry_prior(vectors, prior, merged, threshold, max_themes)
        trace |= carried
    if len(vectors) > MINI_BATCH_ABOVE:
        return merged, trace
    return kmeans(vectors, len(merged), random_state, init=merged), trace


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
    similarity = vectors @ centers.T
    labels = similarity.argmax(axis=1)
    scores = similarity[np.arange(len(labels)), labels]
    labels = np.where(known & (scores >= min_similarity), labels, UNASSIGNED)
    return labels, np.where(known, scores, 0.0)
