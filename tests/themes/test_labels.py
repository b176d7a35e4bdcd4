"""Theme labels: short phrases from the theme's own records, never boilerplate or a place, the keywords beside."""

import polars as pl
import pytest

from demandlab.text import Segmenter
from demandlab.themes import ThemeModel, load_taxonomy
from demandlab.themes.keywords import LABEL_CHARS, phrase_labels, record_phrases, word_tagger
from demandlab.themes.registry import describe_clusters

NOISE = [
    "小区旁边的工地，夜间施工噪音太大，晚上根本睡不着",
    "工地每天夜间施工噪音扰民，凌晨两点还在打桩",
    "夜间施工噪音严重影响休息，希望管一管",
    "附近工地一到晚上就夜间施工噪音不断，老人孩子都睡不好",
    "工地晚上十一点后还在作业，夜间施工噪音很大",
    "楼下工地夜间施工噪音很大，投诉多次没有效果",
]
CHARGING = [
    "楼道里有人电动车飞线充电，存在火灾隐患",
    "电动车飞线充电现象严重，电线从窗户吊下来",
    "小区电动车飞线充电没人管，晚上一排车挂着线",
    "有住户在楼道电动车飞线充电，万一着火跑不出去",
    "希望物业制止电动车飞线充电，多建充电桩",
    "单元门口电动车飞线充电，插线板放在地上",
]
PARKING = [
    "开发商捆绑销售车位，不买车位就不给办房产证",
    "交房时开发商捆绑销售车位，每个车位二十万",
    "开发商强行捆绑销售车位，业主很不满",
    "买房被要求捆绑销售车位，这合法吗",
    "楼盘捆绑销售车位，不买车位不让收房",
    "开发商捆绑销售车位还涨价，业主投诉无门",
]
THEMES = {"noise": NOISE, "charging": CHARGING, "parking": PARKING}


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter()


def _fitted(segmenter: Segmenter, themes: dict[str, list[str]]) -> tuple[ThemeModel, pl.DataFrame]:
    texts = [t for records in themes.values() for t in records]
    tokens = [" ".join(segmenter.tokens(t)) for t in texts]
    model = ThemeModel(n_themes=len(themes), n_components=len(themes), min_df=1, max_df=1.0).fit(tokens)
    frame = pl.DataFrame(
        {
            "theme": [name for name, records in themes.items() for _ in records],
            "cluster": model.labels_,
            "score": model.scores_,
            "text": texts,
            "tokens": tokens,
        }
    )
    # the hand-made themes are the model's clusters
    assert frame.group_by("theme").agg(pl.col("cluster").n_unique())["cluster"].to_list() == [1] * len(themes)
    return model, frame


def _labels(described: pl.DataFrame, frame: pl.DataFrame) -> dict[str, str]:
    by_cluster = dict(described.select("cluster", "auto_label").iter_rows())
    return {theme: by_cluster[cluster] for theme, cluster in frame.select("theme", "cluster").unique().iter_rows()}


def test_a_label_is_a_phrase_the_theme_s_records_repeat(segmenter):
    model, frame = _fitted(segmenter, THEMES)
    described = describe_clusters(model, frame, load_taxonomy(), set(), segmenter=segmenter)
    labels = _labels(described, frame)
    assert labels == {"noise": "夜间施工噪音", "charging": "电动车飞线充电", "parking": "捆绑销售车位"}
    for theme, label in labels.items():
        assert LABEL_CHARS[0] <= len(label) <= LABEL_CHARS[1]
        assert all(label in text for text in THEMES[theme])
    # the keywords stay beside the label
    assert described["keywords"].to_list() == [list(k) for k in model.keywords_]


def test_labels_do_not_depend_on_row_order_or_on_where_the_tokens_come_from(segmenter):
    model, frame = _fitted(segmenter, THEMES)
    expected = _labels(describe_clusters(model, frame, load_taxonomy(), set(), segmenter=segmenter), frame)
    for seed in range(3):
        shuffled = frame.sample(fraction=1.0, shuffle=True, seed=seed)
        assert _labels(describe_clusters(model, shuffled, load_taxonomy(), set()), frame) == expected
    # without a tokens column the sampled texts are cut by the segmenter: the same cut, the same labels
    cut_here = describe_clusters(model, frame.drop("tokens"), load_taxonomy(), set(), segmenter=segmenter)
    assert _labels(cut_here, frame) == expected


def test_excluded_phrases_never_appear_in_a_label(segmenter):
    model, frame = _fitted(segmenter, THEMES)
    exclude = ["飞线充电", "捆绑 销售"]  # say another stage found them to be boilerplate
    labels = _labels(describe_clusters(model, frame, load_taxonomy(), set(), exclude=exclude), frame)
    assert "飞线充电" not in labels["charging"] and "捆绑销售" not in labels["parking"]
    assert labels["noise"] == "夜间施工噪音"
    # parking has no phrase left: its keyword label shows none of their words
    assert " · " in labels["parking"] and not {"捆绑", "销售"} & set(labels["parking"].split(" · "))


def _tokens(segmenter, records: list[str]) -> list[tuple[str, list[str]]]:
    return [(t, segmenter.tokens(t)) for t in records]


