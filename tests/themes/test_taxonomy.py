"""Categories: the shipped seed list, user tables of up to three levels, and mappings that need evidence."""

import polars as pl
import pytest
from typer.testing import CliRunner

import demandlab as dl
from demandlab.cli import app
from demandlab.pipeline import outputs
from demandlab.themes import load_taxonomy, map_to_categories
from demandlab.themes.registry import first_fit
from demandlab.themes.taxonomy import MARGIN, MIN_SCORE, OTHER, UNMAPPED_ZH, categorize, match_strength


def test_seed_taxonomy_has_the_categories_the_design_names():
    names = [c.name for c in load_taxonomy()]
    for expected in (
        "物业服务",
        "加装电梯",
        "停车",
        "电动车充电",
        "噪音",
        "油烟",
        "环境卫生",
        "房屋漏水",
        "供水供暖",
        "市政设施",
        "违章搭建",
        "占道经营",
        "安全隐患",
        "邻里纠纷",
        "养老服务",
        "托育与教育",
        "医疗卫生",
        "就业与社保",
        "交通出行",
        "其他",
    ):
        assert expected in names
    assert all(c.description and c.seed_terms for c in load_taxonomy())


# Keywords and weights as real fits gave them (taidi2020c messages): before, 停电 went to 加装电梯
# (小区 inside 老旧小区), 车管所 to 停车 (车辆 inside 外来车辆), 人才落户 to 加装电梯 (补贴, 审批).
NO_CATEGORY = {
    "停电": (["停电", "用电", "小区", "开发", "公司", "临时"], [0.14, 0.09, 0.06, 0.05, 0.05, 0.04]),
    "车管所": (["车管所", "驾驶证", "车辆", "交警", "年检", "办理"], [0.12, 0.09, 0.07, 0.06, 0.05, 0.04]),
    "落户": (["落户", "人才", "户口", "补贴", "审批", "购房"], [0.13, 0.1, 0.08, 0.06, 0.05, 0.04]),
}


def test_themes_without_a_category_stay_unmapped_with_their_candidates():
    tax = load_taxonomy()
    keywords, weights = zip(*NO_CATEGORY.values(), strict=True)
    matches = categorize(list(keywords), list(weights), tax)
    for name, match in zip(NO_CATEGORY, matches, strict=True):
        assert (match.category, match.score, match.mapped) == (OTHER, None, False), name
        # whatever matched is shown, and it is too weak to decide
        assert all(score < MIN_SCORE for _, score in match.candidates), name
    power, licence, _ = matches
    # the categories the old mapping forced them into are candidates at most, far from enough
    assert [c for c, _ in power.candidates] == ["物业服务"]  # 公司 is half of 物业公司
    assert [c for c, _ in licence.candidates] == ["停车"]  # 车辆 is half of 外来车辆
    assert map_to_categories(list(keywords), list(weights), tax) == [OTHER] * 3


def test_one_character_never_links_two_words():
    assert match_strength("停电", "加装电梯") == 0.0  # they share only 电
    assert match_strength("电", "电梯") == 0.0
    assert match_strength("乱停车", "停车") == pytest.approx(2 / 3)
    assert match_strength("停车", "停车") == 1.0


CLEAR = [
    (["电瓶车", "飞线充电", "楼道"], [0.5, 0.4, 0.1], "电动车充电"),
    (["油烟", "饭店 排烟", "烧烤"], [0.6, 0.2, 0.2], "油烟"),
    (["电梯", "电梯困人", "故障", "维修"], [0.4, 0.3, 0.2, 0.1], "物业服务"),
    (["加装电梯", "低楼层", "电梯", "协商"], [0.4, 0.2, 0.2, 0.2], "加装电梯"),
    (["乱停车", "车位", "小区", "门口"], [0.4, 0.3, 0.2, 0.1], "停车"),
    (["夜间施工", "噪音", "工地", "休息"], [0.4, 0.3, 0.2, 0.1], "噪音"),
    (["拖欠工资", "农民工", "包工头"], [0.5, 0.3, 0.2], "就业与社保"),
    (["走访", "宣传", "反诈"], [0.4, 0.3, 0.3], "其他"),  # the visit-log category, with evidence
]


def test_clear_themes_map_to_their_category_with_the_evidence():
    matches = categorize([k for k, _, _ in CLEAR], [w for _, w, _ in CLEAR], load_taxonomy())
    assert [m.category for m in matches] == [c for _, _, c in CLEAR]
    for match in matches:
        assert match.mapped and match.score >= MIN_SCORE
        assert match.candidates[0] == (match.category, match.score)
        assert all(match.score >= MARGIN * s for _, s in match.candidates[1:])
    # 加装电梯 is the term of 加装电梯 and only holds the 电梯 of 物业服务: it counts for 加装电梯 alone
    elevator_install = matches[3]
    assert dict(elevator_install.candidates)["物业服务"] == pytest.approx(0.2)  # 电梯 alone


def test_a_theme_split_between_two_categories_is_not_forced_into_either():
    (match,) = categorize([["噪音", "油烟", "饭店"]], [[0.4, 0.35, 0.25]], load_taxonomy())
    assert not match.mapped and match.category == OTHER
    assert [c for c, _ in match.candidates] == ["油烟", "噪音"]


