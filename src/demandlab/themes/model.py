"""ThemeModel: recurring themes from segmented text, as a scikit-learn style estimator.

Pipeline: counts of words and word pairs over space-joined tokens → sublinear
TF-IDF → truncated SVD (LSA) → unit vectors → k-means.

How many themes: with ``n_themes="auto"`` the documents are first split into
``max_themes`` k-means clusters (more than there are themes), clusters that are
parts of one theme are merged — average-linkage agglomeration of the centres
down to a similarity threshold — and k-means is run once more from the merged
centres. The threshold comes from the data: the cosine similarities between the
first split's centres form a large background of unrelated pairs near zero and,
where k-means cut a theme into parts, a second group of higher similarities; the
threshold is the valley between them (the first deep minimum of their density
that the density climbs out of again). A corpus whose similarities show no such
valley (real messages, whose clusters all share vocabulary) merges what is
unusually alike for it instead: more than the mean similarity plus three
standard deviations. The number of themes is what remains, never below
``min_themes``. Measured with the default ``max_themes=150``: 32 planted
problems → 33–37 themes over seeds, 6 → 6, 12 → 13; 3,296 real messages → about
80 themes (bench/themes_quality.py). On real messages the count therefore
follows ``max_themes`` more than the data; lower it for a coarser view. The
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

import io
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.cluster import AgglomerativeClustering, KMeans, MiniBatchKMeans, kmeans_plusplus
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import pairwise_distances_argmin_min
from sklearn.preprocessing import normalize as l2_normalize
from sklearn.utils.validation import check_is_fitted

UNASSIGNED = -1
FORMAT = "demandlab.ThemeModel/1"
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
_SEED_SAMPLE = 20_000  # documents k-means++ seeds on, for corpora above _SAMPLE_ABOVE …
_SAMPLE_ABOVE = 80_000  # … where full seeding dominates the fit (100k documents: 21.1 s → 13 s)
TOKEN_PATTERN = r"[^ ]+"


def _version() -> str:
    from .. import __version__

    return __version__


def _documents(docs: Sequence[str | None]) -> list[str]:
    """The documents as a list of strings (None is an empty document); anything else is a caller's error."""
    if isinstance(docs, str):
        raise TypeError("ThemeModel expects a sequence of documents (space-joined tokens), not one string")
    out = ["" if d is None else d for d in docs]
    wrong = next((d for d in out if not isinstance(d, str)), None)
    if wrong is not None:
        raise TypeError(f"a document must be a string of space-joined tokens, got {type(wrong).__name__}")
    return out


def _distinct(vectors: np.ndarray) -> int:
    """How many different documents there are (a tiny corpus may hold few)."""
    return len(np.unique(vectors[:50_000].round(4), axis=0))


