"""The theme model's document space: vocabulary, sublinear TF-IDF and the LSA axes.

Plain functions over arrays, called by :class:`~demandlab.themes.model.ThemeModel`: ``learn_*``
functions learn from the documents of a fit, the others apply what was learned. They assume the
documents were validated by the model (:func:`documents`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize as l2_normalize

#: Distinct documents the LSA axes are computed from (content-ordered; 50,000 × 100,000 terms: seconds).
SVD_SAMPLE = 50_000
#: Tokens arrive segmented and joined by single spaces: every run of non-spaces is one term.
TOKEN_PATTERN = r"[^ ]+"


def documents(docs: Sequence[str | None]) -> list[str]:
    """The documents as a list of strings (None is an empty document); anything else is a caller's error.

    Examples
    --------
    >>> documents(["电梯 故障", None])
    ['电梯 故障', '']
    """
    if isinstance(docs, str):
        raise TypeError("ThemeModel expects a sequence of documents (space-joined tokens), not one string")
    out = ["" if d is None else d for d in docs]
    wrong = next((d for d in out if not isinstance(d, str)), None)
    if wrong is not None:
        raise TypeError(f"a document must be a string of space-joined tokens, got {type(wrong).__name__}")
    return out


def counter(
    ngram_range: Sequence[int],
    vocabulary: list[str] | None = None,
    *,
    min_df: float = 1,
    max_df: float = 1.0,
    max_features: int | None = None,
) -> CountVectorizer:
    """A counter of words and word pairs: over a fixed ``vocabulary``, or learning one within the bounds.

    Examples
    --------
    >>> counter((1, 2), ["电梯", "电梯 故障"]).transform(["电梯 故障 电梯"]).toarray().tolist()
    [[2.0, 1.0]]
    """
    return CountVectorizer(
        token_pattern=TOKEN_PATTERN,
        lowercase=False,
        ngram_range=tuple(ngram_range),
        min_df=min_df if vocabulary is None else 1,
        max_df=max_df if vocabulary is None else 1.0,
        max_features=max_features if vocabulary is None else None,
        vocabulary=vocabulary,
        dtype=np.float32,
    )


def count_terms(docs: list[str], vocabulary: list[str], ngram_range: Sequence[int]) -> sp.csr_matrix:
    """Term counts over a fitted vocabulary (none at all for a model that kept no term).

    Examples
    --------
    >>> count_terms(["电梯 故障"], [], (1, 2)).shape
    (1, 0)
    """
    if not vocabulary:
        return sp.csr_matrix((len(docs), 0), dtype=np.float32)
    return counter(ngram_range, vocabulary).transform(docs).tocsr()


def learn_vocabulary(
    docs: list[str], ngram_range: Sequence[int], min_df: float, max_df: float, max_features: int | None
) -> tuple[sp.csr_matrix, list[str], str | None]:
    """Count the terms of ``docs``, relaxing ``min_df`` / ``max_df`` when they leave the corpus no words.

    Returns the counts, the vocabulary and how the fit degraded (None when it did not; the reasons
    are in the model's module docstring).

    Examples
    --------
    >>> counts, vocabulary, degraded = learn_vocabulary(["电梯 故障"] * 60, (1, 1), 3, 0.5, None)
    >>> vocabulary, degraded
    (['故障', '电梯'], 'too_small_or_uniform')
    """
    if len(docs) < 2:
        return count_terms(docs, [], ngram_range), [], "too_few_documents"
    try:
        learner = counter(ngram_range, min_df=min_df, max_df=max_df, max_features=max_features)
        counts = learner.fit_transform(docs).tocsr()
    except ValueError:  # no term left, or max_df · n below min_df: a corpus too small or too uniform
        counts = None
    if counts is not None:
        has_words = np.array([bool(d.strip()) for d in docs])
        covered = np.diff(counts.indptr)[has_words] > 0
        if covered.size == 0 or covered.mean() >= 0.5:
            return counts, learner.get_feature_names_out().tolist(), None
    # the terms at least two documents share, however common
    try:
        learner = counter(ngram_range, min_df=2, max_df=1.0, max_features=max_features)
        counts = learner.fit_transform(docs).tocsr()
    except ValueError:  # every document empty, or no word in two of them
        return count_terms(docs, [], ngram_range), [], "no_shared_terms"
    return counts, learner.get_feature_names_out().tolist(), "too_small_or_uniform"


def learn_idf(counts: sp.csr_matrix) -> np.ndarray:
    """Smoothed inverse document frequency of each term.

    Examples
    --------
    >>> idf = learn_idf(sp.csr_matrix(np.array([[1.0, 0.0], [2.0, 1.0]])))   # 1 + log(3/3), 1 + log(3/2)
    >>> idf.dtype, [round(float(x), 3) for x in idf]
    (dtype('float32'), [1.0, 1.405])
    """
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return (np.log((1 + counts.shape[0]) / (1 + df)) + 1.0).astype(np.float32)


def tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear term frequency (1 + log count) times ``idf``, each document scaled to unit length.

    Examples
    --------
    >>> tfidf(sp.csr_matrix(np.array([[1.0, 1.0]])), np.ones(2)).toarray().round(3).tolist()
    [[0.707, 0.707]]
    """
    if counts.shape[1] == 0:
        return counts
    tf = counts.copy()
    tf.data = 1.0 + np.log(tf.data)
    return l2_normalize(tf.multiply(idf).tocsr(), copy=False)


def learn_space(
    weighted: sp.csr_matrix, n_components: int, random_state: int, rows: np.ndarray | None = None
) -> np.ndarray:
    """The LSA axes, computed exactly (ARPACK) from ``rows`` of ``weighted`` (all rows when None).

    Exact, not randomized: randomized SVD with its default five power iterations moved the cosine
    similarities between real messages by 0.03 on average (up to 0.27) from one seed to the next,
    enough to move a tenth of the documents to another theme; ARPACK's axes agree to 1e-5 whatever
    its start vector (bench/themes_real.py). ``rows`` (a content-ordered sample) bounds the cost on
    large corpora. With one term (or one document) there is nothing to reduce and the axes are the terms.

    Examples
    --------
    >>> learn_space(sp.csr_matrix(np.ones((3, 1))), n_components=5, random_state=0).tolist()
    [[1.0]]
    >>> axes = learn_space(sp.csr_matrix(np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]])), 2, random_state=0)
    >>> axes.shape
    (2, 3)
    """
    if rows is not None:
        weighted = weighted[rows]
    n_docs, n_terms = weighted.shape
    if n_terms < 2 or n_docs < 2:
        return np.eye(n_terms, dtype=np.float32)
    if min(n_docs, n_terms) <= n_components + 1:
        # ARPACK finds fewer axes than the smaller side (two terms: one axis, and two matters in one
        # direction); a small side keeps every axis, from the eigenvectors of its small Gram matrix
        return _small_side_axes(weighted.astype(np.float64), n_components)
    svd = TruncatedSVD(n_components=n_components, algorithm="arpack", random_state=random_state)
    with np.errstate(divide="ignore", invalid="ignore"):  # explained variance is 0 / 0 when all documents agree
        svd.fit(weighted.astype(np.float64))
    return svd.components_.astype(np.float32)


def _small_side_axes(weighted: sp.csr_matrix, n_components: int) -> np.ndarray:
    """Exact LSA axes of a matrix with few terms or few documents (LAPACK: deterministic)."""
    n_docs, n_terms = weighted.shape
    if n_terms <= n_docs:
        values, vectors = np.linalg.eigh((weighted.T @ weighted).toarray())
        order = np.argsort(-values, kind="stable")[: min(n_components, n_terms)]
        return vectors[:, order].T.astype(np.float32)
    values, vectors = np.linalg.eigh((weighted @ weighted.T).toarray())
    order = np.argsort(-values, kind="stable")[: min(n_components, n_docs)]
    order = order[values[order] > 1e-10]
    axes = (weighted.T @ vectors[:, order]) / np.sqrt(values[order])
    return l2_normalize(np.asarray(axes).T).astype(np.float32)


def embed(counts: sp.csr_matrix, idf: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Unit vectors of the documents in the LSA space.

    Examples
    --------
    >>> embed(sp.csr_matrix(np.array([[1.0, 0.0]])), np.ones(2), np.eye(2)).tolist()
    [[1.0, 0.0]]
    """
    reduced = tfidf(counts, idf) @ components.T
    return l2_normalize(reduced) if reduced.shape[1] else np.asarray(reduced)
