"""ThemeModel: recurring themes from segmented text, as a scikit-learn style estimator.

Pipeline: counts of words and word pairs over space-joined tokens → sublinear
TF-IDF → LSA → unit vectors → a deterministic split, merged and refined.

Why deterministic. On 3,296 real citizen messages two fits that differed only in
the random seed agreed at ARI 0.70 (1,234 board messages: 0.52): the randomized
SVD moved the similarities between messages, and k-means' random starts cut a
fuzzy corpus differently each time, so theme ids meant different things from one
``--refit`` to the next. Now nothing in the fit is random: the LSA axes are
computed exactly (ARPACK), the first split is Ward's agglomeration of a sample
of distinct documents chosen by a hash of their content (at most
``WARD_SAMPLE``), and every later step is spherical Lloyd iterations from the
centres it is given. Two seeds give the same themes (ARI 1.0); what is left is
how much the themes depend on the records themselves, measured by refitting on
two 90 % subsamples (bench/themes_real.py, where k-means is the anchor).

How many themes. A theme is a recurring problem with at least
``min_theme_size`` records (default 20: fewer is not a line in a weekly report;
a first deployment of fewer than 1,000 records asks 2 % of them, at least 5).
The first split cuts the Ward tree into ``n / min_theme_size`` clusters (at
most ``max_themes``), so a small corpus starts with few; clusters that are
parts of one theme are merged — average-linkage agglomeration of the centres
down to a similarity threshold; the centres are refined; themes that fewer than
``min_theme_size`` records choose are dropped (their records join the nearest
theme) until none is left, never below ``min_themes``. The merge threshold comes
from the data: the cosine similarities between the first split's centres form a
large background of unrelated pairs near zero and, where the split cut a theme
into parts, a second group of higher similarities; the threshold is the valley
between them (the first deep minimum of their density that the density climbs
out of again). A corpus whose similarities show no such valley (real messages,
whose clusters all share vocabulary) merges what is unusually alike for it
instead: more than the mean similarity plus three standard deviations. The
usual criteria (silhouette, Calinski–Harabasz) rise with k and never pick one.

Keywords per theme are class-based TF-IDF (a theme's term frequencies weighted
by log(1 + mean theme size / the term's frequency over all themes)). A record
whose cosine similarity to its nearest theme centre is below
``min_similarity``, or that has no term the model knows, is left ``未归类``
(theme id -1) with the reason.

A corpus too small or too uniform for themes does not stop the fit (a small
deployment's first weeks look like that); ``degraded_`` says what happened:

* fewer than two documents → no theme, every record 未归类 (``too_few_documents``);
* ``min_df`` / ``max_df`` leave no term, or leave most documents without one
  (sixty records that share most of their words lose exactly those words to
  ``max_df``) → terms are counted again without an upper bound, down to those
  two documents share, and the documents that hold the most widely shared term
  make one theme: the matter most records share (``too_small_or_uniform``); the
  other records stay 未归类 as usual (too far from it, or no known term);
* not even that (every document empty, or no word in two of them) → no theme,
  every record 未归类 (``no_shared_terms``).

The fitted state is plain arrays and lists, saved with :meth:`save` as an
``.npz`` (no pickle) plus JSON, and :meth:`predict` on the documents of the
fit returns exactly the labels of the fit, degraded or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize as l2_normalize
from sklearn.utils.validation import check_is_fitted

from .. import __version__
from . import persist
from .cluster import (
    UNASSIGNED,
    WARD_SAMPLE,
    content_order,
    distinct,
    nearest,
    refine,
    split_and_merge,
    ward_centers,
)
from .cluster import valley as _valley  # noqa: F401  (its old home: callers import it from here)
from .features import (
    SVD_SAMPLE,
    count_terms,
    counter,
    documents,
    embed,
    learn_idf,
    learn_space,
    learn_vocabulary,
    tfidf,
)
from .features import TOKEN_PATTERN as TOKEN_PATTERN
from .keywords import class_keywords, readable_label
from .persist import FORMAT as FORMAT

#: Why a record is 未归类 (``reasons_`` of a fit, the third value of :meth:`ThemeModel.assign`).
UNASSIGNED_REASONS_ZH = {
    "no_known_terms": "没有主题模型认识的词",
    "too_far_from_themes": "与各主题都不够相近",
    "too_few_documents": "记录太少（不足两条），无法发现主题",
    "no_shared_terms": "没有两条及以上记录共有的词，无法发现主题",
}
#: What a degraded fit did (``degraded_``); None when the corpus was fit for themes as configured.
DEGRADED_ZH = {
    "too_few_documents": "记录不足两条：没有主题，全部未归类",
    "no_shared_terms": "没有两条及以上记录共有的词：没有主题，全部未归类",
    "too_small_or_uniform": "语料太少或过于单一，按词频筛选后几乎无词可用：按共有的词归为一个主题",
}


def effective_min_size(min_theme_size: int, n_documents: int) -> int:
    """Records a theme needs: ``min_theme_size``, or 2 % of a small corpus (at least 5) when that is less.

    >>> effective_min_size(20, 50_000), effective_min_size(20, 600), effective_min_size(20, 96)
    (20, 12, 5)
    """
    return max(1, min(min_theme_size, max(5, n_documents // 50)))


class ThemeModel(BaseEstimator):
    """Discover themes in segmented documents.

    Parameters
    ----------
    n_themes : int or "auto"
        Number of themes, or "auto" to find it by over-clustering and merging.
    min_themes, max_themes : bounds for "auto" (``max_themes`` also bounds the first split).
    min_theme_size : records a theme needs ("auto"); smaller ones are dropped and their records join
        the nearest theme.
    merge_similarity : clusters whose centres are at least this alike (mean cosine) merge; "auto" (the
        default) takes the threshold from the data (see above).
    n_components : dimensions of the LSA space.
    ngram_range : word n-grams counted (tokens are words already).
    min_df : a term must appear in this many documents.
    max_df : terms in more than this share of documents are dropped.
    max_features : vocabulary cap (most frequent terms kept).
    min_similarity : below this cosine similarity to the nearest centre a document stays unassigned.
    n_keywords : keywords kept per theme.
    random_state : start vector of the exact SVD; it changes the axes' signs, never the themes.

    Examples
    --------
    >>> docs = ["电梯 故障 困人", "电梯 故障 维修", "垃圾 清运 臭味", "垃圾 清运 垃圾桶"] * 10
    >>> model = ThemeModel(n_themes=2, n_components=2, min_df=1).fit(docs)
    >>> sorted(model.labels_[:4].tolist()) == sorted([model.labels_[0]] * 2 + [model.labels_[2]] * 2)
    True
    """

    def __init__(
        self,
        n_themes: int | str = "auto",
        min_themes: int = 2,
        max_themes: int = 150,
        min_theme_size: int = 20,
        merge_similarity: float | str = "auto",
        n_components: int = 150,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 3,
        max_df: float = 0.5,
        max_features: int = 100_000,
        min_similarity: float = 0.15,
        n_keywords: int = 10,
        random_state: int = 0,
    ) -> None:
        self.n_themes = n_themes
        self.min_themes = min_themes
        self.max_themes = max_themes
        self.min_theme_size = min_theme_size
        self.merge_similarity = merge_similarity
        self.n_components = n_components
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.min_similarity = min_similarity
        self.n_keywords = n_keywords
        self.random_state = random_state

    def params_json(self) -> dict:
        """The parameters as JSON-friendly values."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.get_params().items()}

    # --- features (the arithmetic lives in features.py) ---------------------------------
    def _counter(
        self, vocabulary: list[str] | None = None, min_df: float | None = None, max_df: float | None = None
    ) -> CountVectorizer:
        return counter(
            self.ngram_range,
            vocabulary,
            min_df=self.min_df if min_df is None else min_df,
            max_df=self.max_df if max_df is None else max_df,
            max_features=self.max_features,
        )

    def _counts(self, docs: list[str]) -> sp.csr_matrix:
        return count_terms(docs, self.vocabulary_, self.ngram_range)

    def _tfidf(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        return tfidf(counts, self.idf_)

    def _embed(self, counts: sp.csr_matrix) -> np.ndarray:
        return embed(counts, self.idf_, self.components_)

    # --- fitting -------------------------------------------------------------------------
    def fit(self, docs: Sequence[str], y: object = None, prior_labels: Sequence[int] | None = None) -> ThemeModel:
        """Learn vocabulary, weighting, LSA space, themes and keywords from ``docs``.

        ``docs``: one string of space-joined tokens per record (None counts as an empty document).
        A corpus too small or too uniform for themes gives one theme or none (``degraded_``,
        module docstring) instead of an error.

        ``prior_labels`` (a refit): the theme each document had in the previous model, -1 where it
        had none (a new record). The previous themes are carried into the new space as the centroid
        of their documents and seed the final k-means; a cluster of this fit that none of them
        covers (less alike than the merge threshold) joins them as a new theme. Without it a refit
        on a window shifted by four weeks moved ~6 % of the shared records to another theme (a
        theme cut in two in one window and not in the other); with it, well under 1 %.

        Examples
        --------
        >>> model = ThemeModel().fit(["电梯 故障 困人"] * 60)   # one matter, every word in every record
        >>> model.n_themes_, model.degraded_, model.label(0)
        (1, 'too_small_or_uniform', '困人 · 故障 · 电梯')
        >>> ThemeModel().fit(["电梯 故障"]).reasons_
        ['too_few_documents']
        """
        docs = documents(docs)
        prior = None
        if prior_labels is not None:
            prior = np.asarray(prior_labels, dtype=np.int64)
            if prior.shape != (len(docs),):
                raise ValueError(f"prior_labels has {prior.shape[0]} labels for {len(docs)} documents")
        self.merge_trace_ = None
        counts, self.vocabulary_, self.degraded_ = learn_vocabulary(
            docs, self.ngram_range, self.min_df, self.max_df, self.max_features
        )
        self.idf_ = learn_idf(counts)
        known = np.diff(counts.indptr) > 0
        order = content_order(docs)
        order = order[known[order]]  # distinct documents with a known term, in content order
        # every document while they fit (a handful of distinct ones would give too few axes to tell them apart)
        rows = None if len(docs) <= SVD_SAMPLE else order[:SVD_SAMPLE]
        self.components_ = learn_space(self._tfidf(counts), self.n_components, self.random_state, rows)
        # the same arithmetic as transform, so that predict(fit docs) == labels_
        vectors = self._embed(counts)
        # positions of the Ward sample among the documents with a known term
        sample = np.searchsorted(np.flatnonzero(known), np.sort(order[:WARD_SAMPLE]))

        if not self.vocabulary_:
            centers = np.zeros((0, self.components_.shape[0]), dtype=np.float32)
        elif self.degraded_:
            # one theme: the matter most documents share, not the mean of unrelated ones
            df = np.bincount(counts.indices, minlength=counts.shape[1])
            holders = counts[:, int(df.argmax())].toarray().ravel() > 0
            centers = l2_normalize(vectors[holders].sum(axis=0, keepdims=True))
        elif self.n_themes == "auto":
            centers, self.merge_trace_ = split_and_merge(
                vectors[known],
                sample,
                None if prior is None else prior[known],
                min_themes=self.min_themes,
                max_themes=self.max_themes,
                min_theme_size=effective_min_size(self.min_theme_size, int(known.sum())),
                merge_similarity=self.merge_similarity,
            )
        else:
            k = min(int(self.n_themes), distinct(vectors[known]))
            centers = refine(vectors[known], ward_centers(vectors[known][sample], k))
        centers = centers.astype(np.float32)
        labels, _ = self._assign(vectors, centers, known)
        # order themes by size so that theme 0 is the largest; ids are stable for a given input. A centre
        # no document reaches (k-means on a handful of points) is no theme: it would have no keywords
        sizes = np.bincount(labels[labels >= 0], minlength=len(centers))
        order = np.argsort(-sizes, kind="stable")
        self.centers_ = centers[order[sizes[order] > 0]] if sizes.any() else centers
        k = self.n_themes_ = len(self.centers_)
        self.labels_, self.scores_ = self._assign(vectors, self.centers_, known)
        self.reasons_ = self._reasons(self.labels_, known)
        self.keywords_, self.keyword_weights_ = class_keywords(
            counts, self.labels_, k, self.vocabulary_, self.n_keywords
        )
        self.version_ = __version__
        return self

    def _assign(self, vectors: np.ndarray, centers: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return nearest(vectors, centers, known, self.min_similarity)

    def _reasons(self, labels: np.ndarray, known: np.ndarray) -> list[str | None]:
        """Why each unassigned document is 未归类 (:data:`UNASSIGNED_REASONS_ZH`)."""
        if self.n_themes_ == 0:
            return [self.degraded_] * len(labels)
        return [
            None if label >= 0 else ("no_known_terms" if not k else "too_far_from_themes")
            for label, k in zip(labels.tolist(), known.tolist(), strict=True)
        ]

    # --- using ---------------------------------------------------------------------------
    def _check(self) -> None:
        check_is_fitted(self, ["centers_", "idf_", "components_"])

    def transform(self, docs: Sequence[str]) -> np.ndarray:
        """Cosine similarity of each document to each theme centre, shape (n_docs, n_themes)."""
        self._check()
        vectors = self._embed(self._counts(documents(docs)))
        return vectors @ self.centers_.T if self.n_themes_ else np.zeros((len(vectors), 0))

    def tfidf(self, docs: Sequence[str]) -> sp.csr_matrix:
        """The documents' l2-normalised TF-IDF vectors over the fitted vocabulary (words and word pairs).

        Fixed by the fit, so similarities between two documents do not depend on which other
        documents are vectorised with them (the repeats signal relies on this).
        """
        self._check()
        return self._tfidf(self._counts(documents(docs)))

    def predict(self, docs: Sequence[str]) -> np.ndarray:
        """Theme id of each document, -1 for 未归类."""
        labels, _, _ = self.assign(docs)
        return labels

    def assign(self, docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
        """Theme ids, similarity scores and, for unassigned documents, the reason (:data:`UNASSIGNED_REASONS_ZH`).

        On the documents of the fit it returns ``labels_``, ``scores_`` and ``reasons_``.
        """
        self._check()
        counts = self._counts(documents(docs))
        known = np.diff(counts.indptr) > 0
        labels, scores = self._assign(self._embed(counts), self.centers_, known)
        return labels, scores, self._reasons(labels, known)

    def label(self, theme: int, n: int = 3, prefer: frozenset[str] | set[str] = frozenset()) -> str:
        """A short readable label such as ``电瓶车 · 飞线充电 · 楼道``.

        Terms in ``prefer`` (the governance lexicon, say) come first among the
        top keywords, so that a label names the matter rather than a turn of phrase.
        """
        self._check()
        if theme == UNASSIGNED:
            return "未归类"
        return readable_label(self.keywords_[theme], n, prefer)

    # --- persistence (the format lives in persist.py) ------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``<path>.npz`` (arrays) and ``<path>.json`` (parameters, vocabulary, keywords)."""
        self._check()
        return persist.save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> ThemeModel:
        return persist.load(cls, path)

    def to_bytes(self) -> bytes:
        """The fitted model as one byte string (an ``.npz`` without pickle): what travels to workers.

        >>> model = ThemeModel().fit(["电梯 故障 困人"] * 60)
        >>> copy = ThemeModel.from_bytes(model.to_bytes())
        >>> copy.predict(["电梯 故障"]).tolist() == model.predict(["电梯 故障"]).tolist()
        True
        """
        self._check()
        return persist.to_bytes(self)

    @classmethod
    def from_bytes(cls, data: bytes) -> ThemeModel:
        """The model :meth:`to_bytes` wrote."""
        return persist.from_bytes(cls, data)


__all__ = ["DEGRADED_ZH", "UNASSIGNED", "UNASSIGNED_REASONS_ZH", "ThemeModel"]