def _valley(similarity: np.ndarray) -> float | None:
    """The low point between unrelated cluster pairs and pairs that are parts of one theme.

    The similarities between the first split's centres form a large background near zero (unrelated
    clusters) and, when k-means cut themes into parts, a second group of higher similarities. The
    threshold is the first minimum of their density (Gaussian kernel estimate) past the background's
    peak that is deep (below a quarter of that peak) and followed by a real second group (density
    rising again at least 1.5-fold, holding at least 0.5 % of the pairs). At a first split of 150 the
    parts of a theme form a broad, flat group, which a twofold rise missed. None when there is no such
    valley: a fuzzy corpus whose similarities form one hump.
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


class ThemeModel(BaseEstimator):
    """Discover themes in segmented documents.

    Parameters
    ----------
    n_themes : int or "auto"
        Number of themes, or "auto" to find it by over-clustering and merging.
    min_themes, max_themes : bounds for "auto" (``max_themes`` is also the first split).
    merge_similarity : clusters whose centres are at least this alike (mean cosine) merge; "auto" (the
        default) takes the threshold from the data (see above).
    n_components : dimensions of the LSA space.
    ngram_range : word n-grams counted (tokens are words already).
    min_df : a term must appear in this many documents.
    max_df : terms in more than this share of documents are dropped.
    max_features : vocabulary cap (most frequent terms kept).
    min_similarity : below this cosine similarity to the nearest centre a document stays unassigned.
    n_keywords : keywords kept per theme.
    random_state : seed for SVD, k-means and sampling.

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

    # --- features ------------------------------------------------------------------------
    def _counter(
        self, vocabulary: list[str] | None = None, min_df: float | None = None, max_df: float | None = None
    ) -> CountVectorizer:
        return CountVectorizer(
            token_pattern=TOKEN_PATTERN,
            lowercase=False,
            ngram_range=tuple(self.ngram_range),
            min_df=(self.min_df if min_df is None else min_df) if vocabulary is None else 1,
            max_df=(self.max_df if max_df is None else max_df) if vocabulary is None else 1.0,
            max_features=self.max_features if vocabulary is None else None,
            vocabulary=vocabulary,
            dtype=np.float32,
        )

    def _counts(self, docs: list[str]) -> sp.csr_matrix:
        """Term counts over the fitted vocabulary (none at all for a model that kept no term)."""
        if not self.vocabulary_:
            return sp.csr_matrix((len(docs), 0), dtype=np.float32)
        return self._counter(self.vocabulary_).transform(docs).tocsr()

    def _tfidf(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        if counts.shape[1] == 0:
            return counts
        tf = counts.copy()
        tf.data = 1.0 + np.log(tf.data)
        return l2_normalize(tf.multiply(self.idf_).tocsr(), copy=False)

    def _embed(self, counts: sp.csr_matrix) -> np.ndarray:
        reduced = self._tfidf(counts) @ self.components_.T
        return l2_normalize(reduced) if reduced.shape[1] else np.asarray(reduced)

    def _learn_vocabulary(self, docs: list[str]) -> sp.csr_matrix:
        """Count the terms of ``docs``, relaxing ``min_df`` / ``max_df`` when they leave the corpus no words.

        Sets ``vocabulary_`` and ``degraded_`` (see the module docstring); returns the counts.
        """
        n = len(docs)
        if n < 2:
            self.degraded_ = "too_few_documents"
            self.vocabulary_ = []
            return self._counts(docs)
        try:
            counter = self._counter()
            counts = counter.fit_transform(docs).tocsr()
        except ValueError:  # no term left, or max_df · n below min_df: a corpus too small or too uniform
            counts = None
        if counts is not None:
            has_words = np.array([bool(d.strip()) for d in docs])
            covered = np.diff(counts.indptr)[has_words] > 0
            if covered.size == 0 or covered.mean() >= 0.5:
                self.vocabulary_ = counter.get_feature_names_out().tolist()
                return counts
        # the terms at least two documents share, however common
        try:
            counter = self._counter(min_df=2, max_df=1.0)
            counts = counter.fit_transform(docs).tocsr()
        except ValueError:  # every document empty, or no word in two of them
            self.degraded_ = "no_shared_terms"
            self.vocabulary_ = []
            return self._counts(docs)
        self.degraded_ = "too_small_or_uniform"
        self.vocabulary_ = counter.get_feature_names_out().tolist()
        return counts

    def _learn_space(self, tfidf: sp.csr_matrix) -> np.ndarray:
        """The LSA axes; with one term (or one document) there is nothing to reduce and the axes are the terms."""
        n_docs, n_terms = tfidf.shape
        if n_terms < 2 or n_docs < 2:
            return np.eye(n_terms, dtype=np.float32)
        # randomized SVD takes as many axes as there are terms: a tiny vocabulary keeps every direction
        n_components = min(self.n_components, n_terms, n_docs)
        svd = TruncatedSVD(n_components=n_components, algorithm="randomized", n_iter=5, random_state=self.random_state)
        with np.errstate(divide="ignore", invalid="ignore"):  # explained variance is 0 / 0 when all documents agree
            svd.fit(tfidf)
        return svd.components_.astype(np.float32)

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
        docs = _documents(docs)
        prior = None
        if prior_labels is not None:
            prior = np.asarray(prior_labels, dtype=np.int64)
            if prior.shape != (len(docs),):
                raise ValueError(f"prior_labels has {prior.shape[0]} labels for {len(docs)} documents")
        self.degraded_ = None
        self.merge_trace_ = None
        counts = self._learn_vocabulary(docs)
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf_ = (np.log((1 + counts.shape[0]) / (1 + df)) + 1.0).astype(np.float32)
        self.components_ = self._learn_space(self._tfidf(counts))
        # the same arithmetic as transform, so that predict(fit docs) == labels_
        vectors = self._embed(counts)
        known = np.diff(counts.indptr) > 0

        if not self.vocabulary_:
            centers = np.zeros((0, self.components_.shape[0]), dtype=np.float32)
        elif self.degraded_:
            # one theme: the matter most documents share, not the mean of unrelated ones
            holders = counts[:, int(df.argmax())].toarray().ravel() > 0
            centers = l2_normalize(vectors[holders].sum(axis=0, keepdims=True))
        elif self.n_themes == "auto":
            centers = self._overcluster_and_merge(vectors[known], None if prior is None else prior[known])
        else:
            centers = self._kmeans(vectors[known], min(int(self.n_themes), _distinct(vectors[known])))
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
        self.keywords_, self.keyword_weights_ = self._keywords(counts, self.labels_, k)
        self.version_ = _version()
        return self

    def _kmeans(self, vectors: np.ndarray, k: int, init: np.ndarray | None = None) -> np.ndarray:
        k = max(1, min(k, len(vectors)))
        if init is not None:
            km = KMeans(n_clusters=len(init), init=init, n_init=1, random_state=self.random_state)
        elif len(vectors) > 200_000:
            km = MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=4096, random_state=self.random_state)
        elif len(vectors) > _SAMPLE_ABOVE:
            # k-means++ seeding costs k passes over the data per trial: seed on samples, keep the seeds
            # that fit their sample best, and refine them once on all the documents
            rng = np.random.default_rng(self.random_state)
            best, best_inertia = None, np.inf
            for trial in range(4):
                sample = vectors[rng.choice(len(vectors), _SEED_SAMPLE, replace=False)]
                seeds, _ = kmeans_plusplus(sample, k, random_state=self.random_state + trial)
                inertia = float(np.square(pairwise_distances_argmin_min(sample, seeds)[1]).sum())
                if inertia < best_inertia:
                    best, best_inertia = seeds, inertia
            km = KMeans(n_clusters=k, init=best, n_init=1, random_state=self.random_state)
        else:
            km = KMeans(n_clusters=k, n_init=4, random_state=self.random_state)
        km.fit(vectors)
        return l2_normalize(km.cluster_centers_)

    def _merge_threshold(self, centers: np.ndarray) -> float:
        """How alike two cluster centres must be to merge (see the module docstring)."""
        if self.merge_similarity != "auto":
            return float(self.merge_similarity)
        similarity = (centers @ centers.T)[np.triu_indices(len(centers), 1)]
        if len(similarity) < 3 or np.ptp(similarity) < 1e-6:  # no spread to estimate a density from
            return 1.0
        valley = _valley(similarity)
        return valley if valley is not None else float(similarity.mean() + 3 * similarity.std())

    def _carry_prior(self, vectors: np.ndarray, prior: np.ndarray, merged: np.ndarray, threshold: float) -> np.ndarray:
        """The previous themes' centroids in this space, plus the merged clusters none of them covers."""
        themes, counts = np.unique(prior[prior >= 0], return_counts=True)
        themes = themes[counts >= 5]  # a handful of records does not make a theme worth carrying
        if len(themes) == 0:
            return merged
        sums = np.vstack([vectors[prior == t].sum(axis=0) for t in themes])
        carried = l2_normalize(sums)
        if len(carried) > 1:
            # previous themes that are one theme by this fit's own criterion become one
            groups = (
                AgglomerativeClustering(
                    n_clusters=None, metric="cosine", linkage="average", distance_threshold=1.0 - threshold
                )
                .fit(carried)
                .labels_
            )
            carried = l2_normalize(np.vstack([sums[groups == g].sum(axis=0) for g in range(groups.max() + 1)]))
        new = merged[(merged @ carried.T).max(axis=1) < threshold]
        centers = np.vstack([carried, new])
        self.merge_trace_ |= {"carried": len(carried), "new": len(new)}
        return centers[: max(self.max_themes, len(carried))]

    def _overcluster_and_merge(self, vectors: np.ndarray, prior: np.ndarray | None = None) -> np.ndarray:
        first = self._kmeans(vectors, min(self.max_themes, _distinct(vectors)))
        sizes = np.bincount((vectors @ first.T).argmax(axis=1), minlength=len(first)).astype(np.float64)
        groups = np.arange(len(first))
        threshold = self._merge_threshold(first)
        if len(first) > self.min_themes:
            merge = AgglomerativeClustering(
                n_clusters=None, metric="cosine", linkage="average", distance_threshold=1.0 - threshold
            ).fit(first)
            groups = merge.labels_
            if merge.n_clusters_ < self.min_themes:
                groups = (
                    AgglomerativeClustering(n_clusters=self.min_themes, metric="cosine", linkage="average")
                    .fit(first)
                    .labels_
                )
        merged = l2_normalize(
            np.vstack([(first[groups == g] * sizes[groups == g, None]).sum(axis=0) for g in range(groups.max() + 1)])
        )
        self.merge_trace_ = {
            "first_split": len(first),
            "merged_to": len(merged),
            "merge_similarity": round(threshold, 4),
        }
        if prior is not None:
            merged = self._carry_prior(vectors, prior, merged, threshold)
        if len(vectors) > 200_000:
            return merged
        return self._kmeans(vectors, len(merged), init=merged)

    def _assign(self, vectors: np.ndarray, centers: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(centers) == 0:  # a degraded fit without themes
            return np.full(len(vectors), UNASSIGNED, dtype=np.int64), np.zeros(len(vectors))
        similarity = vectors @ centers.T
        labels = similarity.argmax(axis=1)
        scores = similarity[np.arange(len(labels)), labels]
        labels = np.where(known & (scores >= self.min_similarity), labels, UNASSIGNED)
        return labels, np.where(known, scores, 0.0)

    def _reasons(self, labels: np.ndarray, known: np.ndarray) -> list[str | None]:
        """Why each unassigned document is 未归类 (:data:`UNASSIGNED_REASONS_ZH`)."""
        if self.n_themes_ == 0:
            return [self.degraded_] * len(labels)
        return [
            None if label >= 0 else ("no_known_terms" if not k else "too_far_from_themes")
            for label, k in zip(labels.tolist(), known.tolist(), strict=True)
        ]

    def _keywords(self, counts: sp.csr_matrix, labels: np.ndarray, k: int) -> tuple[list[list[str]], list[list[float]]]:
        """Class-based TF-IDF: the terms that set each theme apart."""
        rows = labels >= 0
        membership = sp.csr_matrix(
            (np.ones(rows.sum(), dtype=np.float32), (labels[rows], np.flatnonzero(rows))), shape=(k, counts.shape[0])
        )
        per_theme = np.asarray((membership @ counts).todense())
        tf = per_theme / np.maximum(per_theme.sum(axis=1, keepdims=True), 1)
        average = per_theme.sum() / max(k, 1)
        idf = np.log(1 + average / np.maximum(per_theme.sum(axis=0), 1))
        weights = tf * idf
        vocab = np.array(self.vocabulary_)
        keywords, kw_weights = [], []
        for t in range(k):
            top = np.argsort(-weights[t], kind="stable")[: self.n_keywords * 3]
            chosen: list[str] = []
            chosen_w: list[float] = []
            for j in top:
                term = vocab[j]
                if weights[t, j] <= 0:
                    break
                # a pair whose words are both chosen adds nothing to a label
                if " " in term and all(part in chosen for part in term.split(" ")):
                    continue
                chosen.append(term)
                chosen_w.append(float(weights[t, j]))
                if len(chosen) == self.n_keywords:
                    break
            keywords.append(chosen)
            kw_weights.append(chosen_w)
        return keywords, kw_weights

    # --- using ---------------------------------------------------------------------------
    def _check(self) -> None:
        check_is_fitted(self, ["centers_", "idf_", "components_"])

    def transform(self, docs: Sequence[str]) -> np.ndarray:
        """Cosine similarity of each document to each theme centre, shape (n_docs, n_themes)."""
        self._check()
        vectors = self._embed(self._counts(_documents(docs)))
        return vectors @ self.centers_.T if self.n_themes_ else np.zeros((len(vectors), 0))

    def tfidf(self, docs: Sequence[str]) -> sp.csr_matrix:
        """The documents' l2-normalised TF-IDF vectors over the fitted vocabulary (words and word pairs).

        Fixed by the fit, so similarities between two documents do not depend on which other
        documents are vectorised with them (the repeats signal relies on this).
        """
        self._check()
        return self._tfidf(self._counts(_documents(docs)))

    def predict(self, docs: Sequence[str]) -> np.ndarray:
        """Theme id of each document, -1 for 未归类."""
        labels, _, _ = self.assign(docs)
        return labels

    def assign(self, docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
        """Theme ids, similarity scores and, for unassigned documents, the reason (:data:`UNASSIGNED_REASONS_ZH`).

        On the documents of the fit it returns ``labels_``, ``scores_`` and ``reasons_``.
        """
        self._check()
        counts = self._counts(_documents(docs))
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
        candidates: list[str] = []
        for term in self.keywords_[theme][: max(n * 2, 6)]:
            candidates += [part for part in term.split(" ") if part not in candidates]
        # 停车 says less than 乱停车 when both are there
        candidates = [c for c in candidates if not any(c != other and c in other for other in candidates)]
        chosen = ([c for c in candidates if c in prefer] + [c for c in candidates if c not in prefer])[:n]
        return " · ".join(sorted(chosen, key=candidates.index))

    # --- persistence ---------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``<path>.npz`` (arrays) and ``<path>.json`` (parameters, vocabulary, keywords)."""
        self._check()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path.with_suffix(".npz"), **self._arrays())
        path.with_suffix(".json").write_text(json.dumps(self._meta(), ensure_ascii=False), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> ThemeModel:
        path = Path(path)
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: not a demandlab theme model")
        with np.load(path.with_suffix(".npz"), allow_pickle=False) as arrays:
            return cls._restore(meta, arrays)

    def to_bytes(self) -> bytes:
        """The fitted model as one byte string (an ``.npz`` without pickle): what travels to workers.

        >>> model = ThemeModel().fit(["电梯 故障 困人"] * 60)
        >>> copy = ThemeModel.from_bytes(model.to_bytes())
        >>> copy.predict(["电梯 故障"]).tolist() == model.predict(["电梯 故障"]).tolist()
        True
        """
        self._check()
        buffer = io.BytesIO()
        meta = np.frombuffer(json.dumps(self._meta(), ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
        np.savez(buffer, meta=meta, **self._arrays())  # not compressed: a copy, not a minute of zlib at scale
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ThemeModel:
        """The model :meth:`to_bytes` wrote."""
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
            if meta.get("format") != FORMAT:
                raise ValueError("not a demandlab theme model")
            return cls._restore(meta, arrays)

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"idf": self.idf_, "components": self.components_, "centers": self.centers_}

    def _meta(self) -> dict:
        return {
            "format": FORMAT,
            "demandlab_version": self.version_,
            "params": self.params_json(),
            "n_themes": int(self.n_themes_),
            "vocabulary": self.vocabulary_,
            "keywords": self.keywords_,
            "keyword_weights": self.keyword_weights_,
            "merge_trace": getattr(self, "merge_trace_", None),
            "degraded": getattr(self, "degraded_", None),
        }

    @classmethod
    def _restore(cls, meta: dict, arrays: np.lib.npyio.NpzFile) -> ThemeModel:
        params = dict(meta["params"])
        params["ngram_range"] = tuple(params["ngram_range"])
        model = cls(**params)
        model.idf_ = arrays["idf"]
        model.components_ = arrays["components"]
        model.centers_ = arrays["centers"]
        model.vocabulary_ = meta["vocabulary"]
        model.keywords_ = meta["keywords"]
        model.keyword_weights_ = meta["keyword_weights"]
        model.n_themes_ = meta["n_themes"]
        model.merge_trace_ = meta.get("merge_trace")
        model.degraded_ = meta.get("degraded")
        model.version_ = meta["demandlab_version"]
        return model


__all__ = ["DEGRADED_ZH", "UNASSIGNED", "UNASSIGNED_REASONS_ZH", "ThemeModel"]
