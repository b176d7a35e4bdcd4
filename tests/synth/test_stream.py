"""A synthetic district: the small one keeps its bytes; a grown one is written a week at a time, the same bytes
with any number of workers, with its events, projects, bad rows and truth as a small one has them, and its
exports split into period files when they are large."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
from pathlib import Path

import polars as pl
import pytest

from demandlab.ingest import read_table
from demandlab.synth import exports, generate, stream
from demandlab.synth.district import grid_count

#: sha256 of the files the generator wrote for these districts before districts grew (commit 6cb466b): a
#: district of 120 grids must keep them byte for byte (the conftest district is (6000, seed 3, end 2026-11-15))
BEFORE_GROWTH = {
    (6_000, 3, "2026-11-15", 104): {
        "exports/grid_visits.jsonl": "be7a4c891ea3fce955284c3c26fa2404c6b2516ba321d788e4d7d0da1a513e8e",
        "exports/hotline_12345.csv": "24f8dcfb8876599b718be1525a92ce536dd44e6bcb2ea8e04fedf99aeafb949d",
        "exports/snapshot.xlsx": "0b88c39bcc5046a5db906f9b3744ea89d453bbb868ea03e35b95451858c71a4d",
        "grids.csv": "e0c42c2b647bfc8acc9912c2136e15151f086bea4d9813b5bc8f9afe15b122c7",
        "lists/资源清单.csv": "de9f269c0fd58fb4b55ab3d7d9e771bb7c97ad86e34705af2ba557ba75c36b1a",
        "truth/pii.parquet": "7b466df579992fdba16aa4ce18f9a8310e0a73439c201ab60b07891123a6cf2c",
        "truth/records.parquet": "c2bf1fa8d6b52ab15c9e5b22aa4dabd64fd82eb66b8892ef7c85bd59f976a6ee",
        "truth/truth.json": "18c61a42f32d10bca80a73f136efd7dbeff59c7f3d1d12a8d0bad0222eec80d2",
    },
    (800, 2, "2025-06-30", 80): {
        "exports/grid_visits.jsonl": "4c2ad3f3bf35756229e4246366362d987a6d49b6a82e4d4c516d9050bb9e28fb",
        "exports/hotline_12345.csv": "d34eb5caebf9e1be04e36e58d13641eff1a3895a3a932c6d010a0a2c4de8b931",
        "exports/snapshot.xlsx": "b9401fc8d2f8bb1437c1f0152002979807205c97cd5bc53ba3ecae575b7e7f2d",
        "grids.csv": "762b601323404129cc9216b255349ab1b425a8b31f7c944cd60c6434f463aace",
        "lists/资源清单.csv": "923d716a3b54103245a928fa6b4a2a9e0271cdc1d9dae827cd0159616ff5cd6e",
        "truth/pii.parquet": "769e554c6b7df50bbc2d86fec84eadd522194f722bfba95ef88caa23ab8ff4f1",
        "truth/records.parquet": "9574b7c56e4ef9f00026fad3f773420102810602b75a208242f01cb6f24cf5a9",
        "truth/truth.json": "0274ca3a6674f6b847034f2c52844f9a10f302b10ac82b622754840b05ef950f",
    },
}
END = dt.date(2026, 11, 15)


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_a_district_of_120_grids_keeps_the_bytes_it_had_before_growth(district, tmp_path):
    assert _digests(district.root) == BEFORE_GROWTH[(6_000, 3, "2026-11-15", 104)]
    small = generate(tmp_path, n_records=800, seed=2, end=dt.date(2025, 6, 30), weeks=80)
    assert _digests(small.root) == BEFORE_GROWTH[(800, 2, "2025-06-30", 80)]
    assert small.export_paths == list(small.exports.values())


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """A district grown by a small grid load: 6,000 records over 80 weeks at 20 a grid make 196 grids."""
    return generate(tmp_path_factory.mktemp("grown"), n_records=6_000, seed=4, end=END, weeks=80, grid_load=20)


def test_a_grown_district_has_the_grids_its_records_call_for(grown):
    district = grown.truth["district"]
    assert district["grids"] == grid_count(6_000, 80, 20) == 196
    assert district["communities"] == round(196 / 4.8) and len(district["streets"]) == 5
    registry = pl.read_csv(grown.registry)
    assert registry["网格编号"].n_unique() == 196


def test_a_grown_district_plants_every_event_project_and_resource(grown):
    truth = grown.truth
    kinds = [e["kind"] for e in truth["events"]]
    assert kinds.count("surge") == 4 and kinds.count("hot_issue") == 3 and kinds.count("repeat_caller") == 8
    for event in truth["events"]:
        assert len(event["records"]) == sum(event["counts"]), event["id"]
    assert len(truth["projects"]) == 3 and truth["resources"]["planted_matches"]
    records = pl.read_parquet(grown.root / "truth" / "records.parquet")
    assert records.height == truth["counts"]["records"]
    assert records.select("source", "record_id").is_unique().all()
    assert records["record_id"].str.contains(r"^(GD\d{8}|SSP\d{6}|ZF\d{8})\d{5}$").all()  # counted per day
    planted = records.filter(pl.col("event_id").is_not_null())
    assert planted.height == sum(sum(e["counts"]) for e in truth["events"])
    pii = pl.read_parquet(grown.root / "truth" / "pii.parquet")
    assert set(pii["type"]) >= {"mobile", "id_number", "name", "room", "email", "bank_card"}


def test_a_grown_district_counts_and_places_its_bad_rows(grown):
    headers = {"hotline": "工单编号", "snapshot": "上报编号", "visit": "走访编号"}
    first_row = {"hotline": 2, "snapshot": 3, "visit": 1}  # a spreadsheet's row below its header, a file's line
    for source, path in grown.exports.items():
        spec = grown.truth["files"][path.name]
        assert set(spec["rejected"]) == {"missing_id", "bad_time", "unknown_grid", "duplicate_id"}
        assert spec["rows"] == spec["accepted"] + sum(spec["rejected"].values())
        frame = read_table(path, known_headers={headers[source], "上报时间", "问题描述"}).frame
        assert frame.height == spec["rows"]
        ids = frame[headers[source]].fill_null("").to_list()
        for bad in spec["bad_rows"]:
            assert ids[bad["row"] - first_row[source]] == bad["record_id"], (path.name, bad)
    by_source = grown.truth["counts"]["by_source"]
    assert sum(by_source.values()) == grown.truth["counts"]["records"]


def test_any_number_of_workers_writes_the_same_bytes(tmp_path):
    told: list[tuple[str, int]] = []

    @contextlib.contextmanager
    def progress(description: str, total: int):
        told.append((description, total))
        yield lambda n: told.append((description, n))

    one = generate(tmp_path / "one", n_records=1_500, seed=9, end=END, weeks=80, grid_load=6, progress=progress)
    two = generate(tmp_path / "two", n_records=1_500, seed=9, end=END, weeks=80, grid_load=6, workers=2)
    assert one.truth["district"]["grids"] > 120
    assert _digests(one.root) == _digests(two.root)
    # a grown district takes long (10 million records: most of an hour): it says each week it has written
    assert told == [("合成 synth weeks", 80)] + [("合成 synth weeks", 1)] * 80


def test_large_exports_are_split_into_period_files(tmp_path, monkeypatch):
    """An export above the file limit gets a file per ISO year; a workbook above its sheet's limit finer ones."""
    monkeypatch.setattr(stream, "FILE_MAX_ROWS", 1_000)
    monkeypatch.setattr(stream, "SNAPSHOT_MAX_RECORDS", 300)
    monkeypatch.setattr(exports, "SNAPSHOT_MAX_RECORDS", 300)
    result = generate(tmp_path, n_records=4_000, seed=1, end=END, weeks=104, grid_load=15)
    files = result.export_files
    assert [p.name for p in files["hotline"]] == [f"hotline_12345_{y}.csv" for y in (2024, 2025, 2026)]
    assert [p.name for p in files["visit"]] == [f"grid_visits_{y}.jsonl" for y in (2024, 2025, 2026)]
    finer = [re.fullmatch(r"snapshot_\d{4}(H[12]|Q[1-4]|-\d\d)\.xlsx", p.name) for p in files["snapshot"]]
    assert all(finer) and len(finer) > 3
    assert {s: paths[0] for s, paths in files.items()} == result.exports
    assert result.export_paths == [*files["hotline"], *files["snapshot"], *files["visit"]]
    truth_files = result.truth["files"]
    assert set(truth_files) == {p.name for p in result.export_paths}
    base = {"hotline": exports.HOTLINE_FILE, "snapshot": exports.SNAPSHOT_FILE, "visit": exports.VISIT_FILE}
    for source, value in (("hotline", "12345"), ("snapshot", "snapshot"), ("visit", "visit")):
        accepted = sum(truth_files[p.name]["accepted"] for p in files[source])
        assert accepted == result.truth["counts"]["by_source"][value]
        for path in files[source]:  # every file has its own bad rows
            assert sum(truth_files[path.name]["rejected"].values()) == sum(exports.BAD_ROWS[base[source]].values())
    for path in files["snapshot"]:
        table = read_table(path, known_headers={"上报编号", "上报时间", "问题描述"})
        assert table.header_row == 2 and 0 < table.frame.height <= 300
        assert table.frame.height == truth_files[path.name]["rows"]
