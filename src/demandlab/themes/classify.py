"""Routing by category: a supervised model for records that arrive without one.

When records carry a category (一级分类, 诉求分类, 领域), a linear SVM learns it and routes records that
lack one, with calibrated probabilities. :func:`cross_validate` gives the figures to trust it by:
stratified k-fold macro-F1 and per-class precision, recall and F1.

The model is the textbook one (TF-IDF over word unigrams and bigrams, sublinear tf, a linear SVM with
balanced class weights, so that a small category is not drowned by a large one) with two changes,
measured on real labelled messages (``bench/classify_real.py``: taidi2020c 一级分类 and zjboard 领域,
the same stratified folds):

* word n-grams seen in one training record only are dropped (``min_df=2``): a bigram met once is
  noise to a linear model;
* the Chinese characters of the text are a second TF-IDF block. Characters carry meaning on their
  own (医, 学, 车, 税), and words the segmenter cut differently, or left out as too short, still
  meet through their characters. Single characters: character 2–4-grams cost several times the fit
  and did not help on those sets.

Calibration is temperature scaling on one internal split: a stratified tenth of the training records
(at most ``max_calibration``) is held out, the SVM is fitted once on the rest, and the probabilities
are ``softmax(scores / T)`` with the one ``T`` that minimises the log loss on the held-out records.
Why: one SVM fit (``CalibratedClassifierCV`` fits one per fold and one more, and on 16,000 synthetic
work orders a mere second fit took the time past twice the textbook fit's); holding out a tenth cost
no macro-F1 on the real sets, where a fifth cost 0.02; one parameter shared by all classes cannot
overfit a held-out share in which a small class has one record or none, as a sigmoid per class
(Platt) would; and it keeps the probabilities monotone in the SVM's scores and the most probable
class the predicted one, so routing by probability keeps the class weights' balance (per-class
sigmoids put the class prior back: their argmax lost 0.07 macro-F1 on zjboard).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import polars as pl
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.metrics import classification_report, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

#: code point ranges of Chinese characters: CJK unified ideographs, extension A, compatibility ideographs
HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
HAN_END = 0xFB00
#: the bounds of the fitted temperature: scores of a linear SVM are of order one
_LOG_TEMPERATURE_BOUNDS = (np.log(1e-3), np.log(1e3))


class CategoryClassifier(ClassifierMixin, BaseEstimator):
    """Predict a record's category from its tokens and its text.

    ``X`` is a sequence of ``(tokens, text)`` pairs: space-joined tokens (as in the ``tokens``
    table) and the masked text (for its characters).

    Parameters
    ----------
    word_ngrams : n-gram range over the tokens.
    characters : add the Chinese characters of the text as features (``False``: words only).
    C : the SVM's regularisation (smaller: smoother).
    min_df : a word or character n-gram is a feature when at least this many training records hold
        it (1 when that leaves none, as in a handful of records).
    calibration_share : share of each class's training records held out to fit the temperature,
        rounded down (a class of fewer than ten records is all used to train).
    max_calibration : at most this many records held out (one number is fitted on them; on a large
        corpus more would only take records from the SVM).
    random_state : seed of the held-out draw and of the SVM's solver.

    Attributes
    ----------
    classes_ : the categories, in the order of ``predict_proba``'s columns.
    rare_classes_ : categories with a single training record: left out of the fit, never predicted
        (one record is no pattern, and balanced class weights would give it the weight of a class).
    temperature_ : the fitted temperature (1.0 when no record could be held out).
    calibration_records_ : how many records the temperature was fitted on (not used by the SVM).

    Examples
    --------
    >>> X = [("电梯 故障", "电梯坏了"), ("垃圾 清运", "垃圾没人运")] * 20
    >>> clf = CategoryClassifier().fit(X, ["物业", "环卫"] * 20)
    >>> clf.predict([("电梯 停运", "电梯又停了")]).tolist()
    ['物业']
    >>> bool(clf.predict_proba([("电梯 停运", "电梯又停了")])[0, 0] > 0.5)
    True
    """

    def __init__(
        self,
        word_ngrams: tuple[int, int] = (1, 2),
        characters: bool = True,
        C: float = 0.5,
        min_df: int = 2,
        calibration_share: float = 0.1,
        max_calibration: int = 1000,
        random_state: int = 0,
    ) -> None:
        self.word_ngrams = word_ngrams
        self.characters = characters
        self.C = C
        self.min_df = min_df
        self.calibration_share = calibration_share
        self.max_calibration = max_calibration
        self.random_state = random_state

    def _features(self, X: Sequence[tuple[str, str]], fit: bool) -> sp.csr_matrix:
        tokens = [t or "" for t, _ in X]
        texts = [x or "" for _, x in X] if self.characters else []
        if fit:
            words = TfidfVectorizer(
                token_pattern=r"[^ ]+",
                lowercase=False,
                ngram_range=self.word_ngrams,
                min_df=self.min_df,
                sublinear_tf=True,
            )
            self.words_, word_block = _fit_block(words, tokens)
            self.chars_, char_block = _fit_block(HanCharacters(min_df=self.min_df), texts) if texts else (None, None)
            blocks = [b for b in (word_block, char_block) if b is not None]
            if not blocks:
                raise ValueError("记录里没有可学习的词或字")
        else:
            blocks = [v.transform(d) for v, d in ((self.words_, tokens), (self.chars_, texts)) if v is not None]
        return sp.hstack(blocks, format="csr") if len(blocks) > 1 else blocks[0].tocsr()

    def _held_out(self, y: np.ndarray) -> np.ndarray:
        """A stratified draw of ``calibration_share`` of each class, at most ``max_calibration`` in all."""
        share = min(self.calibration_share, self.max_calibration / len(y))
        rng = np.random.default_rng(self.random_state)
        held = np.zeros(len(y), dtype=bool)
        for label in np.unique(y):
            members = np.flatnonzero(y == label)
            held[rng.permutation(members)[: int(len(members) * share)]] = True
        return held

    def fit(self, X: Sequence[tuple[str, str]], y: Sequence[str]) -> CategoryClassifier:
        """Learn from ``X`` and labels ``y``; see the class attributes for what is left out."""
        X, y = list(X), np.asarray(y)
        if len(X) != len(y):
            raise ValueError(f"记录数（{len(X)}）与标签数（{len(y)}）不一致")
        if not 0 <= self.calibration_share < 1:
            raise ValueError(f"calibration_share 应在 [0, 1) 之内，而不是 {self.calibration_share}")
        values, counts = np.unique(y, return_counts=True)
        self.rare_classes_ = sorted(values[counts < 2].tolist())
        if self.rare_classes_:
            keep = ~np.isin(y, self.rare_classes_)
            X, y = [x for x, k in zip(X, keep, strict=True) if k], y[keep]
        if len(np.unique(y)) < 2:
            raise ValueError("至少需要两个各有两条以上记录的类别")
        # the vocabulary is learned from every record, held-out ones included: it costs the
        # temperature a little optimism and gives the SVM the words of all the records
        features = self._features(X, fit=True)
        held = self._held_out(y)
        self.model_ = LinearSVC(C=self.C, class_weight="balanced", random_state=self.random_state)
        self.model_.fit(features[~held], y[~held])
        self.classes_ = self.model_.classes_
        self.calibration_records_ = int(held.sum())
        self.temperature_ = 1.0
        if held.any():
            scores = self._scores(self.model_, features[held])
            self.temperature_ = _fit_temperature(scores, np.searchsorted(self.classes_, y[held]))
        return self

    @staticmethod
    def _scores(model: LinearSVC, features: sp.csr_matrix) -> np.ndarray:
        scores = model.decision_function(features)
        if scores.ndim == 1:  # two classes: one score, for classes_[1]
            scores = np.column_stack([-scores, scores]) / 2
        return scores

    def decision_function(self, X: Sequence[tuple[str, str]]) -> np.ndarray:
        """The SVM's score of each record for each class, ``(n_records, n_classes)``."""
        check_is_fitted(self, "model_")
        return self._scores(self.model_, self._features(list(X), fit=False))

    def predict_proba(self, X: Sequence[tuple[str, str]]) -> np.ndarray:
        """Calibrated probability of each class: ``softmax(scores / temperature_)``."""
        return softmax(self.decision_function(X) / self.temperature_, axis=1)

    def predict(self, X: Sequence[tuple[str, str]]) -> np.ndarray:
        """The category of highest score (and so of highest probability)."""
        best = self.decision_function(X).argmax(axis=1)
        return self.classes_[best]


