import json
import re
import subprocess
import sys

import polars as pl
import pytest
from typer.main import get_command
from typer.testing import CliRunner

import demandlab as dl
from demandlab.cli import EXIT_INPUT, EXIT_NO_DATA, app
from demandlab.errors import EXIT_USAGE

runner = CliRunner()


def _commands(group=None, prefix=()):
    group = group or get_command(app)
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


@pytest.mark.parametrize("command", list(_commands()), ids=" ".join)
def test_every_command_has_help_with_an_example(command):
    result = runner.invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert re.search(r"Example: demandlab " + " ".join(command), result.output), result.output


def test_synth_ingest_run_report_from_the_command_line(tmp_path):
    db = str(tmp_path / "db.duckdb")
    out = tmp_path / "synth"
    result = runner.invoke(app, ["synth", "--out", str(out), "--records", "1500", "--seed", "4"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["grids", "load", str(out / "grids.csv"), "--db", db]).exit_code == 0
    result = runner.invoke(app, ["ingest", *map(str, sorted((out / "exports").iterdir())), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    assert '"status": "loaded"' in result.output and '"rows_rejected": 21' in result.output
    again = runner.invoke(app, ["ingest", str(out / "exports" / "grid_visits.jsonl"), "--db", db])
    assert "已跳过" in again.output
    lake = tmp_path / "lake"
    assert runner.invoke(app, ["run", "--db", db, "--lake", str(lake)]).exit_code == 0
    with dl.connect(db, read_only=True) as store:  # every run leaves its row, as the weekly job does
        assert store.sql("select command, status from runs").rows() == [("run", "done")]
    with dl.connect(lake) as store:  # --lake: the database as Parquet once the run is recorded
        assert store.sql("select command, status from runs").rows() == [("run", "done")]
    report, from_lake = tmp_path / "r.html", tmp_path / "lake.html"
    result = runner.invoke(app, ["report", "--db", db, "--out", str(report)])
    assert result.exit_code == 0 and report.exists(), result.output
    result = runner.invoke(app, ["report", "--db", str(lake), "--out", str(from_lake)])
    assert result.exit_code == 0 and from_lake.stat().st_size == report.stat().st_size, result.output
    result = runner.invoke(app, ["run", "--db", str(lake)])
    assert result.exit_code == EXIT_USAGE and "只能读取" in result.output, result.output
    result = runner.invoke(app, ["report", "--db", db, "--week", "2001-W01", "--out", str(report)])
    assert result.exit_code == EXIT_NO_DATA and "2001-W01 没有数据" in result.output


def test_an_unknown_engine_is_refused_before_anything_runs(tmp_path):
    result = runner.invoke(app, ["run", "--engine", "hadoop", "--db", str(tmp_path / "db.duckdb")])
    assert result.exit_code == 2 and "engine.name: expected one of duckdb, spark" in result.output, result.output
    assert not (tmp_path / "db.duckdb").exists()


def test_the_spark_engine_without_pyspark_or_java_says_what_to_install(tmp_path, monkeypatch):
    db = str(tmp_path / "db.duckdb")
    dl.connect(db).close()  # an empty database
    monkeypatch.setenv("PATH", str(tmp_path))  # no java
    monkeypatch.delenv("JAVA_HOME", raising=False)
    result = runner.invoke(app, ["run", "--engine", "spark", "--db", db])
    assert result.exit_code == EXIT_USAGE and "Java 17" in result.output, result.output
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a))
    result = runner.invoke(app, ["run", "--engine", "spark", "--db", db])
    assert result.exit_code == EXIT_USAGE and "uv sync --group spark" in result.output, result.output


def test_a_file_that_cannot_be_loaded_gives_exit_code_3_and_names_the_file(tmp_path):
    bad = tmp_path / "notes.csv"
    bad.write_text("编号,内容\n1,x\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(bad), "--db", str(tmp_path / "db.duckdb")])
    assert result.exit_code == EXIT_INPUT
    assert "无法导入" in result.output and "notes.csv" in result.output


def test_demo_writes_latest_and_a_file_per_week(tmp_path):
    result = runner.invoke(
        app,
        [
            "demo",
            "--records",
            "1500",
            "--weeks",
            "2",
            "--data",
            str(tmp_path / "data"),
            "--reports",
            str(tmp_path / "reports"),
        ],
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert names == ["2026-W45.html", "2026-W46.html", "latest.html"]
    assert (tmp_path / "data" / "demandlab.duckdb").exists()
    with dl.connect(tmp_path / "data" / "demandlab.duckdb", read_only=True) as store:  # the lists have a start
        assert store.scalar("select count(*) from resources") > 0


def test_ingest_from_the_inbox(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demandlab.toml").write_text(
        '[paths]\ninbox = "in"\narchive = "done"\ndb = "x.duckdb"\n', encoding="utf-8"
    )
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("工单编号,来电时间,诉求内容\nGD1,2025/3/1 10:00,漏水\n", encoding="utf-8")
    (tmp_path / "in" / "b.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", "--inbox"])
    assert result.exit_code == EXIT_INPUT
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == ["b.csv", "b.csv.error.txt"]
    assert runner.invoke(app, ["ingest"]).exit_code == 2


def test_themes_and_classify_commands(tmp_path):
    db = str(tmp_path / "db.duckdb")
    data, reports = tmp_path / "data", tmp_path / "reports"
    assert (
        runner.invoke(
            app, ["demo", "--records", "1500", "--weeks", "1", "--data", str(data), "--reports", str(reports)]
        ).exit_code
        == 0
    )
    db = str(data / "demandlab.duckdb")
    models = ["--config", str(_config(tmp_path, data))]
    listed = runner.invoke(app, ["themes", "list", "--db", db, *models], terminal_width=200)
    assert listed.exit_code == 0 and "未归类" in listed.output
    result = runner.invoke(app, ["themes", "evaluate", "--label-column", "category", "--db", db, *models])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["against"]["labelled"] > 0 and 0 <= figures["unassigned_share"] <= 1
    # the command reports stability (two subsamples); how stable the themes are is held by tests/themes
    assert -1 <= figures["stability_ari"] <= 1 and figures["stability_sample"] == figures["records"]
    out = tmp_path / "themes.parquet"
    assert runner.invoke(app, ["themes", "export", "--out", str(out), "--db", db, *models]).exit_code == 0
    exported = pl.read_parquet(out)
    assert exported.columns[:6] == ["record_id", "source", "theme_id", "theme_label", "category", "score"]
    result = runner.invoke(
        app,
        ["classify", "cv", "--label-column", "category", "--source", "snapshot", "--folds", "3", "--db", db, *models],
    )
    assert result.exit_code == 0, result.output
    assert 0 < json.loads(result.output)["macro_f1"] <= 1
    result = runner.invoke(app, ["classify", "route", "--label-column", "category", "--db", db, *models])
    assert result.exit_code == 0 and "routed" in result.output


def _config(tmp_path, data):
    path = tmp_path / "demandlab.toml"
    path.write_text(
        f'[paths]\nmodels = "{data / "models"}"\n[privacy]\nsalt_file = "{data / ".contact_salt"}"\n', encoding="utf-8"
    )
    return path


HEAVY_PROBE = """
import sys
sys.argv = ["demandlab", *sys.argv[1:]]
from demandlab.cli import main
try:
    main()
except SystemExit as stop:
    code = stop.code
print("HEAVY", ",".join(sorted(m for m in ("scipy", "sklearn") if m in sys.modules)), "CODE", code)
"""


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["--version"], ["-V"], ["report", "-h"]])
def test_help_and_version_answer_without_importing_the_learning_libraries(args):
    # issue 17: every command took 4–6 s to start because the CLI imported scipy and scikit-learn
    done = subprocess.run(
        [sys.executable, "-c", HEAVY_PROBE, *args], capture_output=True, text=True, timeout=60, check=False
    )
    last = done.stdout.strip().splitlines()[-1]
    assert last in ("HEAVY  CODE 0", "HEAVY  CODE None"), done.stdout + done.stderr
    if args[0] in ("--version", "-V"):
        assert done.stdout.startswith(f"demandlab {dl.__version__}")
    else:
        assert "Usage: demandlab" in done.stdout


