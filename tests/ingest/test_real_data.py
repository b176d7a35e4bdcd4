"""Real public exports (../shared/data/taidi2020c): every file ingests, nothing is lost.

Skipped when the folder is absent (a fresh clone has no ../shared).
"""

import datetime as dt

import pytest
from tests.conftest import shared_data

import demandlab as dl
from demandlab.cli import demo_config
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
    reject = store.sql("select file_name, row_number, reason, message, raw from rejects").row(0, named=True)
    assert reject["reason"] == "duplicate_id" and reject["file_name"] == "a2_messages_labeled.xlsx"
    assert reject["message"].startswith("留言编号 ") and "already appears at row" in reject["message"]
    assert '"留言编号"' in reject["raw"]


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
    with pytest.raises(IngestError, match="no mapping fits the headers \\['一级分类', '二级分类', '三级分类'\\]"):
        pipe.ingest(root / "sample" / "a1_taxonomy.xlsx")
    taxonomy = load_taxonomy(root / "sample" / "a1_taxonomy.xlsx")
    assert len(taxonomy) == 15
    assert sum(len(c.seed_terms) for c in taxonomy) > 400
