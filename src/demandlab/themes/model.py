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

The fitted state is plain arrays and lists, saved with :meth:`save` as an
``.npz`` (no pickle) plus JSON, and :meth:`predict` on the documents of the
fit returns exactly the labels of the fit.
"""

from __future__ import annotations

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
_SEED_SAMPLE = 20_000  # documents k-means++ seeds on, for corpora above _SAMPLE_ABOVE …
_SAMPLE_ABOVE = 80_000  # … where full seeding dominates the fit (100k documents: 21.1 s → 13 s)
TOKEN_PATTERN = r"[^ ]+"


def _version() -> str:
    from .. import __version__

    return __version__


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
    def _counter(self, vocabulary: list[str] | None = None) -> CountVectorizer:
        return CountVectorizer(
            token_pattern=TOKEN_PATTERN,
            lowercase=False,
            ngram_range=tuple(self.ngram_range),
            min_df=self.min_df if vocabulary is None else 1,
            max_df=self.max_df if vocabulary is None else 1.0,
            max_features=self.max_features if vocabulary is None else None,
            vocabulary=vocabulary,
            dtype=np.float32,
        )

    def _tfidf(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        tf = counts.copy()
        tf.data = 1.0 + np.log(tf.data)
        return l2_normalize(tf.multiply(self.idf_).tocsr(), copy=False)

    def _embed(self, counts: sp.csr_matrix) -> np.ndarray:
        reduced = self._tfidf(counts) @ self.components_.T
        return l2_normalize(reduced)

    # --- fitting -------------------------------------------------------------------------
    def fit(self, docs: Sequence[str], y: object = None, prior_labels: Sequence[int] | None = None) -> ThemeModel:
        """Learn vocabulary, weighting, LSA space, themes and keywords from ``docs``.

        ``prior_labels`` (a refit): the theme each document had in the previous model, -1 where it
        had none (a new record). The previous themes are carried into the new space as the centroid
        of their documents and seed the final k-means; a cluster of this fit that none of them
        covers (less alike than the merge threshold) joins them as a new theme. Without it a refit
        on a window shifted by four weeks moved ~6 % of the shared records to another theme (a
        theme cut in two in one window and not in the other); with it, well under 1 %.
        """
        docs = list(docs)
        if len(docs) < 2:
            raise ValueError(f"ThemeModel.fit needs at least 2 documents, got {len(docs)}")
        counter = self._counter()
        try:
            counts = counter.fit_transform(docs).tocsr()
        except ValueError as exc:  # empty vocabulary
            raise ValueError(f"no term appears in {self.min_df} or more documents: {exc}") from exc
        self.vocabulary_ = counter.get_feature_names_out().tolist()
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf_ = (np.log((1 + counts.shape[0]) / (1 + df)) + 1.0).astype(np.float32)
        tfidf = self._tfidf(counts)
        n_components = max(1, min(self.n_components, tfidf.shape[1] - 1, tfidf.shape[0] - 1))
        svd = TruncatedSVD(n_components=n_components, algorithm="randomized", n_iter=5, random_state=self.random_state)
        svd.fit(tfidf)
        self.components_ = svd.components_.astype(np.float32)
        # the same arithmetic as transform, so that predict(fit docs) == labels_
        vectors = self._embed(counts)
        known = np.asarray(counts.sum(axis=1)).ravel() > 0

        prior = None
        if prior_labels is not None:
            prior = np.asarray(prior_labels, dtype=np.int64)
            if prior.shape != (len(docs),):
                raise ValueError(f"prior_labels has {prior.shape[0]} labels for {len(docs)} documents")
            prior = prior[known]
        if self.n_themes == "auto":
            centers = self._overcluster_and_merge(vectors[known], prior)
        else:
            centers = self._kmeans(vectors[known], int(self.n_themes))
        centers = centers.astype(np.float32)
        k = len(centers)
        labels, _ = self._assign(vectors, centers, known)
        # order themes by size so that theme 0 is the largest; ids are stable for a given input
        sizes = np.bincount(labels[labels >= 0], minlength=k)
        self.centers_ = centers[np.argsort(-sizes, kind="stable")]
        self.labels_, self.scores_ = self._assign(vectors, self.centers_, known)
        self.n_themes_ = k
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
        if len(similarity) < 3 or np.ptp(similarity) < 1e-9:
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
        distinct = len(np.unique(vectors[:50_000].round(4), axis=0))  # a tiny corpus may hold few distinct documents
        first = self._kmeans(vectors, min(self.max_themes, distinct))
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
        similarity = vectors @ centers.T
        labels = similarity.argmax(axis=1)
        scores = similarity[np.arange(len(labels)), labels]
        labels = np.where(known & (scores >= self.min_similarity), labels, UNASSIGNED)
        return labels, np.where(known, scores, 0.0)

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
        counts = self._counter(self.vocabulary_).transform(list(docs)).tocsr()
        return self._embed(counts) @ self.centers_.T

    def tfidf(self, docs: Sequence[str]) -> sp.csr_matrix:
        """The documents' l2-normalised TF-IDF vectors over the fitted vocabulary (words and word pairs).

        Fixed by the fit, so similarities between two documents do not depend on which other
        documents are vectorised with them (the repeats signal relies on this).
        """
        self._check()
        return self._tfidf(self._counter(self.vocabulary_).transform(list(docs)).tocsr())

    def predict(self, docs: Sequence[str]) -> np.ndarray:
        """Theme id of each document, -1 for 未归类."""
        labels, _, _ = self.assign(docs)
        return labels

    def assign(self, docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
        """Theme ids, similarity scores and, for unassigned documents, the reason."""
        self._check()
        counts = self._counter(self.vocabulary_).transform(list(docs)).tocsr()
        known = np.asarray(counts.sum(axis=1)).ravel() > 0
        labels, scores = self._assign(self._embed(counts), self.centers_, known)
        reasons = [
            None if label >= 0 else ("no_known_terms" if not k else "too_far_from_themes")
            for label, k in zip(labels.tolist(), known.tolist(), strict=True)
        ]
        return labels, scores, reasons

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
        np.savez_compressed(path.with_suffix(".npz"), idf=self.idf_, components=self.components_, centers=self.centers_)
        meta = {
            "format": "demandlab.ThemeModel/1",
            "demandlab_version": self.version_,
            "params": self.params_json(),
            "n_themes": int(self.n_themes_),
            "vocabulary": self.vocabulary_,
            "keywords": self.keywords_,
            "keyword_weights": self.keyword_weights_,
            "merge_trace": getattr(self, "merge_trace_", None),
        }
        path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> ThemeModel:
        path = Path(path)
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        if meta.get("format") != "demandlab.ThemeModel/1":
            raise ValueError(f"{path}: not a demandlab theme model")
        params = meta["params"]
        params["ngram_range"] = tuple(params["ngram_range"])
        model = cls(**params)
        with np.load(path.with_suffix(".npz"), allow_pickle=False) as arrays:
            model.idf_ = arrays["idf"]
            model.components_ = arrays["components"]
            model.centers_ = arrays["centers"]
        model.vocabulary_ = meta["vocabulary"]
        model.keywords_ = meta["keywords"]
        model.keyword_weights_ = meta["keyword_weights"]
        model.n_themes_ = meta["n_themes"]
        if meta.get("merge_trace"):
            model.merge_trace_ = meta["merge_trace"]
        model.version_ = meta["demandlab_version"]
        return model


__all__ = ["UNASSIGNED", "ThemeModel"]
