"""Running demandlab unattended: bad files, busy databases, hostile names, other folders, full disks.

Every case uses a tiny hand-made deployment (a few dozen work orders) so the whole file runs in
well under a minute; the end-to-end runs over the synthetic district are in tests/test_weekly.py.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import demandlab as dl
from demandlab.cli import app
from demandlab.config import load_config
from demandlab.errors import EXIT_BUSY, EXIT_ERROR, EXIT_INPUT, EXIT_OK, EXIT_USAGE
from demandlab.store import restricted_path
from demandlab.weekly import run_weekly

DEMANDLAB = Path(sys.executable).with_name("demandlab")
runner = CliRunner()
HEADER = "工单编号,来电时间,来电号码,诉求内容,街道,社区,网格\n"
SECRET_PHONE = "13912345678"
TOPICS = ("楼道里电瓶车飞线充电，存在火灾隐患", "小区垃圾清运不及时，气味很大", "电梯经常故障困人，维保不到位")


def orders(first: int, n: int, street: str = "东湖街道", days: tuple[int, ...] = (9, 10, 11, 12)) -> str:
    """``n`` work orders in 2026-W46 (9–15 November) from callers with numbers in clear."""
    rows = [
        f"GD{first + i:05d},2026/11/{days[i % len(days)]} 10:{i % 60:02d}:00,139{first + i:08d},"
        f"{TOPICS[i % 3]}（{i}）,{street},幸福社区,第{1 + i % 2}网格\n"
        for i in range(n)
    ]
    return HEADER + "".join(rows)


def site(root: Path, **inbox: str | bytes) -> Path:
    """A deployment folder with a config and the given files in its inbox; returns the config path."""
    (root / "data" / "inbox").mkdir(parents=True)
    config = root / "demandlab.toml"
    config.write_text('[paths]\ndb = "data/demandlab.duckdb"\nreports = "reports"\n', encoding="utf-8")
    for name, content in inbox.items():
        target = root / "data" / "inbox" / name.replace("__", ".")
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return config


def every_output(root: Path) -> str:
    """Everything a run leaves for people to read: every file under ``root`` but the inputs (inbox, archive)
    and the restricted database."""
    texts = []
    for path in sorted(root.rglob("*")):
        inputs = ("inbox" in path.parts or "archive" in path.parts) and not path.name.endswith(".error.txt")
        if path.is_file() and not inputs and ".restricted.duckdb" not in path.name:
            texts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(texts)


# --- the inbox ----------------------------------------------------------------------------------


def test_poison_files_never_stop_the_good_ones(tmp_path):
    """A list-typed Parquet column, an encrypted workbook and a folder sort before the good file."""
    import polars as pl

    config = site(tmp_path, b_orders__csv=orders(0, 30))
    inbox = tmp_path / "data" / "inbox"
    pl.DataFrame({"工单编号": ["X1"], "诉求内容": [["list", "typed"]]}).write_parquet(inbox / "a_list.parquet")
    # an encrypted Office file is an OLE2 container whatever its extension says
    (inbox / "a_secret.xlsx").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504 + SECRET_PHONE.encode())
    (inbox / "a_folder").mkdir()
    summary = run_weekly(load_config(config), week="2026-W46")
    assert summary.exit_code == EXIT_INPUT and summary.status == "input_failed"
    by_name = {Path(f["path"]).name: f for f in summary.files}
    assert by_name["b_orders.csv"]["status"] == "loaded" and by_name["b_orders.csv"]["rows_accepted"] == 30
    assert {n: by_name[n]["status"] for n in ("a_list.parquet", "a_secret.xlsx", "a_folder")} == dict.fromkeys(
        ("a_list.parquet", "a_secret.xlsx", "a_folder"), "failed"
    )
    assert summary.reports and Path(summary.reports[0]).exists()
    for name in ("a_secret.xlsx", "a_folder"):
        note = (inbox / f"{name}.error.txt").read_text("utf-8")
        assert note.startswith(f"文件：{name}\n原因：") and "下次运行会自动重试" in note
    assert sorted(p.name for p in inbox.iterdir() if not p.name.endswith(".error.txt")) == [
        "a_folder",
        "a_list.parquet",
        "a_secret.xlsx",
    ]
    assert SECRET_PHONE not in every_output(tmp_path)


def test_a_read_only_archive_is_retried_without_loading_again(tmp_path, monkeypatch):
    config = site(tmp_path, orders__csv=orders(0, 30))
    cfg = load_config(config)

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(shutil, "move", refuse)
    first = run_weekly(cfg, week="2026-W46")
    assert first.exit_code == EXIT_INPUT and first.files[0]["status"] == "archive_failed"
    assert "没有权限" in first.files[0]["message"] and (cfg.paths.inbox / "orders.csv").exists()
    monkeypatch.undo()
    second = run_weekly(cfg, week="2026-W46")
    assert second.exit_code == EXIT_OK, second.error
    assert second.files[0]["status"] == "skipped" and not (cfg.paths.inbox / "orders.csv").exists()
    with dl.connect(cfg.paths.db, read_only=True) as store:
        assert store.count("batches") == 1 and store.count("records") == 30


def test_a_symlink_in_the_inbox_is_refused_and_never_read(tmp_path):
    outside = tmp_path / "elsewhere" / "passwd"
    outside.parent.mkdir()
    outside.write_text(f"root:x:0:0:{SECRET_PHONE}:/root:/bin/bash\n", encoding="utf-8")
    config = site(tmp_path / "site", orders__csv=orders(0, 30))
    inbox = tmp_path / "site" / "data" / "inbox"
    (inbox / "link.csv").symlink_to(outside)
    summary = run_weekly(load_config(config), week="2026-W46")
    assert summary.exit_code == EXIT_INPUT
    note = (inbox / "link.csv.error.txt").read_text("utf-8")
    assert "符号链接" in note and (inbox / "link.csv").is_symlink()
    assert SECRET_PHONE not in every_output(tmp_path / "site") and "root:x" not in every_output(tmp_path / "site")


def test_a_header_less_export_leaves_no_data_in_the_error_file_or_summary(tmp_path):
    row = f"GD1,2026/11/10 10:00,{SECRET_PHONE},张伟,110101199003071234,楼道漏水\n"
    config = site(tmp_path, noheader__csv=row * 3)
    summary = run_weekly(load_config(config), week="2026-W46")
    assert summary.exit_code != EXIT_OK
    text = every_output(tmp_path)
    assert (tmp_path / "data" / "inbox" / "noheader.csv.error.txt").exists()
    for secret in (SECRET_PHONE, "张伟", "110101199003071234"):
        assert secret not in text


# --- names from the data that become file names -----------------------------------------------


HOSTILE_STREETS = [
    "../../../../../tmp/x/ESCAPED",
    "<a href='http://evil'>东湖</a>",
    "东湖\n街道/子目录",
    "长" * 120,
    "..",
    "东湖街道",  # a real name, and a collision candidate for the markup one
]


def test_per_street_reports_stay_inside_the_reports_folder(tmp_path):
    """Traversal, markup, a newline, 120 characters, dots: one report each, all inside the week's folder."""
    parts = [
        orders(100 * k, 12, street='"' + street + '"').removeprefix(HEADER) for k, street in enumerate(HOSTILE_STREETS)
    ]
    config = site(tmp_path / "site", orders__csv=HEADER + "".join(parts))
    summary = run_weekly(load_config(config), week="2026-W46", per_street=True)
    assert summary.exit_code == EXIT_OK, summary.error
    folder = (tmp_path / "site" / "reports" / "2026-W46").resolve()
    assert len(summary.reports) == 1 + len(HOSTILE_STREETS)
    names = [Path(r).name for r in summary.reports]
    assert len(set(names)) == len(names) and "东湖街道.html" in names
    for report in summary.reports:
        path = Path(report).resolve()
        assert path.parent == folder and len(path.name.encode()) < 200 and "\n" not in path.name and path.is_file()
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == ["data", "demandlab.toml", "reports"]
    assert [p.name for p in (tmp_path / "site" / "reports").iterdir()] == ["2026-W46"]
    assert all(p.is_file() for p in folder.iterdir())
    assert not (tmp_path / "tmp").exists() and not Path("/tmp/x/ESCAPED").exists()