@pytest.fixture
def three_levels(tmp_path):
    path = tmp_path / "tax.csv"
    pl.DataFrame(
        {
            "一级分类": ["城乡建设"] * 6 + ["环境保护"] * 2 + ["交通运输"],
            "二级分类": [
                "住房保障",
                "住房保障",
                "物业管理",
                "物业管理",
                "城乡规划",
                "其他",
                "环境污染",
                "环境污染",
                "公共交通",
            ],
            "三级分类": [
                "公租房",
                "廉租房",
                "物业服务",
                "电梯维保",
                "违章建筑",
                "其他",
                "噪音污染",
                "大气污染",
                "公交线路和站点",
            ],
        }
    ).write_csv(path)
    return load_taxonomy(path)


def test_a_three_level_table_becomes_a_tree_named_by_paths(three_levels):
    tax = three_levels
    assert [c.name for c in tax] == ["城乡建设", "环境保护", "交通运输"]
    building = tax[0]
    assert [c.name for c in building.children] == ["城乡建设 / 住房保障", "城乡建设 / 物业管理", "城乡建设 / 城乡规划"]
    assert [c.name for c in building.children[0].children] == [
        "城乡建设 / 住房保障 / 公租房",
        "城乡建设 / 住房保障 / 廉租房",
    ]
    # a category's terms are its name and every name below it; 其他 names nothing
    assert {"城乡建设", "住房保障", "公租房", "电梯维保", "违章建筑"} <= set(building.seed_terms)
    assert OTHER not in building.seed_terms
    # names are also cut at 和 / 与 / 及 / 、
    assert {"公交线路", "站点"} <= set(tax[2].seed_terms)


def test_a_theme_maps_to_the_finest_level_its_evidence_holds(three_levels):
    themes = [
        (["廉租房", "申请", "住房"], [0.5, 0.3, 0.2]),  # one 三级 category carries it
        (["公租房", "廉租房", "保障房"], [0.4, 0.4, 0.2]),  # two 三级 ones tie: their 二级 one
        (["城乡建设", "资金", "投入"], [0.5, 0.3, 0.2]),  # only the 一级 name
        (["噪音", "夜间", "扰民"], [0.6, 0.2, 0.2]),  # half of 噪音污染 is still most of the weight
        (["停电", "供电", "线路"], [0.5, 0.3, 0.2]),  # only a fifth of it, half of 公交线路
    ]
    matches = categorize([k for k, _ in themes], [w for _, w in themes], three_levels)
    assert [m.category for m in matches] == [
        "城乡建设 / 住房保障 / 廉租房",
        "城乡建设 / 住房保障",
        "城乡建设",
        "环境保护 / 环境污染 / 噪音污染",
        OTHER,
    ]
    # the candidates are top-level categories, as the user's table names them
    assert matches[0].candidates[0][0] == "城乡建设"
    assert matches[4].candidates == (("交通运输", pytest.approx(0.1)),)


def test_a_two_level_table_works_too(tmp_path):
    path = tmp_path / "tax.csv"
    pl.DataFrame(
        {"一级分类": ["城乡建设", "城乡建设", "环境保护"], "二级分类": ["物业管理", "住房保障", "噪音污染"]}
    ).write_csv(path)
    tax = load_taxonomy(path)
    assert [c.name for c in tax[0].children] == ["城乡建设 / 物业管理", "城乡建设 / 住房保障"]
    assert map_to_categories([["物业管理", "物业费"]], [[0.6, 0.4]], tax) == ["城乡建设 / 物业管理"]


def _described(store, rows: pl.DataFrame) -> None:
    with store.transaction() as con:
        outputs.fitted_themes(con, rows, first_fit(rows.height), "tm-test")


def test_the_evidence_reaches_the_themes_table_and_themes_list(tmp_path):
    keywords = [["电瓶车", "飞线充电", "楼道"], NO_CATEGORY["车管所"][0]]
    weights = [[0.5, 0.4, 0.1], NO_CATEGORY["车管所"][1]]
    matches = categorize(keywords, weights, load_taxonomy())
    rows = pl.DataFrame(
        {
            "cluster": [0, 1],
            "theme_id": [0, 1],
            "auto_label": ["电动车飞线充电", "车管所办证"],
            "keywords": keywords,
            "auto_category": [m.category for m in matches],
            "category_score": [m.score for m in matches],
            "category_candidates": [[{"category": c, "score": s} for c, s in m.candidates] for m in matches],
            "representatives": [["楼道里电动车飞线充电"], ["车管所办证排队"]],
        },
        schema_overrides={"cluster": pl.Int32, "theme_id": pl.Int32, "category_score": pl.Float64},
    )
    db = tmp_path / "db.duckdb"
    with dl.connect(db) as store:
        _described(store, rows)
        with store.transaction() as con:  # what apply_overrides does without overrides: the fit's category
            con.execute(
                "update themes set label = auto_label, category = auto_category, status = 'active' where theme_id >= 0"
            )
        got = store.sql("select theme_id, auto_category, category_score, category_candidates from themes order by 1")
    assert got.row(0) == (-1, None, None, None)
    assert got.row(1)[1:3] == ("电动车充电", matches[0].score)
    assert got.row(2)[1:] == (OTHER, None, [{"category": "停车", "score": matches[1].candidates[0][1]}])
    listed = CliRunner().invoke(app, ["themes", "list", "--db", str(db)], terminal_width=250)
    assert listed.exit_code == 0, listed.output
    line = next(line for line in listed.output.splitlines() if "车管所办证" in line)
    assert f"{UNMAPPED_ZH}：停车 {matches[1].candidates[0][1]:.2f}" in line
    charging = next(line for line in listed.output.splitlines() if "电动车飞线充电" in line)
    assert "电动车充电" in charging and UNMAPPED_ZH not in charging