class HanCharacters(TransformerMixin, BaseEstimator):
    """TF-IDF of the Chinese characters of each text (sublinear tf, smooth idf, rows of unit length),
    as ``TfidfVectorizer(token_pattern="[一-龥]", sublinear_tf=True)`` would give, counted with numpy
    over the texts' code points instead of a Python loop over every character (four times faster on
    work orders of 80 characters, where the loop took almost as long as the SVM's fit).

    Examples
    --------
    >>> chars = HanCharacters(min_df=2).fit(["电梯坏了 3楼", "电梯停了"])
    >>> [chr(c) for c in chars.vocabulary_], chars.transform(["电梯 ABC"]).nnz
    (['了', '梯', '电'], 2)
    """

    def __init__(self, min_df: int = 1) -> None:
        self.min_df = min_df

    @staticmethod
    def _all_counts(texts: Sequence[str]) -> sp.csr_matrix:
        """Counts of every Chinese character in each text, one column per code point below ``HAN_END``."""
        points = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
        rows = np.repeat(np.arange(len(texts)), [len(t) for t in texts])
        han = np.zeros(len(points), dtype=bool)
        for low, high in HAN_RANGES:
            han |= (points >= low) & (points <= high)
        ones = np.ones(int(han.sum()))
        return sp.csr_matrix((ones, (rows[han], points[han])), shape=(len(texts), HAN_END))  # sums repeats

    def fit_transform(self, texts: Sequence[str], y: object = None) -> sp.csr_matrix:
        counts = self._all_counts(list(texts))
        df = np.bincount(counts.indices, minlength=HAN_END)
        self.vocabulary_ = np.flatnonzero(df >= max(self.min_df, 1))
        if len(self.vocabulary_) == 0:
            raise ValueError("no Chinese character in enough texts")
        self.tfidf_ = TfidfTransformer(sublinear_tf=True)
        return self.tfidf_.fit_transform(counts[:, self.vocabulary_])

    def fit(self, texts: Sequence[str], y: object = None) -> HanCharacters:
        self.fit_transform(texts)
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        check_is_fitted(self, "tfidf_")
        return self.tfidf_.transform(self._all_counts(list(texts))[:, self.vocabulary_])