def _rejected_db(tmp_path):
    """A database from one hand-made export: two good rows, a time that is a phone number, an empty id."""
    export = tmp_path / "工单导出.csv"
    export.write_text(
        "工单编号,来电时间,来电号码,诉求内容\n"
        "GD1,2026-11-10 09:00,13800000001,楼道里电瓶车飞线充电\n"
        "GD2,13912345678,13800000002,电梯经常故障困人\n"
        ",2026-11-11 10:00,13800000003,小区垃圾清运不及时\n"
        "GD4,2026-11-12 11:00,13800000004,路灯不亮\n",
        encoding="utf-8",
    )
    db = str(tmp_path / "db.duckdb")
    result = runner.invoke(app, ["ingest", str(export), "--db", db])
    assert result.exit_code == 0, result.output
    return db, export


def test_rejects_lists_file_row_column_masked_value_and_a_chinese_reason(tmp_path):
    """Rejected rows were visible only from Python, half in English; a refused value is shown only masked."""
    db, export = _rejected_db(tmp_path)
    result = runner.invoke(app, ["rejects", "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["file_name"], r["row_number"], r["column_name"], r["reason"]) for r in rows] == [
        (export.name, 3, "来电时间", "bad_time"),
        (export.name, 4, "工单编号", "missing_id"),
    ]
    assert rows[0]["value"] == "〔手机号〕" and "13912345678" not in result.output
    assert rows[0]["reason_zh"] == "时间缺失或无法识别" and rows[0]["message"] == "来电时间：无法识别的日期时间"
    assert not re.search(r"[A-Za-z]{3,}", rows[0]["message"] + rows[1]["message"])
    with dl.connect(db, read_only=True) as store:
        assert store.scalar("select sum(rows_read) - sum(rows_accepted) from batches") == len(rows)


def test_rejects_filters_by_reason_and_batch_and_writes_a_csv_excel_opens(tmp_path):
    db, export = _rejected_db(tmp_path)
    out = tmp_path / "拒收.csv"
    result = runner.invoke(app, ["rejects", "--db", db, "--reason", "missing_id", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads the Chinese as UTF-8
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("文件,工作表,行号,列,原值（已脱敏）,原因,说明") and len(lines) == 2
    assert lines[1].startswith(f"{export.name},,4,工单编号,,缺少编号,")
    for batch in (export.name, "b-no-such-batch"):
        result = runner.invoke(app, ["rejects", "--db", db, "--batch", batch, "--format", "json"])
        assert result.exit_code == 0
    assert "没有被拒收的行（批次 b-no-such-batch）" in result.output
    wrong = runner.invoke(app, ["rejects", "--db", db, "--reason", "bad_day"])
    assert wrong.exit_code == 2 and "不是拒收原因代码" in wrong.output and "bad_time" in wrong.output


def test_after_a_purge_the_refused_values_read_as_purged(tmp_path):
    db, _ = _rejected_db(tmp_path)
    assert runner.invoke(app, ["purge", "--before", "2999-01-01", "--db", db]).exit_code != 0  # not in the future
    with dl.connect(db) as store:
        store.attach_restricted()
        with store.restricted_transaction() as con:
            con.execute("delete from restricted.reject_values")
    rows = json.loads(runner.invoke(app, ["rejects", "--db", db, "--format", "json"]).stdout)
    assert {r["value"] for r in rows} == {"已清除"}
