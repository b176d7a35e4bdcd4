import polars as pl

from demandlab.themes import load_taxonomy, map_to_categories


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


def test_themes_map_to_the_category_their_keywords_carry():
    tax = load_taxonomy()
    got = map_to_categories(
        [["电瓶车", "飞线充电"], ["油烟", "饭店 排烟"], ["火星", "木星"]], [[0.5, 0.4], [0.6, 0.2], [0.5, 0.5]], tax
    )
    assert got == ["电动车充电", "油烟", "其他"]


def test_a_three_level_table_becomes_a_taxonomy(tmp_path):
    path = tmp_path / "tax.csv"
    pl.DataFrame(
        {
            "一级分类": ["城乡建设", "城乡建设", "环境保护"],
            "二级分类": ["物业管理", "住房保障", "噪音污染"],
            "三级分类": ["物业服务", "公租房", "施工噪音"],
        }
    ).write_csv(path)
    tax = load_taxonomy(path)
    assert [c.name for c in tax] == ["城乡建设", "环境保护"]
    assert "施工噪音" in tax[1].seed_terms