def _fit_block(
    vectorizer: TfidfVectorizer | HanCharacters, docs: list[str]
) -> tuple[TfidfVectorizer | HanCharacters | None, sp.csr_matrix | None]:
    """Fit ``vectorizer`` on ``docs``; with ``min_df=1`` when ``min_df`` leaves no term (a handful of
    records); ``(None, None)`` when the documents hold no term at all."""
    for min_df in dict.fromkeys((vectorizer.min_df, 1)):
        try:
            return vectorizer, vectorizer.set_params(min_df=min_df).fit_transform(docs)
        except ValueError:  # "empty vocabulary" or "no terms remain": the only errors of a fit on strings
            continue
    return None, None


def _fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that minimises the log loss of ``softmax(scores / T)`` on held-out records.

    The targets are softened as Platt does for his sigmoid, the true class ``1 - 1 / (m + 2)`` of
    ``m`` held-out records, so that held-out records all on the right side do not drive ``T`` to 0.
    """
    m, k = scores.shape
    smoothing = 1 / (m + 2)
    targets = np.full((m, k), smoothing / (k - 1))
    targets[np.arange(m), truth] = 1 - smoothing

    def loss(log_t: float) -> float:
        return float(-(targets * log_softmax(scores / np.exp(log_t), axis=1)).sum())

    best = minimize_scalar(loss, bounds=_LOG_TEMPERATURE_BOUNDS, method="bounded")
    return float(np.exp(best.x))


def cross_validate(
    X: Sequence[tuple[str, str]], y: Sequence[str], folds: int = 5, random_state: int = 0, **params
) -> dict:
    """Stratified ``folds``-fold cross-validation of :class:`CategoryClassifier`.

    A class with fewer records than folds cannot be in every fold; it is left out, named in
    ``left_out_rare_classes`` and explained in ``notes``. Returns macro-F1 (over all out-of-fold
    predictions, and per fold), accuracy and per-class precision, recall, F1 and support.

    Examples
    --------
    >>> X = [("电梯 故障", "电梯坏了"), ("垃圾 清运", "垃圾没人运")] * 10 + [("路灯 不亮", "路灯坏了")]
    >>> figures = cross_validate(X, ["物业", "环卫"] * 10 + ["市政"], folds=2)
    >>> figures["macro_f1"], figures["left_out_rare_classes"]
    (1.0, ['市政'])
    """
    X, y = list(X), np.asarray([str(v) for v in y])
    if len(X) != len(y):
        raise ValueError(f"记录数（{len(X)}）与标签数（{len(y)}）不一致")
    values, counts = np.unique(y, return_counts=True)
    rare = sorted(values[counts < folds].tolist())
    keep = ~np.isin(y, rare)
    X = [x for x, k in zip(X, keep, strict=True) if k]
    y = y[keep]
    if len(np.unique(y)) < 2:
        raise ValueError(f"记录数不少于 {folds} 条的类别不足两个，无法交叉验证")
    predicted = np.empty_like(y)
    per_fold = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    for train, test in splitter.split(np.zeros(len(y)), y):
        model = CategoryClassifier(random_state=random_state, **params).fit([X[i] for i in train], y[train])
        predicted[test] = model.predict([X[i] for i in test])
        per_fold.append(f1_score(y[test], predicted[test], average="macro"))
    report = classification_report(y, predicted, output_dict=True, zero_division=0)
    notes = []
    if rare:
        left = int((~keep).sum())
        notes.append(
            f"{len(rare)} 个类别的记录少于 {folds} 条（{'、'.join(rare)}，共 {left} 条），"
            f"无法分层进入每一折，已从交叉验证中剔除"
        )
    return {
        "records": len(y),
        "folds": folds,
        "classes": len(np.unique(y)),
        "left_out_rare_classes": rare,
        "left_out_records": int((~keep).sum()),
        "notes": notes,
        "macro_f1": round(float(report["macro avg"]["f1-score"]), 4),
        "macro_f1_folds": [round(float(f), 4) for f in per_fold],
        "accuracy": round(float(report["accuracy"]), 4),
        "per_class": {
            k: {
                m: round(float(v[m]), 4) if m != "support" else int(v[m])
                for m in ("precision", "recall", "f1-score", "support")
            }
            for k, v in report.items()
            if k not in ("accuracy", "macro avg", "weighted avg")
        },
    }


def route_records(data: pl.DataFrame, label_column: str, seed: int, routed_at: dt.datetime) -> pl.DataFrame:
    """Train on the records of ``data`` that carry a label and route those that lack one.

    ``data``: source, record_id, tokens, text, label (null: to route). Returns rows of
    ``routed_categories`` (empty when fewer than 20 labelled records, or fewer than two classes of
    two records or more).
    """
    known, unknown = data.filter(pl.col("label").is_not_null()), data.filter(pl.col("label").is_null())
    learnable = known["label"].value_counts().filter(pl.col("count") >= 2).height
    if known.height < 20 or learnable < 2 or unknown.height == 0:
        return pl.DataFrame()
    model = CategoryClassifier(random_state=seed)
    model.fit(list(zip(known["tokens"], known["text"], strict=True)), known["label"].to_list())
    proba = model.predict_proba(list(zip(unknown["tokens"], unknown["text"], strict=True)))
    return unknown.select("source", "record_id").with_columns(
        pl.lit(label_column).alias("label_column"),
        pl.Series("category", model.classes_[proba.argmax(axis=1)].astype(str), dtype=pl.String),
        pl.Series("probability", proba.max(axis=1).round(4)),
        pl.lit(known.height, pl.Int64).alias("trained_on"),
        pl.lit(routed_at, pl.Datetime("us")).alias("routed_at"),
    )
