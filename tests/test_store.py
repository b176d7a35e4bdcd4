"""The two database files: schema migrations, the restricted file, orphans, and opening errors."""

from __future__ import annotations

import datetime as dt
import stat
import subprocess
import sys

import duckdb
import pytest

import demandlab as dl
from demandlab.duck import limit_memory, release_cache
from demandlab.store import (
    SCHEMA_VERSION,
    MissingDatabase,
    Store,
    StoreBusy,
    StoreError,
    migration,
    restricted_path,
    writer_lock,
)


def _version_5(path) -> None:
    """A database as demandlab wrote it before personal data moved out: raw rows in the analysts' file."""
    con = duckdb.connect(str(path))
    con.execute("create table meta (key varchar primary key, value varchar)")
    for version in range(1, 6):
        con.execute(migration(version))
    con.execute("insert into meta values ('schema_version', '5')")
    con.execute(
        "insert into batches (batch_id, file_name, loaded_at) values ('b1', 'orders.csv', timestamp '2026-11-10 09:00')"
    )
    con.execute(
        "insert into raw_records (source, record_id, text, contact, version, batch_id) "
        "values ('12345', 'GD1', '楼道漏水', '13912345678', 1, 'b1')"
    )
    con.execute(
        "insert into rejects (batch_id, file_name, row_number, reason, message, raw) "
        "values ('b1', 'orders.csv', 3, 'bad_time', '来电时间：无法识别的日期时间', '{\"来电号码\": \"13912345678\"}')"
    )
    con.execute(
        "insert into load_warnings (batch_id, file_name, row_number, column_name, reason, value) "
        "values ('b1', 'orders.csv', 4, '办结时间', 'bad_time', '待定')"
    )
    con.close()


def test_an_old_database_moves_its_personal_data_to_the_restricted_file(tmp_path):
    path = tmp_path / "old.duckdb"
    _version_5(path)
    with dl.connect(path) as store:
        assert store.meta("schema_version") == "5"  # dl.connect alone never touches personal data
        dl.Pipeline(store)
        assert store.meta("schema_version") == str(SCHEMA_VERSION)
        assert "raw_records" not in store.tables()
        assert "raw" not in store.table("rejects").columns and "value" not in store.table("load_warnings").columns
        assert store.sql("select contact from restricted.raw_records").item() == "13912345678"
        assert "13912345678" in store.sql("select raw from restricted.reject_values").item()
        assert store.sql("select value from restricted.warning_values").item() == "待定"
    with dl.connect(path, read_only=True) as store:
        assert store.count("rejects") == 1 and store.count("load_warnings") == 1
    assert stat.S_IMODE(restricted_path(path).stat().st_mode) == 0o600


def test_restricted_rows_of_a_batch_that_never_committed_are_dropped(tmp_path):
    path = tmp_path / "db.duckdb"
    with dl.connect(path) as store:
        dl.Pipeline(store)
        with store.restricted_transaction() as con:
            con.execute(
                "insert into restricted.raw_records (source, record_id, contact, batch_id, version) "
                "values ('12345', 'GD9', '13900000000', 'b-killed', 1)"
            )
    with dl.connect(path) as store:
        dl.Pipeline(store)  # attaching cleans up what a killed run left
        assert store.count("raw_records") == 0


def test_the_analysts_file_never_sees_the_restricted_one(tmp_path):
    path = tmp_path / "db.duckdb"
    with dl.connect(path) as store:
        dl.Pipeline(store)
    with dl.connect(path, read_only=True) as store:
        names = store.sql("select database_name from duckdb_databases() where not internal")["database_name"]
        assert names.to_list() == [store.scalar("select current_database()")]
        with pytest.raises(duckdb.CatalogException):
            store.sql("select * from raw_records")


def test_a_reader_refuses_a_database_that_does_not_exist_and_creates_nothing(tmp_path):
    with pytest.raises(MissingDatabase, match="不存在"):
        Store(tmp_path / "typo.duckdb", read_only=True)
    with pytest.raises(MissingDatabase):
        Store(tmp_path / "typo.duckdb", create=False)
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_database_gives_one_chinese_line(tmp_path):
    path = tmp_path / "db.duckdb"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 8192)
    with pytest.raises(StoreError) as raised:
        Store(path)
    message = str(raised.value)
    assert "无法打开" in message and "请从备份恢复" in message and "\n" not in message


