"""A corpus too small or too uniform for themes: one theme or none, with a reason, never an exception."""

import csv
import itertools

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import v_measure_score

import demandlab as dl
from demandlab.config import demo_config
from demandlab.themes import UNASSIGNED, ThemeModel
from demandlab.themes.model import DEGRADED_ZH, TOKEN_PATTERN, UNASSIGNED_REASONS_ZH

SHARED = "小区 电梯 故障 困人 物业 维修 太慢"
#: sixty records of one matter, each with a word of its own: every shared word is in more than half of them
#: (max_df drops it) and every other word in fewer than three (min_df drops it)
NEAR_IDENTICAL = [f"{SHARED} 第{i}次" for i in range(60)]

CORPORA = {
    "empty": [],
    "one": ["电梯 故障 困人"],
    "two identical": ["电梯 故障", "电梯 故障"],
    "two unrelated": ["电梯 故障", "垃圾 清运"],
    "five, two matters": ["电梯 故障 困人", "电梯 故障 维修", "电梯 停运", "垃圾 清运", "垃圾 臭味"],
    "sixty near-identical": NEAR_IDENTICAL,
    "sixty identical": ["电梯 故障 困人"] * 60,
    "one word each, one matter": ["电梯"] * 10,
    "one word each, two matters": ["电梯"] * 30 + ["垃圾"] * 30,
    "empty strings": ["", "", "", ""],
    "None and empty": [None, "", None],
    "some empty": ["", "", "电梯 故障", "电梯 故障", "电梯 故障"],
    "three distinct, repeated": ["电梯 故障 困人", "垃圾 清运 臭味", "噪音 施工 夜间"] * 20,
}


def test_the_sixty_records_are_the_shape_that_failed():
    # what the fit did before it degraded: the configured pruning leaves no term at all
    with pytest.raises(ValueError, match="no terms remain"):
        CountVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=(1, 2), min_df=3, max_df=0.5).fit(NEAR_IDENTICAL)


@pytest.mark.parametrize("n_themes", ["auto", 3])
@pytest.mark.parametrize("name", list(CORPORA))
def test_every_small_corpus_fits_and_assign_equals_the_fit(name, n_themes, tmp_path):
    docs = CORPORA[name]
    model = ThemeModel(n_themes=n_themes).fit(docs)
    assert model.labels_.shape == (len(docs),) and len(model.reasons_) == len(docs)
    assert model.n_themes_ == len(model.centers_) == len(model.keywords_)
    assert all(model.keywords_), "a theme without keywords is no theme"
    labels, scores, reasons = model.assign(docs)
    assert labels.tolist() == model.labels_.tolist()
    assert np.allclose(scores, model.scores_) and reasons == model.reasons_
    assert model.transform(docs).shape == (len(docs), model.n_themes_)
    for label, reason in zip(labels.tolist(), reasons, strict=True):
        assert (reason is None) if label >= 0 else (reason in UNASSIGNED_REASONS_ZH)
    assert model.degraded_ is None or model.degraded_ in DEGRADED_ZH
    model.save(tmp_path / "m")
    loaded = ThemeModel.load(tmp_path / "m")
    assert loaded.degraded_ == model.degraded_ and loaded.n_themes_ == model.n_themes_
    assert loaded.assign(docs)[0].tolist() == model.labels_.tolist()
    assert loaded.assign(docs)[2] == model.reasons_


def test_no_documents_or_one_document_is_no_theme():
    empty = ThemeModel().fit([])
    assert empty.n_themes_ == 0 and empty.labels_.tolist() == [] and empty.degraded_ == "too_few_documents"
    one = ThemeModel().fit(["电梯 故障 困人"])
    assert one.n_themes_ == 0 and one.degraded_ == "too_few_documents"
    assert one.labels_.tolist() == [UNASSIGNED] and one.reasons_ == ["too_few_documents"]
    # the model is usable: new records are 未归类 for the same reason
    labels, scores, reasons = one.assign(["电梯 故障 困人", "垃圾 清运"])
    assert labels.tolist() == [UNASSIGNED, UNASSIGNED] and scores.tolist() == [0.0, 0.0]
    assert reasons == ["too_few_documents", "too_few_documents"]
    assert one.label(UNASSIGNED) == "未归类"


def test_records_that_share_no_word_are_no_theme():
    for docs in (["电梯 故障", "垃圾 清运"], ["", "", "", ""], [None, "", None]):
        model = ThemeModel().fit(docs)
        assert model.n_themes_ == 0 and model.degraded_ == "no_shared_terms"
        assert model.labels_.tolist() == [UNASSIGNED] * len(docs)
        assert model.reasons_ == ["no_shared_terms"] * len(docs)


def test_sixty_near_identical_records_are_one_theme_named_by_what_they_share():
    model = ThemeModel().fit(NEAR_IDENTICAL)
    assert model.n_themes_ == 1 and model.degraded_ == "too_small_or_uniform"
    assert model.labels_.tolist() == [0] * 60 and model.reasons_ == [None] * 60
    # every record holds every shared word and one word of its own: the theme knows exactly the shared
    # words and word pairs, however common, and none of the words that only one record has
    words = SHARED.split()
    assert sorted(model.vocabulary_) == sorted(words + [f"{a} {b}" for a, b in itertools.pairwise(words)])
    assert set(model.label(0).split(" · ")) <= set(SHARED.split())
    # a new record of the same matter joins the theme; one of another matter does not
    labels, _, reasons = model.assign([f"{SHARED} 第61次", "垃圾 清运 臭味"])
    assert labels.tolist() == [0, UNASSIGNED] and reasons == [None, "no_known_terms"]


