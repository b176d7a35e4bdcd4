"""pipelines/: the weekly, backfill and refit definitions and their schedules are real and run."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command

import demandlab as dl
from demandlab.cli import app
from tests.test_weekly import CONFIG

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"
SCRIPTS = sorted(PIPELINES.glob("*.sh"))


def test_there_are_weekly_backfill_and_refit_pipelines():
    assert {p.name for p in SCRIPTS} == {"weekly.sh", "backfill.sh", "refit.sh"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_are_executable_posix_shell(script):
    assert os.access(script, os.X_OK), f"{script.name} is not executable"
    assert script.read_text("utf-8").startswith("#!/bin/sh\n")
    subprocess.run(["sh", "-n", str(script)], check=True)


def test_every_command_the_pipelines_call_exists():
    commands = set(get_command(app).commands)
    for path in [*SCRIPTS, PIPELINES / "crontab", *PIPELINES.glob("systemd/*")]:
        for command in re.findall(r"demandlab\"? (\w+)", path.read_text("utf-8")):
            assert command in commands, f"{path.name} calls `demandlab {command}`"


def test_the_schedules_run_the_weekly_script():
    service = configparser.ConfigParser()
    service.read(PIPELINES / "systemd" / "demandlab-weekly.service")
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["ExecStart"].endswith("pipelines/weekly.sh")
    timer = configparser.ConfigParser()
    timer.read(PIPELINES / "systemd" / "demandlab-weekly.timer")
    assert timer["Timer"]["OnCalendar"].startswith("Mon") and timer["Timer"]["Persistent"] == "true"
    lines = [line for line in (PIPELINES / "crontab").read_text("utf-8").splitlines() if line and line[0] != "#"]
    assert len(lines) == 1
    fields = lines[0].split()
    assert fields[:5] == ["30", "6", "*", "*", "1"] and "pipelines/weekly.sh" in lines[0]


def test_backfill_writes_a_report_for_every_week(district, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "demandlab.toml").write_text(CONFIG, encoding="utf-8")
    shutil.copy(district.registry, site / "registry.csv")
    (site / ".venv").symlink_to(Path(sys.executable).parents[1])
    exports = tmp_path / "exports"
    exports.mkdir()
    for path in district.export_paths:
        shutil.copy(path, exports / path.name)
    env = {**os.environ, "DEMANDLAB_HOME": str(site), "DEMANDLAB_SALT": "test-salt"}
    done = subprocess.run(
        ["sh", str(PIPELINES / "backfill.sh"), str(exports), "2026-W44", "2026-W45"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    for week in ("2026-W44", "2026-W45"):
        assert (site / "reports" / week / "全区.html").stat().st_size > 1_000_000
        assert '"status": "done"' in (site / "reports" / week / "run-summary.json").read_text("utf-8")
    usage = subprocess.run(["sh", str(PIPELINES / "backfill.sh")], env=env, capture_output=True, text=True)
    assert usage.returncode == 2 and "usage:" in usage.stderr


SPARK_SITE = """
[paths]
db = "data/demandlab.duckdb"

[engine]
name = "spark"
spark_master = ""
"""


def test_spark_submit_runs_demandlab_with_the_master_it_names(tmp_path):
    """pipelines/spark/submit.sh: spark-submit runs job.py (demandlab's command line) as the driver, and with
    engine.spark_master = "" the rows stages run on the master spark-submit was given (here local[1])."""
    from demandlab.spark.session import unavailable

    if (reason := unavailable()) is not None:
        pytest.skip(reason)
    script = PIPELINES / "spark" / "submit.sh"
    assert os.access(script, os.X_OK) and script.read_text("utf-8").startswith("#!/bin/sh\n")
    subprocess.run(["sh", "-n", str(script)], check=True)
    site = tmp_path / "site"
    site.mkdir()
    (site / "demandlab.toml").write_text(SPARK_SITE, encoding="utf-8")
    (site / ".venv").symlink_to(Path(sys.executable).parents[1])
    env = {**os.environ, "DEMANDLAB_HOME": str(site), "DEMANDLAB_SALT": "test-salt", "PYTHONHASHSEED": "0"}
    demandlab = [str(Path(sys.executable).with_name("demandlab"))]
    subprocess.run([*demandlab, "synth", "--out", "syn", "--records", "600", "--seed", "3"], cwd=site, env=env,
                   check=True, capture_output=True)  # fmt: skip
    db = ["--db", "data/demandlab.duckdb"]
    subprocess.run([*demandlab, "grids", "load", "syn/grids.csv", *db], cwd=site, env=env, check=True)
    exports = sorted(str(p) for p in (site / "syn" / "exports").iterdir())
    subprocess.run([*demandlab, "ingest", *exports, *db], cwd=site, env=env, check=True, capture_output=True)
    env |= {"SPARK_MASTER": "local[1]", "EXECUTORS": "1", "EXECUTOR_CORES": "1"}
    done = subprocess.run(["sh", str(script), "run", "--config", "demandlab.toml"], cwd=site, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    said = done.stdout  # spark-submit's PythonRunner sends the driver's stderr to its stdout
    assert "stage clean: in Spark (local[1], 1 cores)" in said, said[-3000:]
    assert re.search(r"records \d+: cleaned \d+", said), said[-3000:]
    with dl.connect(site / "data" / "demandlab.duckdb", read_only=True) as store:
        assert store.sql("select command, status from runs").rows() == [("run", "done")]
        assert store.count("assignments") == store.count("records") > 500
