"""ThemeModel: recurring themes from segmented text, as a scikit-learn style estimator.

Pipeline: counts of words and word pairs over space-joined tokens → sublinear
TF-IDF → truncated SVD (LSA) → unit vectors → k-means.

How many themes: with ``n_themes="auto"`` the documents are first split into
``max_themes`` k-means clusters (more than there are themes), then clusters
whose centres are alike are merged — average-linkage agglomeration of the
centres, stopping when no two groups have a mean cosine similarity of at least
``merge_similarity`` — and k-means is run once more from the merged centres.
The number of themes is what remains (never below ``min_themes``). On the
synthetic district this finds about 40 themes for 32 planted problems; the usual
criteria (silhouette, Calinski–Harabasz) rise with k and never pick one
(measured in bench/themes_quality.py).

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
from sklearn.cluster import AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize as l2_normalize
from sklearn.utils.validation import check_is_fitted

UNASSIGNED = -1
TOKEN_PATTERN = r"[^ ]+"


def _version() -> str:
    from .. import __version__

    return __version__


class ThemeModel(BaseEstimator):
    """Discover themes in segmented documents.

    Parameters
    ----------
    n_themes : int or "auto"
        Number of themes, or "auto" to find it by over-clustering and merging.
    min_themes, max_themes : bounds for "auto" (``max_themes`` is also the first split).
    merge_similarity : clusters whose centres are at least this alike (mean cosine) merge.
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
        min_themes: int = 8,
        max_themes: int = 60,
        merge_similarity: float = 0.3,
        n_components: int = 100,
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
    def fit(self, docs: Sequence[str], y: object = None) -> ThemeModel:
        """Learn vocabulary, weighting, LSA space, themes and keywords from ``docs``."""
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

        if self.n_themes == "auto":
            centers = self._overcluster_and_merge(vectors[known])
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
        else:
            km = KMeans(n_clusters=k, n_init=4, random_state=self.random_state)
        km.fit(vectors)
        return l2_normalize(km.cluster_centers_)

    def _overcluster_and_merge(self, vectors: np.ndarray) -> np.ndarray:
        distinct = len(np.unique(vectors[:50_000].round(4), axis=0))  # a tiny corpus may hold few distinct documents
        first = self._kmeans(vectors, min(self.max_themes, distinct))
        sizes = np.bincount((vectors @ first.T).argmax(axis=1), minlength=len(first)).astype(np.float64)
        groups = np.arange(len(first))
        if len(first) > self.min_themes:
            merge = AgglomerativeClustering(
                n_clusters=None, metric="cosine", linkage="average", distance_threshold=1.0 - self.merge_similarity
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
            "merge_similarity": self.merge_similarity,
        }
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
