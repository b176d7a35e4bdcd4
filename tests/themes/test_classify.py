"""The category classifier: class weights, calibrated probabilities, per-class figures, odd corpora,
and (when ../shared/data is there) macro-F1 no lower than the textbook TF-IDF + LinearSVC."""

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from demandlab.themes.classify import CategoryClassifier, HanCharacters, cross_validate, route_records

ZJBOARD = Path(__file__).resolve().parents[3] / "shared" / "data" / "zjboard" / "messages.jsonl"

TOPICS = {
    "物业": "电梯 故障 物业 维修 停运 困人 保安 收费 门禁 绿化 楼道 漏水".split(),
    "环卫": "垃圾 清运 臭味 堆放 分类 保洁 垃圾桶 苍蝇 污水 公厕 扫地 清洁".split(),
    "交通": "公交 站台 红绿灯 拥堵 停车 斑马线 路口 班次 违停 车道 限速 地铁".split(),
}


def _records(topic: str, n: int, rng: np.random.Generator, extra: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """``n`` records of five words from ``topic``'s vocabulary (plus ``extra``): (tokens, text) pairs."""
    out = []
    for _ in range(n):
        words = [*rng.choice(TOPICS[topic], size=5, replace=False), *extra]
        out.append((" ".join(words), "，".join(words)))
    return out


def _corpus(sizes: dict[str, int], seed: int = 0) -> tuple[list[tuple[str, str]], list[str]]:
    rng = np.random.default_rng(seed)
    X, y = [], []
    for topic, n in sizes.items():
        X += _records(topic, n, rng)
        y += [topic] * n
    return X, y


def test_predicts_the_topics_and_keeps_the_estimator_contract():
    X, y = _corpus({"物业": 40, "环卫": 40, "交通": 40})
    clf = CategoryClassifier(C=0.3)
    assert clone(clf).get_params()["C"] == 0.3
    with pytest.raises(NotFittedError):
        clf.predict(X[:1])
    clf.fit(X, y)
    test, truth = _corpus({"物业": 10, "环卫": 10, "交通": 10}, seed=1)
    assert (clf.predict(test) == np.asarray(truth)).all()
    assert clf.score(test, truth) == 1.0  # ClassifierMixin.score goes through predict
    assert clf.classes_.tolist() == sorted(TOPICS)


def test_a_rare_class_is_still_predicted_thanks_to_class_weights():
    # 消防通道 is in the 6 records of the rare class 消防 and in 10 of the 300 of 物业: counted plainly,
    # the word is 物业's; weighted by class size, it is the mark of 消防
    rng = np.random.default_rng(0)
    X = _records("物业", 290, rng) + _records("物业", 10, rng, extra=("消防通道",))
    X += _records("物业", 6, rng, extra=("消防通道",))
    y = np.asarray(["物业"] * 300 + ["消防"] * 6)
    clf = CategoryClassifier().fit(X, y)
    test = _records("物业", 20, rng, extra=("消防通道",)) + _records("物业", 20, rng)
    assert clf.predict(test).tolist() == ["消防"] * 20 + ["物业"] * 20
    # the same features and regularisation without the weights hardly ever predict it
    unweighted = LinearSVC(C=clf.C).fit(clf._features(X, fit=False), y)
    assert (unweighted.predict(clf._features(test, fit=False)) == "消防").sum() < 5


def test_probabilities_sum_to_one_and_follow_the_scores():
    X, y = _corpus({"物业": 40, "环卫": 40, "交通": 40})
    clf = CategoryClassifier().fit(X, y)
    mixed = [(f"{a} {b}", f"{c}{d}") for (a, c), (b, d) in zip(X[:40], X[40:80], strict=True)]
    scores, proba = clf.decision_function(mixed), clf.predict_proba(mixed)
    assert proba.shape == (40, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # within each record the classes rank the same by score and by probability
    assert (np.argsort(scores, axis=1) == np.argsort(proba, axis=1)).all()
    assert (clf.classes_[proba.argmax(axis=1)] == clf.predict(mixed)).all()
    # across records too, a higher score for a class is a higher probability of it (two classes)
    two = CategoryClassifier().fit(X[:80], y[:80])
    s, p = two.decision_function(mixed)[:, 1], two.predict_proba(mixed)[:, 1]
    assert (np.diff(p[np.argsort(s)]) >= 0).all()


@pytest.mark.parametrize(("flipped", "low", "high"), [(0.0, 0.93, 1.0), (0.1, 0.82, 0.95), (0.2, 0.68, 0.85)])
def test_probabilities_say_how_often_the_label_holds(flipped, low, high):
    # two clear topics with a share of the labels flipped at random: a record's top probability should
    # come near the share of labels that hold (the SVM's raw scores would give about 0.7 in every case)
    X, y = _corpus({"物业": 150, "环卫": 150})
    rng = np.random.default_rng(0)
    y = np.asarray(y)
    flip = rng.random(len(y)) < flipped
    y[flip] = np.where(y[flip] == "物业", "环卫", "物业")
    clf = CategoryClassifier().fit(X, y)
    test, _ = _corpus({"物业": 50, "环卫": 50}, seed=1)
    # a tenth of each class, rounded down
    assert clf.calibration_records_ == sum(int(n * 0.1) for n in np.unique(y, return_counts=True)[1])
    assert low <= clf.predict_proba(test).max(axis=1).mean() <= high


def test_cross_validate_reports_per_class_figures():
    X, y = _corpus({"物业": 30, "环卫": 20, "交通": 10})
    figures = cross_validate(X, y, folds=5)
    assert figures["records"] == 60 and figures["classes"] == 3 and len(figures["macro_f1_folds"]) == 5
    assert set(figures["per_class"]) == {"物业", "环卫", "交通"}
    for name, size in (("物业", 30), ("环卫", 20), ("交通", 10)):
        row = figures["per_class"][name]
        assert set(row) == {"precision", "recall", "f1-score", "support"} and row["support"] == size
        assert 0 <= row["precision"] <= 1 and 0 <= row["recall"] <= 1
    assert figures["macro_f1"] == 1.0 and figures["notes"] == [] and figures["left_out_records"] == 0


def test_a_class_of_one_record_is_left_out_and_said_so():
    X, y = _corpus({"物业": 20, "环卫": 20})
    X, y = [*X, ("路灯 不亮", "路灯不亮")], [*y, "市政"]
    figures = cross_validate(X, y, folds=3)
    assert figures["left_out_rare_classes"] == ["市政"] and figures["left_out_records"] == 1
    assert figures["records"] == 40 and "市政" not in figures["per_class"]
    assert len(figures["notes"]) == 1 and "市政" in figures["notes"][0] and "剔除" in figures["notes"][0]
    clf = CategoryClassifier().fit(X, y)
    assert clf.rare_classes_ == ["市政"] and "市政" not in clf.classes_
    with pytest.raises(ValueError, match="不足两个"):
        cross_validate(X[:21], y[:21], folds=3)


def test_tiny_corpora_and_texts_without_chinese_characters():
    # four records: min_df=2 would leave almost nothing, it falls back to every word
    X = [("电梯 故障", "电梯故障"), ("电梯 困人", "电梯困人"), ("垃圾 臭味", "垃圾臭味"), ("垃圾 清运", "垃圾清运")]
    y = ["物业", "物业", "环卫", "环卫"]
    clf = CategoryClassifier().fit(X, y)
    assert clf.calibration_records_ == 0 and clf.temperature_ == 1.0
    assert clf.predict([("电梯", "电梯")]).tolist() == ["物业"]
    # no Chinese character at all: the character block is left out, the words still learn
    latin = [("wifi down", "wifi down"), ("wifi slow", "wifi slow"), ("bus late", "bus late"), ("bus full", "bus full")]
    clf = CategoryClassifier().fit(latin * 3, ["网络", "网络", "交通", "交通"] * 3)
    assert clf.chars_ is None and clf.predict([("bus", "bus")]).tolist() == ["交通"]


def test_han_characters_equal_a_tfidf_over_characters():
    texts = ["电梯坏了 3楼 ABC", "电梯又停了，物业不管", "垃圾没人运〔姓名〕", "", "﨑 㐀 字"]
    ours = HanCharacters().fit(texts[:3])
    theirs = TfidfVectorizer(token_pattern=r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]", sublinear_tf=True)
    theirs.fit(texts[:3])
    assert [chr(c) for c in ours.vocabulary_] == sorted(theirs.vocabulary_)
    np.testing.assert_allclose(ours.transform(texts).toarray(), theirs.transform(texts).toarray())


def test_route_records_fills_in_the_missing_labels():
    X, y = _corpus({"物业": 15, "环卫": 15})
    labels = [*y[:12], *[None] * 3, *y[15:27], *[None] * 3]
    data = pl.DataFrame(
        {
            "source": ["s"] * 30,
            "record_id": [str(i) for i in range(30)],
            "tokens": [t for t, _ in X],
            "text": [x for _, x in X],
            "label": labels,
        }
    )
    at = dt.datetime(2025, 6, 2, 8)
    routed = route_records(data, "category", 0, at)
    assert routed["record_id"].to_list() == ["12", "13", "14", "27", "28", "29"]
    assert routed["category"].to_list() == ["物业"] * 3 + ["环卫"] * 3
    assert routed["probability"].is_between(0.5, 1).all() and (routed["trained_on"] == 24).all()
    # one class of two records or more (and one of a single record) is nothing to learn: no routing, no error
    lone = data.with_columns(pl.Series("label", ["物业"] * 25 + ["环卫"] + [None] * 4))
    assert route_records(lone, "category", 0, at).height == 0


@pytest.mark.realdata
@pytest.mark.skipif(not ZJBOARD.exists(), reason="../shared/data/zjboard absent")
def test_macro_f1_at_least_the_textbook_baseline_on_zjboard():
    from demandlab.ingest import read_table
    from demandlab.text import Segmenter, clean_text

    frame = read_table(ZJBOARD).frame.filter(pl.col("domain").is_not_null())
    seg = Segmenter()
    texts = clean_text([f"{a or ''} {b or ''}" for a, b in zip(frame["title"], frame["content"], strict=True)])
    docs = [" ".join(seg.tokens(t)) for t in texts]
    X, y = list(zip(docs, [t or "" for t in texts], strict=True)), np.asarray(frame["domain"].to_list())
    ours, textbook = [], []
    for train, test in StratifiedKFold(3, shuffle=True, random_state=0).split(np.zeros(len(y)), y):
        clf = CategoryClassifier().fit([X[i] for i in train], y[train])
        ours.append(f1_score(y[test], clf.predict([X[i] for i in test]), average="macro"))
        words = TfidfVectorizer(token_pattern=r"[^ ]+", lowercase=False, ngram_range=(1, 2), sublinear_tf=True)
        svm = LinearSVC(class_weight="balanced").fit(words.fit_transform([docs[i] for i in train]), y[train])
        textbook.append(f1_score(y[test], svm.predict(words.transform([docs[i] for i in test])), average="macro"))
    assert np.mean(ours) >= np.mean(textbook)
    # cross_validate measures the same model on the same folds
    assert cross_validate(X, y, folds=3)["macro_f1_folds"] == [round(float(f), 4) for f in ours]