def test_a_newer_database_is_refused_with_the_versions(tmp_path):
    path = tmp_path / "db.duckdb"
    with dl.connect(path) as store, store.transaction() as con:
        con.execute("update meta set value = '99' where key = 'schema_version'")
    with pytest.raises(StoreError, match="结构版本 99 新于本版"):
        Store(path)
    with pytest.raises(StoreError, match="结构版本 99 新于本版"):
        Store(path, read_only=True)


def test_the_write_lock_names_its_holder_and_gives_up_after_the_wait(tmp_path):
    path = tmp_path / "db.duckdb"
    with writer_lock(path, command="demandlab weekly"):
        started = dt.datetime.now()
        busy = r"正被 demandlab weekly（进程 \d+，自 .* 起） 使用，已等待 0 秒"
        with pytest.raises(StoreBusy, match=busy) as raised, writer_lock(path, wait=0.3):
            pass
        assert raised.value.exit_code == 5
        assert dt.datetime.now() - started >= dt.timedelta(seconds=0.3)
    with writer_lock(path, wait=0):  # released: taken at once
        pass


def test_a_slow_query_prints_no_progress_bar_into_standard_output(tmp_path):
    """DuckDB draws its progress bar on standard output, where a command's JSON or CSV goes, for a query slower
    than two seconds. In a process of its own: under pytest DuckDB leaves the bar off by itself."""
    program = f"""
import time
from demandlab.store import Store
with Store({str(tmp_path / "db.duckdb")!r}) as store:
    rows = 400_000_000
    while True:  # one query slower than the bar's two seconds, however fast the machine
        started = time.monotonic()
        store.con.sql(f"select count(*) from range({{rows}}) t(x) where x % 7 = 3").fetchall()
        if time.monotonic() - started > 2.2:
            break
        rows *= 2
with Store({str(tmp_path / "db.duckdb")!r}, read_only=True) as store:
    assert store.con.sql("select current_setting('enable_progress_bar')").fetchall()[0][0] is False
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


def test_release_cache_lets_duckdb_drop_the_blocks_it_read_and_keeps_the_limit(tmp_path):
    """What DuckDB read stays in its memory up to its limit; ``release_cache`` empties it and restores the limit
    it is given (DuckDB's own default for None)."""
    path = tmp_path / "cache.duckdb"
    with Store(path) as store:
        store.con.execute("create table big as select range as i, md5(range::varchar) || 'x' as s from range(400000)")
    with Store(path) as store:

        def cached() -> int:
            query = "select coalesce(sum(memory_usage_bytes), 0) from duckdb_memory() where tag = 'BASE_TABLE'"
            return store.con.execute(query).fetchall()[0][0]

        def limit() -> str:
            return store.con.execute("select current_setting('memory_limit')").fetchall()[0][0]

        default = limit()
        store.con.execute("select sum(length(s)) from big").fetchall()
        assert cached() > 4_000_000
        release_cache(store.con, None)
        assert cached() < 1_000_000 and limit() == default
        limit_memory(store.con, "512MB")
        store.con.execute("select sum(length(s)) from big").fetchall()
        release_cache(store.con, "512MB")
        assert cached() < 1_000_000 and limit() in ("488.2 MiB", "488.2MiB")
        assert store.scalar("select count(*) from big") == 400_000


def test_release_cache_keeps_what_duckdb_cannot_let_go():
    """A table in memory with nowhere to spill cannot be evicted: the setting fails alone, the limit and the
    rows stay."""
    with Store(":memory:") as store:
        limit_memory(store.con, "1GB")
        store.con.execute("set temp_directory = ''")
        store.con.execute("create table pinned as select range as i, repeat('x', 100) as s from range(300000)")
        release_cache(store.con, "1GB")
        assert store.con.execute("select current_setting('memory_limit')").fetchall()[0][0] in ("953.6 MiB", "953.6MiB")
        assert store.scalar("select count(*) from pinned") == 300_000
