import pickle

import pytest

from demandlab.text import Segmenter, segment
from demandlab.text.segment import governance_lexicon


@pytest.mark.parametrize("backend", ["rjieba", "jieba"])
def test_governance_terms_stay_whole(backend):
    seg = Segmenter(backend=backend)
    tokens = seg.tokens("老旧小区加装电梯，低楼层住户不同意；楼道里飞线充电，长者食堂和四点半课堂")
    for term in ("老旧小区", "加装电梯", "低楼层", "飞线充电", "长者食堂", "四点半课堂"):
        assert term in tokens


def test_both_backends_cut_the_same_with_the_same_dictionary():
    texts = [
        "市民来电反映锦绣花园5栋电梯又坏了，困人半小时",
        "2024-10-30晚上10点楼下广场舞音响太大",
        "暖气不热，室温只有十几度",
    ]
    assert Segmenter(backend="rjieba").segment(texts) == Segmenter(backend="jieba").segment(texts)


def test_stopwords_numbers_punctuation_and_placeholders_are_left_out():
    tokens = segment(["市民来电反映：〔姓名〕女士电话〔手机号〕，希望相关部门尽快处理3栋漏水！！"])[0]
    assert tokens == ["漏水"]


def test_places_are_cut_whole_and_kept_out_of_the_tokens():
    seg = Segmenter(places=["翠湖苑"])
    assert "翠湖苑" in seg.cut("翠湖苑门口垃圾没人清运")
    assert seg.tokens("翠湖苑门口垃圾没人清运") == ["门口", "垃圾", "清运"]


def test_segmenter_pickles_without_its_tokenizer_and_works_after():
    seg = Segmenter()
    seg.tokens("电瓶车")
    copy = pickle.loads(pickle.dumps(seg))
    assert copy.tokens("电瓶车飞线充电") == ["电瓶车", "飞线充电"]


def test_the_name_changes_when_the_dictionary_or_stopwords_change():
    assert Segmenter().name != Segmenter(stopwords=["电梯"]).name
    assert Segmenter().name == Segmenter().name


def test_the_lexicon_has_frequencies_and_parts_of_speech():
    entries = governance_lexicon()
    assert len(entries) >= 300
    assert all(e.freq > 0 and e.tag for e in entries)
