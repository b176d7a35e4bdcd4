"""Real public exports (../shared/data: taidi2020c workbooks, zjboard JSON lines): every file
ingests, nothing is lost, rows read = accepted + rejected.

Skipped when the folder is absent (a fresh clone has no ../shared).
"""

import datetime as dt
import json

import pytest
from tests.conftest import shared_data

import demandlab as dl
from demandlab.config import demo_config
from demandlab.ingest import IngestError
from demandlab.themes import load_taxonomy

MESSAGE_FILES = {
    "sample/a2_messages_labeled.xlsx": (495, {"duplicate_id": 1}),
    "sample/a3_messages_likes.xlsx": (30, {}),
    "sample/a4_messages_replies.xlsx": (120, {}),
    "unlabeled/test_messages_unlabeled.xlsx": (2801, {}),
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = shared_data("taidi2020c")
    tmp = tmp_path_factory.mktemp("taidi")
    cfg = demo_config(tmp, tmp / "reports")
    store = dl.connect(cfg.paths.db)
    pipe = dl.Pipeline(store, cfg)
    reports = {name: pipe.ingest(root / name) for name in MESSAGE_FILES}
    pipe.clean()
    yield root, store, reports
    store.close()


def test_every_message_file_ingests_with_nothing_lost(loaded):
    _, _, reports = loaded
    for name, (rows, reasons) in MESSAGE_FILES.items():
        report = reports[name]
        assert report.mapping == "message_board", name
        assert report.rows_read == rows == report.rows_accepted + report.rows_rejected, name
        assert report.reasons == reasons, name


def test_the_only_reject_is_the_id_the_data_repeats(loaded):
    _, store, _ = loaded
    reject = store.sql("select file_name, row_number, reason, message from rejects").row(0, named=True)
    assert reject == {
        "file_name": "a2_messages_labeled.xlsx",
        "row_number": 312,
        "reason": "duplicate_id",
        "message": "留言编号：与第 100 行编号相同，作为重复行未导入（以先出现的一行为准）",
    }
    # same id, same title and time: one message twice, not an id conflict
    assert store.count("load_warnings") == store.scalar(
        "select count(*) from load_warnings where reason not in ('id_conflict')"
    )
    raw, value = store.sql("select raw, value from restricted.reject_values").row(0)
    assert '"留言编号":"37042"' in raw and value == "37042"


def test_mixed_date_cells_and_scrape_residue_are_handled(loaded):
    _, store, _ = loaded
    assert store.scalar("select count(*) from load_warnings where reason = 'bad_time'") == 0
    first, last = store.sql("select min(created_at) as a, max(created_at) as b from raw_records").row(0)
    assert dt.datetime(2010, 1, 1) < first < last < dt.datetime(2020, 12, 31)
    starts = store.sql("select substr(text, 1, 1) as c from records where text is not null")["c"].to_list()
    assert not [c for c in starts if c.isspace()]
    assert store.scalar("select count(likes) from raw_records") >= 30
    assert store.scalar("select count(reply) from raw_records") >= 100


def test_the_same_message_in_two_files_becomes_one_record_with_history(loaded):
    _, store, _ = loaded
    assert store.count("records") == store.scalar("select count(distinct (source, record_id)) from raw_records")
    versions = store.scalar("select count(*) from raw_records") - store.count("records")
    assert versions >= 0


def test_the_taxonomy_sheet_is_not_records_but_loads_as_a_taxonomy(loaded):
    root, store, _ = loaded
    pipe = dl.Pipeline(store)
    with pytest.raises(IngestError, match="可识别的表头：一级分类；另有 2 列无法识别"):
        pipe.ingest(root / "sample" / "a1_taxonomy.xlsx")
    taxonomy = load_taxonomy(root / "sample" / "a1_taxonomy.xlsx")
    assert len(taxonomy) == 15
    assert sum(len(c.seed_terms) for c in taxonomy) > 400


ZJBOARD_MAPPING = """
name = "zjboard"
[constants]
source = "zjboard"
channel = "web"
[columns]
record_id = ["id"]
created_at = ["date"]
title = ["title"]
text = ["content"]
category = ["domain"]
kind = ["type"]
status = ["status"]
likes = ["likes"]
[values.kind]
"投诉/求助" = "complaint"
"建言" = "suggestion"
[values.status]
"已办理" = "closed"
"待回复" = "open"
"办理中" = "responded"
"""


def test_the_zhejiang_message_board_loads_whole_with_its_unmapped_keys_kept(tmp_path):
    path = shared_data("zjboard", "messages.jsonl")
    mapping = tmp_path / "zjboard.toml"
    mapping.write_text(ZJBOARD_MAPPING, encoding="utf-8")
    cfg = demo_config(tmp_path, tmp_path / "reports")
    with dl.connect(cfg.paths.db) as store:
        report = dl.Pipeline(store, cfg).ingest(path, mapping=str(mapping))
        assert report.rows_read == 1234 == report.rows_accepted + report.rows_rejected
        assert (report.rows_rejected, report.warnings) == (0, 0)
        first, last = store.sql("select min(created_at) as a, max(created_at) as b from raw_records").row(0)
        assert (first, last) == (dt.datetime(2024, 9, 9), dt.datetime(2026, 6, 12))
        # keys no mapping names (forum, level, ip …) are kept, non-empty ones only
        extra = store.sql("select extra from raw_records where record_id = '21544804'")["extra"][0]
        assert json.loads(extra) == {
            "tid": "21544804",
            "fid": "146",
            "forum": "杭州市",
            "level": "city",
            "hasReply": "否",
            "ip": "36.28.77.*",
            "gManner": "5",
            "gSpeed": "5",
        }
        assert store.scalar("select count(*) from raw_records where extra is null") == 0