def test_a_street_without_records_that_week_is_skipped_with_a_note(tmp_path):
    quiet = orders(100, 10, street="西城街道", days=(2, 3)).removeprefix(HEADER)  # the week before only
    config = site(tmp_path, orders__csv=orders(0, 30) + quiet)
    summary = run_weekly(load_config(config), week="2026-W46", per_street=True)
    assert summary.exit_code == EXIT_OK, summary.error
    assert [Path(r).name for r in summary.reports] == ["全区.html", "东湖街道.html"]
    assert summary.notes == ["西城街道：2026-W46 没有记录，未生成街道报告"]


# --- bad usage is refused before anything runs --------------------------------------------------


@pytest.mark.parametrize("week", ["2026-47", "2026W47", "2026-W60", "2021-W53", "下周"])
def test_a_malformed_week_changes_nothing(tmp_path, week):
    config = site(tmp_path, orders__csv=orders(0, 30))
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    result = runner.invoke(app, ["weekly", "--config", str(config), "--week", week])
    assert result.exit_code == EXIT_USAGE and "--week" in result.output
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
    result = runner.invoke(app, ["signals", "alerts", "--week", week, "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == EXIT_USAGE


@pytest.mark.parametrize(
    "command",
    [["report"], ["run"], ["signals", "hot"], ["themes", "list"], ["purge", "--before", "2020-01-01"]],
    ids=" ".join,
)
def test_a_mistyped_database_is_refused_and_not_created(tmp_path, command):
    db = tmp_path / "typo.duckdb"
    result = runner.invoke(app, [*command, "--db", str(db)])
    assert result.exit_code == EXIT_USAGE and "不存在" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_failed_registry_load_creates_no_database(tmp_path):
    bad = tmp_path / "grids.csv"
    bad.write_text("x,y\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["grids", "load", str(bad), "--db", str(tmp_path / "db.duckdb")])
    assert result.exit_code == EXIT_INPUT
    assert not (tmp_path / "db.duckdb").exists()


@pytest.mark.parametrize("scope", ["东湖街道", "town=东湖", "street="])
def test_a_malformed_scope_is_refused(tmp_path, scope):
    result = runner.invoke(app, ["report", "--scope", scope, "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == EXIT_USAGE and "--scope" in result.output


# --- busy databases -----------------------------------------------------------------------------


def _cli(*args: str, cwd: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen([str(DEMANDLAB), *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_weekly_job_waits_for_a_notebook_that_holds_the_database_open(tmp_path):
    config = site(tmp_path, first__csv=orders(0, 30))
    cfg = load_config(config)
    assert run_weekly(cfg, week="2026-W46").exit_code == EXIT_OK
    (cfg.paths.inbox / "second.csv").write_text(orders(200, 12), encoding="utf-8")
    reader = subprocess.Popen(
        [sys.executable, "-c", f"import demandlab as dl, time; s = dl.connect({str(cfg.paths.db)!r}, read_only=True); "
         "print('open', flush=True); time.sleep(3)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert reader.stdout.readline().strip() == "open"
    busy = run_weekly(cfg, week="2026-W46", wait=0.5)
    assert busy.exit_code == EXIT_BUSY and "正被" in busy.error and "进程" in busy.error
    started = time.monotonic()
    summary = run_weekly(cfg, week="2026-W46", wait=30)
    assert summary.exit_code == EXIT_OK, summary.error
    assert time.monotonic() - started > 1 and summary.rows_accepted == 12
    reader.wait(timeout=10)


def test_three_concurrent_ingests_all_load_and_none_twice(tmp_path):
    db = tmp_path / "db.duckdb"
    files = []
    for k in range(3):
        files.append(tmp_path / f"part{k}.csv")
        files[-1].write_text(orders(1000 * k, 25), encoding="utf-8")
    procs = [_cli("ingest", str(f), "--db", str(db), "--wait", "60") for f in files]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results
    with dl.connect(db, read_only=True) as store:
        assert store.count("batches") == 3
        assert store.scalar("select sum(rows_accepted) from batches") == 75
    again = _cli("ingest", *map(str, files), "--db", str(db), "--json")
    output, _ = again.communicate(timeout=60)
    assert again.returncode == 0 and output.count('"status": "skipped"') == 3


def test_a_reader_waits_for_a_writer_then_reads(tmp_path):
    config = site(tmp_path, orders__csv=orders(0, 30))
    cfg = load_config(config)
    assert run_weekly(cfg, week="2026-W46").exit_code == EXIT_OK
    holder = subprocess.Popen(
        [sys.executable, "-c", "import demandlab as dl, time; from demandlab.store import writer_lock; "
         f"lock = writer_lock({str(cfg.paths.db)!r}, 0, 'demandlab run'); lock.__enter__(); "
         f"s = dl.connect({str(cfg.paths.db)!r}); print('open', flush=True); time.sleep(2.5)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "open"
    refused = runner.invoke(app, ["signals", "kpi", "--db", str(cfg.paths.db), "--wait", "0.3"])
    assert refused.exit_code == EXIT_BUSY and "正被 demandlab run（进程" in refused.output
    waited = runner.invoke(app, ["signals", "kpi", "--db", str(cfg.paths.db), "--wait", "30"])
    assert waited.exit_code == EXIT_OK, waited.output
    holder.wait(timeout=10)


# --- the database file itself ---------------------------------------------------------------------


def test_a_corrupt_database_gives_one_line_in_chinese(tmp_path):
    db = tmp_path / "db.duckdb"
    db.write_bytes(b"\0" * 4096 + b"not a duckdb file" * 100)
    for command in (["report"], ["run"], ["ingest", str(tmp_path / "x.csv")]):
        (tmp_path / "x.csv").write_text(orders(0, 3), encoding="utf-8")
        result = runner.invoke(app, [*command, "--db", str(db)])
        assert result.exit_code == EXIT_ERROR, result.output
        assert "无法打开" in result.output and "请从备份恢复" in result.output
        assert "Traceback" not in result.output


def test_a_full_disk_under_the_database_gives_one_line_and_leaves_the_last_stage(tmp_path):
    """The file-size limit makes every write beyond 500 kB fail as a full disk would (the database outgrows it;
    a 2 MB limit stopped only the report, once 5 MB, now under 2 MB)."""
    config = site(tmp_path, orders__csv=orders(0, 30))
    script = (
        "import resource, sys; from demandlab.cli import main; "
        "resource.setrlimit(resource.RLIMIT_FSIZE, (500_000, 500_000)); "
        f"sys.argv = ['demandlab', 'weekly', '--config', {str(config)!r}, '--week', '2026-W46']; main()"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == EXIT_ERROR
    assert "Traceback" not in proc.stderr
    assert "文件超过允许的大小" in proc.stderr or "磁盘空间已满" in proc.stderr, proc.stderr


def test_read_only_commands_do_not_write(tmp_path):
    config = site(tmp_path, orders__csv=orders(0, 30))
    cfg = load_config(config)
    assert run_weekly(cfg, week="2026-W46").exit_code == EXIT_OK
    before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in cfg.paths.db.parent.iterdir() if p.is_file()}
    cfg.paths.db.chmod(stat.S_IRUSR)
    for command in (["signals", "hot"], ["signals", "kpi"], ["themes", "list"]):
        result = runner.invoke(app, [*command, "--db", str(cfg.paths.db)])
        assert result.exit_code in (EXIT_OK, 4), result.output
    after = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in cfg.paths.db.parent.iterdir() if p.is_file()}
    assert after == before


# --- everything belongs to the database, not to the folder a command runs from ---------------


def test_commands_from_another_folder_use_the_same_salt_and_model(tmp_path):
    db = tmp_path / "site" / "db.duckdb"
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(orders(0, 60), encoding="utf-8")
    second.write_text(orders(0, 60).replace("GD000", "GX000"), encoding="utf-8")  # the same callers again
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DEMANDLAB_SALT"}
    for folder, path in (("one", first), ("two", second)):
        for args in (["ingest", str(path)], ["run"]):
            proc = subprocess.run(
                [str(DEMANDLAB), *args, "--db", str(db)], cwd=tmp_path / folder, env=env, capture_output=True, text=True
            )
            assert proc.returncode == 0, proc.stderr
    assert not any((tmp_path / folder / "data").exists() for folder in ("one", "two"))
    with dl.connect(db, read_only=True) as store:
        keys = store.sql(
            "select count(distinct contact_key) as keys, count(*) as n from records where record_id like 'G_0000%'"
        ).row(0)
        assert keys == (10, 20)  # each caller one key, from whichever folder the record was loaded
        assert store.count("theme_models") <= 1


# --- the restricted file -------------------------------------------------------------------------


def text_columns(store: dl.Store, catalog: str = "main") -> list[tuple[str, str]]:
    return store.sql(
        "select table_name, column_name from duckdb_columns() where database_name = ? and data_type = 'VARCHAR' "
        "order by all",
        [store.scalar("select current_database()") if catalog == "main" else catalog],
    ).rows()


def holding(store: dl.Store, needle: str, catalog: str = "main") -> list[str]:
    """The ``table.column`` of the analysts' (or the restricted) file whose values contain ``needle``."""
    prefix = "" if catalog == "main" else f"{catalog}."
    return [
        f"{t}.{c}"
        for t, c in text_columns(store, catalog)
        if store.scalar(f'select count(*) from {prefix}"{t}" where contains("{c}", ?)', [needle])
    ]


def test_personal_data_lives_only_in_the_restricted_file(tmp_path):
    config = site(tmp_path, orders__csv=orders(0, 30))
    cfg = load_config(config)
    assert run_weekly(cfg, week="2026-W46").exit_code == EXIT_OK
    secret = restricted_path(cfg.paths.db)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    with dl.connect(cfg.paths.db, read_only=True) as store:
        assert "raw_records" not in store.tables()
        attached = store.sql("select database_name from duckdb_databases() where not internal")["database_name"]
        assert attached.to_list() == [store.scalar("select current_database()")]
        assert "raw" not in store.table("rejects").columns and "value" not in store.table("load_warnings").columns
        assert holding(store, "1390000000") == []
    with dl.connect(cfg.paths.db) as store:
        store.attach_restricted()
        assert holding(store, "1390000000", "restricted") == ["raw_records.contact"]


def test_purge_removes_the_personal_data_of_old_files_and_keeps_the_records(tmp_path, monkeypatch):
    db = tmp_path / "db.duckdb"
    path = tmp_path / "old.csv"
    path.write_text(orders(0, 20), encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(path), "--db", str(db)]).exit_code == 0
    assert runner.invoke(app, ["run", "--db", str(db)]).exit_code == 0
    monkeypatch.setenv("DEMANDLAB_NOW", "2026-12-01T09:00:00")
    newer = tmp_path / "new.csv"
    newer.write_text(orders(500, 5), encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(newer), "--db", str(db)]).exit_code == 0
    assert runner.invoke(app, ["purge", "--before", "2027-01-01", "--db", str(db)]).exit_code == EXIT_USAGE
    inode = restricted_path(db).stat().st_ino
    result = runner.invoke(app, ["purge", "--before", "2026-11-20", "--db", str(db)])
    assert result.exit_code == 0 and "原始记录 20 行" in result.output
    assert restricted_path(db).stat().st_ino != inode  # rewritten: the deleted rows are not in its free space
    assert stat.S_IMODE(restricted_path(db).stat().st_mode) == 0o600
    with dl.connect(db) as store:
        assert store.count("records") == 20
        store.attach_restricted()
        assert store.count("raw_records") == 5 and holding(store, "13900000001", "restricted") == []
    # a later version of a purged record is numbered after its last one and cleaned as usual
    again = tmp_path / "again.csv"
    again.write_text(orders(0, 20).replace("（0）", "（0，补充）"), encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(again), "--db", str(db)]).exit_code == 0
    assert runner.invoke(app, ["run", "--db", str(db)]).exit_code == 0
    with dl.connect(db, read_only=True) as store:
        assert store.sql("select version from records where record_id = 'GD00000'").item() == 2
        assert "补充" in store.sql("select text from records where record_id = 'GD00000'").item()


def test_a_full_disk_under_the_reports_leaves_no_temporary_file(tmp_path, monkeypatch):
    import errno
    from pathlib import Path as P

    config = site(tmp_path, orders__csv=orders(0, 30))
    cfg = load_config(config)
    real = P.write_text

    def full(self, text, *args, **kwargs):
        if self.name.endswith(".html.tmp"):
            real(self, text[:1000], *args, **kwargs)  # part of the page reached the disk, then it filled up
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(P, "write_text", full)
    summary = run_weekly(cfg, week="2026-W46")
    assert summary.exit_code == EXIT_ERROR and summary.error.startswith("磁盘空间已满")
    assert [p for p in (tmp_path / "reports").rglob("*") if p.name.endswith(".tmp")] == []


# --- a new deployment ---------------------------------------------------------------------------------


def test_init_then_weekly_on_a_fresh_folder_writes_the_report(tmp_path):
    # issue 17: the quick start's weekly exited "config file not found": nothing wrote a demandlab.toml
    folder = tmp_path / "site"
    made = runner.invoke(app, ["init", str(folder), "--district", "西湖区"])
    assert made.exit_code == EXIT_OK, made.output
    config = folder / "demandlab.toml"
    cfg = load_config(config)  # every key it sets is a real one, with paths beside the file
    assert cfg.report.district == "西湖区" and cfg.paths.inbox == folder / "data" / "inbox"
    assert cfg.paths.db == folder / "data" / "demandlab.duckdb" and cfg.paths.logs == folder / "data" / "logs"
    (cfg.paths.inbox / "orders.csv").write_text(orders(0, 30), encoding="utf-8")
    weekly = runner.invoke(app, ["weekly", "--config", str(config), "--week", "2026-W46"])
    assert weekly.exit_code == EXIT_OK, weekly.output
    report = folder / "reports" / "2026-W46" / "全区.html"
    assert "<h1>西湖区社区诉求分析周报</h1>" in report.read_text("utf-8")
    assert list((folder / "data" / "archive").rglob("orders.csv")) and not list(cfg.paths.inbox.iterdir())
    # a second init does not overwrite the deployment's settings
    again = runner.invoke(app, ["init", str(folder)])
    assert again.exit_code == EXIT_USAGE and "已存在" in again.output
    assert load_config(config).report.district == "西湖区"
