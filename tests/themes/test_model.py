import numpy as np
import pytest
from sklearn.metrics import v_measure_score

from demandlab.themes import UNASSIGNED, ThemeModel

TOPICS = {
    "charging": ["电瓶车", "飞线充电", "充电桩", "楼道", "电动车", "插线板"],
    "garbage": ["垃圾", "清运", "垃圾桶", "臭味", "苍蝇", "垃圾站"],
    "lift": ["电梯", "故障", "困人", "维保", "停运", "按钮"],
    "noise": ["噪音", "夜间施工", "工地", "搅拌站", "扰民", "打桩"],
}


def _docs(n_per_topic: int = 60, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    filler = ["小区", "门口", "居民", "反映", "晚上", "物业", "社区"]
    docs, labels = [], []
    for topic, words in TOPICS.items():
        for _ in range(n_per_topic):
            chosen = list(rng.choice(words, size=4, replace=False)) + list(rng.choice(filler, size=2))
            rng.shuffle(chosen)
            docs.append(" ".join(chosen))
            labels.append(topic)
    return docs, labels


def test_finds_the_topics_and_names_them():
    docs, labels = _docs()
    model = ThemeModel(min_themes=2, max_themes=12, n_components=20, min_df=2).fit(docs)
    assert model.n_themes_ == 4
    assert v_measure_score(labels, model.labels_) > 0.95
    for words in TOPICS.values():
        assert any(set(model.label(t).split(" · ")) & set(words) for t in range(model.n_themes_))


def test_predict_on_the_fit_documents_equals_the_fit():
    docs, _ = _docs()
    model = ThemeModel(min_themes=2, max_themes=12, n_components=20, min_df=2).fit(docs)
    assert (model.predict(docs) == model.labels_).all()


def test_same_seed_same_themes_and_save_load_round_trip(tmp_path):
    docs, _ = _docs()
    a = ThemeModel(min_themes=2, max_themes=12, n_components=20, min_df=2, random_state=7).fit(docs)
    b = ThemeModel(min_themes=2, max_themes=12, n_components=20, min_df=2, random_state=7).fit(docs)
    assert (a.labels_ == b.labels_).all()
    a.save(tmp_path / "m")
    assert not list(tmp_path.glob("*.pkl"))
    loaded = ThemeModel.load(tmp_path / "m")
    assert (loaded.predict(docs) == a.labels_).all()
    assert loaded.keywords_ == a.keywords_ and loaded.version_ == a.version_


def test_documents_without_known_terms_are_unassigned_with_a_reason():
    docs, _ = _docs()
    model = ThemeModel(n_themes=4, n_components=20, min_df=2).fit(docs)
    labels, _, reasons = model.assign(["火星 木星", "", docs[0]])
    assert labels[:2].tolist() == [UNASSIGNED, UNASSIGNED]
    assert reasons[:2] == ["no_known_terms", "no_known_terms"] and reasons[2] is None
    assert model.label(UNASSIGNED) == "未归类"


def test_unfitted_model_refuses_to_predict():
    with pytest.raises(Exception, match="not fitted"):
        ThemeModel().predict(["电梯"])


def test_fit_needs_documents():
    with pytest.raises(ValueError, match="at least 2 documents"):
        ThemeModel().fit(["电梯"])
