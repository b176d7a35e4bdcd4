"""Progress where no one watches a terminal: log lines at a step's start, every few seconds, and its end."""

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from demandlab.cli import app
from demandlab.pipeline import log_progress


def test_a_long_step_that_never_advances_still_says_it_is_alive(caplog):
    """A theme fit is one step of one unit: lines only on advance said nothing for minutes."""
    logger = logging.getLogger("demandlab.test.progress")
    with (
        caplog.at_level(logging.INFO, logger=logger.name),
        log_progress(every=0.05, logger=logger)("主题发现 themes", 1) as advance,
    ):
        time.sleep(0.8)  # about 16 beats of 0.05 s; 3 even on a machine busy with other tests
        advance(1)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "主题发现 themes: 1 to do"
    beats = [line for line in lines if line.startswith("主题发现 themes: 0 of 1 (")]
    assert len(beats) >= 3
    assert lines[-1].startswith("主题发现 themes: done, 1 in ")


def test_progress_stops_when_the_step_fails(caplog):
    logger = logging.getLogger("demandlab.test.progress")
    with caplog.at_level(logging.INFO, logger=logger.name):
        try:
            with log_progress(every=0.02, logger=logger)("分词 segment", 5):
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        caplog.clear()
        time.sleep(0.1)
    assert not caplog.records  # no heartbeat left running after the step


def test_run_not_on_a_terminal_writes_dated_progress_lines_to_stderr(tmp_path):
    """As from cron: stdout and stderr are files. `run` printed nothing for four minutes this way."""
    db, out = str(tmp_path / "db.duckdb"), tmp_path / "synth"
    runner = CliRunner()
    assert runner.invoke(app, ["synth", "--out", str(out), "--records", "1500", "--seed", "4"]).exit_code == 0
    assert runner.invoke(app, ["grids", "load", str(out / "grids.csv"), "--db", db]).exit_code == 0
    assert runner.invoke(app, ["ingest", *map(str, sorted((out / "exports").iterdir())), "--db", db]).exit_code == 0
    command = Path(sys.executable).parent / "demandlab"
    with (tmp_path / "out.log").open("w") as stdout, (tmp_path / "err.log").open("w") as stderr:
        done = subprocess.run([str(command), "run", "--db", db], stdout=stdout, stderr=stderr, env=os.environ.copy())
    assert done.returncode == 0, (tmp_path / "err.log").read_text()
    lines = (tmp_path / "err.log").read_text("utf-8").splitlines()
    for stage in ("清洗与脱敏 clean + mask", "分词 segment"):
        started = [line for line in lines if f"{stage}: " in line and line.endswith(" to do")]
        ended = [line for line in lines if f"{stage}: done, " in line]
        assert started and ended, lines
        assert started[0][:19].replace("-", "").replace(":", "").replace(" ", "").isdigit()  # 2026-12-06 02:50:01
    assert "records 1," in (tmp_path / "out.log").read_text("utf-8")
