import datetime as dt
import hashlib

import polars as pl
import pytest

from demandlab.ingest import read_table
from demandlab.synth import generate, load_catalog


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a = generate(tmp_path / "a", n_records=1500, seed=11)
    b = generate(tmp_path / "b", n_records=1500, seed=11)
    c = generate(tmp_path / "c", n_records=1500, seed=12)
    for key in a.exports:
        assert _digest(a.exports[key]) == _digest(b.exports[key]) != _digest(c.exports[key])
    assert _digest(a.registry) == _digest(b.registry)


def test_the_catalog_has_at_least_25_problems_with_many_wordings():
    catalog = load_catalog()
    assert len(catalog.problems) >= 25
    for problem in catalog.problems:
        assert len(problem.descriptions) >= 4, problem.key
        assert problem.keywords and problem.category


def test_the_district_and_the_planted_events(district):
    truth = district.truth
    assert 110 <= truth["district"]["grids"] <= 130
    kinds = [e["kind"] for e in truth["events"]]
    assert kinds.count("surge") >= 3 and kinds.count("hot_issue") >= 2 and kinds.count("repeat_caller") >= 3
    for event in truth["events"]:
        assert len(event["records"]) == sum(event["counts"])
    hot = [e for e in truth["events"] if e["kind"] == "hot_issue"]
    assert all(e["compound"] for e in hot)


def test_two_years_and_the_seasons(district, truth_records):
    first, last = truth_records["created_at"].min(), truth_records["created_at"].max()
    assert (last - first).days >= 7 * 103
    by_month = truth_records.with_columns(pl.col("created_at").dt.month().alias("m"))
    heating = by_month.filter(pl.col("problem") == "heating")
    assert heating.filter(pl.col("m").is_in([6, 7, 8])).height <= 0.05 * heating.height
    summer = by_month.filter(pl.col("problem").is_in(["waterlogging", "mosquito"]))
    assert summer.filter(pl.col("m").is_in([6, 7, 8, 9])).height >= 0.8 * summer.height


def test_personal_data_of_every_kind_is_planted(truth_pii):
    assert set(truth_pii["type"]) >= {"mobile", "landline", "id_number", "name", "plate", "room"}
    assert set(truth_pii["type"]) >= {"passport", "permit", "email", "bank_card", "house_number"}


def test_personal_data_is_planted_in_every_free_text_column(truth_pii):
    assert truth_pii.columns == ["source", "record_id", "column", "type", "value", "plain"]
    columns = set(truth_pii["column"])
    assert columns >= {"title", "text", "reply", "address", "dept", "grid_worker", "building", "room", "contact"}
    by_source = truth_pii.group_by("source").agg(pl.col("column").unique())
    planted = {row["source"]: set(row["column"]) for row in by_source.iter_rows(named=True)}
    assert planted["12345"] >= {"title", "text", "reply", "address", "dept", "contact"}
    assert planted["snapshot"] >= {"text", "address", "contact"}
    assert planted["visit"] >= {"text", "grid_worker", "building", "room"}


def test_the_families_do_not_move_records_events_or_bad_rows(tmp_path, monkeypatch):
    """The personal data of issue 11 comes from its own random streams: without it, all else is the same."""
    from demandlab.synth.records import RecordWriter

    with_families = generate(tmp_path / "a", n_records=1500, seed=11)
    monkeypatch.setattr(RecordWriter, "_family_sentence", lambda self, rec, slots: "")
    monkeypatch.setattr(RecordWriter, "other_columns", lambda self, rec: None)
    without = generate(tmp_path / "b", n_records=1500, seed=11)
    assert with_families.truth == without.truth
    for name in ("records.parquet",):  # focus aside: a family's sentence may name an 独居老人 a visit was for
        assert (
            pl.read_parquet(with_families.root / "truth" / name)
            .drop("focus")
            .equals(pl.read_parquet(without.root / "truth" / name).drop("focus"))
        )
    a = read_table(with_families.exports["visit"], known_headers={"走访编号"}).frame
    b = read_table(without.exports["visit"], known_headers={"走访编号"}).frame
    assert a.select("走访编号", "走访时间", "网格编号").equals(b.select("走访编号", "走访时间", "网格编号"))


def test_exports_look_like_real_ones(district):
    csv_bytes = district.exports["hotline"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        csv_bytes.decode("utf-8")
    assert csv_bytes.decode("gb18030").startswith("工单编号,来电时间")
    table = read_table(district.exports["snapshot"], known_headers={"上报编号", "上报时间", "问题描述"})
    assert table.header_row == 2  # a title row sits above the header
    times = table.frame["上报时间"].drop_nulls()
    assert (
        times.str.contains("年").any() and times.str.contains("/").any() and times.str.contains(r"^\d{5}\.\d+$").any()
    )
    texts = table.frame["问题描述"].drop_nulls()
    assert texts.str.starts_with("\n\t").any() and texts.str.contains("&nbsp;").any()


def test_bad_rows_are_counted_in_the_truth(district):
    for name, spec in district.truth["files"].items():
        assert spec["rows"] == spec["accepted"] + sum(spec["rejected"].values())
        assert set(spec["rejected"]) == {"missing_id", "bad_time", "unknown_grid", "duplicate_id"}, name


def test_too_few_records_or_weeks_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least 500"):
        generate(tmp_path, n_records=100)
    with pytest.raises(ValueError, match="weeks must be at least 80"):
        generate(tmp_path, n_records=1000, weeks=20)


def test_end_date_moves_the_window(tmp_path):
    result = generate(tmp_path, n_records=800, seed=2, end=dt.date(2025, 6, 30), weeks=80)
    assert result.truth["generator"]["last_week"] == "2025-W27"


def test_no_focus_mark_of_the_templates_reaches_an_export(district):
    """The catalog marks 一老一小 phrases («e», «c») for the ground truth; the writer strips them."""
    import polars as pl

    for path in district.export_paths:
        data = read_table(path).frame.write_csv()
        assert "«" not in data and "»" not in data, path.name
    truth = pl.read_parquet(district.root / "truth" / "records.parquet")
    assert truth["focus"].list.len().sum() > 0