def test_a_place_name_is_no_label_even_when_it_is_a_top_keyword(segmenter):
    records = [
        f"萧山区广场舞噪音扰民{tail}" for tail in ("，晚上九点还在跳", "，音响太大", "，老人睡不着", "，天天如此")
    ]
    sample = _tokens(segmenter, records)
    keywords, weights = [["萧山区", "广场舞", "噪音扰民"]], [[0.5, 0.3, 0.2]]
    (untagged,) = phrase_labels([sample], keywords, weights)
    assert "萧山区" in untagged  # without a dictionary's tags nothing marks it as a place
    (tagged,) = phrase_labels([sample], keywords, weights, tags=word_tagger(segmenter))
    assert tagged == "广场舞噪音扰民"


def test_a_label_does_not_end_on_an_adverb(segmenter):
    records = [
        "狗主人从来不牵绳",
        "遛狗的狗主人从来不牵绳，孩子很害怕",
        "楼下狗主人从来不牵绳",
        "狗主人从来不牵绳也不清理",
    ]
    sample = [(t, ["狗主人", "从来", "牵绳"]) for t in records]  # a cut that leaves 从来 on its own
    keywords, weights = [["从来", "狗主人", "牵绳"]], [[0.4, 0.4, 0.2]]
    assert phrase_labels([sample], keywords, weights) == ["狗主人从来"]
    assert phrase_labels([sample], keywords, weights, tags=word_tagger(segmenter)) == ["狗主人"]


def test_a_phrase_every_theme_repeats_is_no_theme_s_label(segmenter):
    template = "请职能部门尽快处置噪音投诉。"
    themes = [[template + t for t in NOISE], [template + t for t in CHARGING]]
    samples = [_tokens(segmenter, records) for records in themes]
    keywords = [["处置", "噪音", "夜间"], ["处置", "电动车", "飞线充电"]]  # as if the template won a keyword
    labels = phrase_labels(samples, keywords, [[0.4, 0.4, 0.2]] * 2)
    assert labels == ["夜间施工噪音", "电动车飞线充电"]
    assert all("处置" not in label for label in labels)


def test_two_themes_never_share_a_label(segmenter):
    shortage = [f"小区停车位不够{t}" for t in ("，晚上停车难", "，外来车辆占位", "，业主没地方停", "，只能停路边")]
    fees = [f"小区停车位一个月{t}" for t in ("收费五百", "要交六百", "涨到八百", "收费太贵")]
    others = [NOISE, CHARGING, PARKING]  # other themes, so that neither parking theme is the only other one
    samples = [_tokens(segmenter, records) for records in (shortage, fees, *others)]
    keywords = [["停车位", "小区", "停车难"], ["停车位", "收费", "小区"], ["噪音"], ["飞线充电"], ["捆绑"]]
    weights = [[0.5, 0.3, 0.2], [0.4, 0.4, 0.2], [1.0], [1.0], [1.0]]
    labels = phrase_labels(samples, keywords, weights)
    # 小区停车位 is the best phrase of both; the stronger claim (0.8 against 0.6) keeps it
    assert labels[:2] == ["小区停车位", "停车位"]


def test_without_a_recurring_phrase_the_keyword_label_stays(segmenter):
    texts = ["电梯坏了，物业不修", "电梯又坏，物业不管", "电梯坏掉了，物业推诿", "电梯停了，物业没人"]
    texts += ["垃圾满了，臭味很大", "垃圾太多，臭味难闻", "垃圾没清，臭味熏人", "垃圾又满，臭味刺鼻"]
    model = ThemeModel(n_themes=2, n_components=2, min_df=1, max_df=1.0).fit(
        [" ".join(segmenter.tokens(t)) for t in texts]
    )
    frame = pl.DataFrame({"cluster": model.labels_, "score": model.scores_, "text": texts})
    described = describe_clusters(model, frame, load_taxonomy(), set(), segmenter=segmenter)
    assert described["auto_label"].to_list() == [model.label(0), model.label(1)]
    assert all(" · " in label for label in described["auto_label"])


def test_a_phrase_is_only_what_stands_together_in_the_text():
    # 楼道 and 飞线充电 are neighbours among the tokens, not in the text
    found = record_phrases("楼道里有人飞线充电", ["楼道", "飞线充电"])
    assert set(found) == {"飞线充电"}
    # the same words cut two ways are one candidate, shown as written
    a = record_phrases("夜间施工噪音大", ["夜间", "施工噪音"])
    b = record_phrases("夜间施工噪音扰民", ["夜间施工", "噪音", "扰民"])
    assert "夜间施工噪音" in a and "夜间施工噪音" in b
    assert record_phrases("LED灯不亮", ["led", "灯", "不亮"])["led灯不亮"][0] == "LED灯不亮"


def test_the_title_s_tokens_before_the_text_s_do_not_hide_its_phrases():
    # the tokens stage cuts title and text together; the text the labels read is the text alone
    title, text = ["飞线充电", "火灾隐患"], ["楼道", "电动车", "飞线充电", "火灾隐患"]
    found = record_phrases("楼道里电动车飞线充电，存在火灾隐患", title + text)
    assert set(found) == {"电动车", "电动车飞线充电", "飞线充电", "火灾隐患"}