def test_a_tiny_corpus_of_two_matters_keeps_the_one_most_records_share():
    docs = CORPORA["five, two matters"]
    model = ThemeModel().fit(docs)
    assert model.n_themes_ == 1 and model.degraded_ == "too_small_or_uniform"
    # 电梯 is in three records, 垃圾 in two: the lift records are the theme, the garbage ones stay apart
    assert model.labels_.tolist() == [0, 0, 0, UNASSIGNED, UNASSIGNED]
    assert model.reasons_[3:] == ["too_far_from_themes", "too_far_from_themes"]
    assert "电梯" in model.label(0).split(" · ")


def test_identical_records_and_one_word_records_are_one_theme():
    for docs, words in ((["电梯 故障"] * 2, {"电梯", "故障"}), (["电梯 故障 困人"] * 60, {"电梯", "故障", "困人"})):
        model = ThemeModel().fit(docs)
        assert model.n_themes_ == 1 and model.labels_.tolist() == [0] * len(docs)
        assert set(model.label(0).split(" · ")) == words
    single = ThemeModel().fit(["电梯"] * 10)
    assert single.n_themes_ == 1 and single.label(0) == "电梯" and single.labels_.tolist() == [0] * 10


def test_one_word_per_record_still_separates_two_matters():
    # two terms are a two-dimensional space: none of it may be cut away
    docs = CORPORA["one word each, two matters"]
    model = ThemeModel().fit(docs)
    assert model.degraded_ is None and model.n_themes_ == 2
    assert v_measure_score(docs, model.labels_) == 1.0
    assert {model.label(t) for t in range(2)} == {"电梯", "垃圾"}


def test_fewer_distinct_records_than_components_or_themes():
    docs = CORPORA["three distinct, repeated"]
    truth = [i % 3 for i in range(60)]
    for model in (ThemeModel().fit(docs), ThemeModel(n_themes=10).fit(docs)):
        assert model.degraded_ is None and model.n_themes_ == 3
        assert v_measure_score(truth, model.labels_) == 1.0


def test_empty_records_among_others_are_unassigned_for_having_no_words():
    model = ThemeModel().fit(CORPORA["some empty"])
    assert model.labels_.tolist() == [UNASSIGNED, UNASSIGNED, 0, 0, 0]
    assert model.reasons_ == ["no_known_terms", "no_known_terms", None, None, None]


def test_the_estimator_contract_holds():
    model = ThemeModel(min_df=2, max_themes=12)
    assert clone(model).get_params() == model.get_params()
    fitted = model.fit(NEAR_IDENTICAL)
    assert fitted is model and model.get_params()["min_df"] == 2  # the fit degrades without touching parameters
    with pytest.raises(Exception, match="not fitted"):
        ThemeModel().assign(["电梯"])


@pytest.fixture(scope="module")
def first_week(tmp_path_factory):
    """A small deployment's first week: sixty orders about one lift, and sixty that say nothing."""
    root = tmp_path_factory.mktemp("first_week")
    out = {}
    texts = {"one_matter": "幸福小区电梯又坏了，老人被困在电梯里，物业维修太慢，第{}次反映", "nothing": "的了吗？嗯。"}
    for name, text in texts.items():
        path = root / name / "orders.csv"
        path.parent.mkdir()
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["工单编号", "来电时间", "诉求内容", "街道", "社区", "网格"])
            for i in range(60):
                writer.writerow(
                    [f"GD{i}", f"2026/11/{1 + i % 14} 10:00:00", text.format(i), "东湖街道", "幸福社区", "第1网格"]
                )
        cfg = demo_config(path.parent, path.parent / "reports")
        store = dl.connect(cfg.paths.db)
        pipe = dl.Pipeline(store, cfg)
        pipe.ingest(path)
        out[name] = (store, pipe, pipe.run())
    yield out
    for store, _, _ in out.values():
        store.close()


def test_a_first_week_of_one_matter_runs_and_is_one_theme(first_week):
    store, pipe, report = first_week["one_matter"]
    assert report.refit and report.n_themes == 1 and report.unassigned == 0
    _, model = pipe.current_model()
    assert model.degraded_ == "too_small_or_uniform"
    themes = store.sql("select theme_id, label, size from themes where theme_id >= 0")
    assert themes["size"].to_list() == [60] and "电梯" in themes["label"][0]
    # assigning the same records again (the next run) gives what the fit gave
    tokens = store.sql("select tokens from tokens order by source, record_id")["tokens"].to_list()
    fitted = store.sql("select cluster from assignments order by source, record_id")["cluster"].to_list()
    assert model.assign(tokens)[0].tolist() == fitted


def test_a_first_week_with_no_words_runs_and_leaves_every_record_unassigned_with_a_reason(first_week):
    store, pipe, report = first_week["nothing"]
    assert report.n_themes == 0 and report.unassigned == 60
    assert pipe.current_model()[1].degraded_ == "no_shared_terms"
    reasons = store.sql("select distinct reason from assignments")["reason"].to_list()
    assert reasons and all(r in UNASSIGNED_REASONS_ZH for r in reasons)
    assert store.scalar("select count(*) from mart_records where theme_label = '未归类'") == 60
