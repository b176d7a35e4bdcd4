import polars as pl
import pytest

from demandlab.ingest import GridIndex, IngestError, read_registry


@pytest.fixture
def registry(tmp_path):
    path = tmp_path / "grids.csv"
    pl.DataFrame(
        {
            "街道": ["东湖街道", "东湖街道", "东湖街道"],
            "社区": ["白鹭社区", "白鹭社区", "和平社区"],
            "网格编号": ["DH0101", "DH0101", "DH0201"],
            "网格名称": ["白鹭社区第1网格", "白鹭社区第1网格", "和平社区第1网格"],
            "网格别名": ["第1网格|一网格|01网格", "第1网格|一网格|01网格", "第1网格，一网格"],
            "小区": ["锦绣花园", "锦绣花园", "翠湖苑"],
            "楼栋": ["1栋", "2栋", "1栋"],
        }
    ).write_csv(path)
    return path


def test_registry_becomes_grids_and_places(registry):
    grids, places = read_registry(registry)
    assert grids.select("grid_id", "community").rows() == [("DH0101", "白鹭社区"), ("DH0201", "和平社区")]
    assert grids.filter(pl.col("grid_id") == "DH0201")["aliases"][0].to_list() == ["第1网格", "一网格"]
    assert places.height == 3


@pytest.mark.parametrize(
    ("community", "written", "expected"),
    [
        ("白鹭社区", "第1网格", "DH0101"),
        ("白鹭社区", "一网格", "DH0101"),
        ("白鹭", "01网格", "DH0101"),
        (None, "白鹭社区第1网格", "DH0101"),
        (None, "白鹭社区一网格", "DH0101"),
        (None, "dh0101", "DH0101"),
        ("和平社区", "第1网格", "DH0201"),
        (None, "第1网格", None),  # ambiguous without a community
        ("白鹭社区", "第9网格", None),
        ("白鹭社区", "", None),
    ],
)
def test_written_grid_names_resolve_to_one_id(registry, community, written, expected):
    grids, _ = read_registry(registry)
    assert GridIndex.from_frame(grids).resolve(community, written) == expected


def test_a_grid_listed_under_two_communities_is_an_error_naming_the_row(tmp_path):
    path = tmp_path / "bad.csv"
    pl.DataFrame({"社区": ["甲社区", "乙社区"], "网格编号": ["G1", "G1"]}).write_csv(path)
    with pytest.raises(IngestError, match="第 3 行，网格编号：同一网格编号出现在多个社区下"):
        read_registry(path)


def test_a_community_named_by_a_number_does_not_swallow_every_grid_of_that_number():
    # found while testing the report: communities 第1社区 and 第2社区 whose grids are called 第1网格 and
    # 第2网格 — 第1网格 begins with 第1 (第1社区 without 社区), so it was taken as already holding its
    # community and every record of 第2社区 that wrote 第1网格 went to 第1社区's grid
    grids = pl.DataFrame(
        {
            "grid_id": ["G01", "G02", "G11", "G12"],
            "grid_name": ["第1社区第1网格", "第1社区第2网格", "第2社区第1网格", "第2社区第2网格"],
            "street": ["北山街道"] * 2 + ["灵隐街道"] * 2,
            "community": ["第1社区", "第1社区", "第2社区", "第2社区"],
            "aliases": [["第1网格"], ["第2网格"], ["第1网格"], ["第2网格"]],
        }
    )
    index = GridIndex.from_frame(grids)
    assert [index.resolve(c, g) for c in ("第1社区", "第2社区") for g in ("第1网格", "第2网格")] == [
        "G01",
        "G02",
        "G11",
        "G12",
    ]
    assert index.resolve(None, "第1网格") is None  # ambiguous without a community
    assert index.resolve(None, "第2社区第1网格") == "G11"
