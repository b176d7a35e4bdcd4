"""The suite passes on any day: every date demandlab computes comes from demandlab.clock."""

from __future__ import annotations

import datetime as dt

import pytest

import demandlab as dl
from demandlab import clock
from demandlab.weekly import default_week

ROWS = "工单编号,来电时间,诉求内容,街道,社区,网格\n" + "".join(
    f"GD{i},2026/11/{1 + i % 14} 10:00:00,楼道电瓶车飞线充电 {i},东湖街道,幸福社区,第1网格\n" for i in range(30)
)


def test_the_clock_reads_the_environment(monkeypatch):
    monkeypatch.setenv(clock.NOW_ENV, "2031-02-03")
    assert clock.now() == dt.datetime(2031, 2, 3) and clock.today() == dt.date(2031, 2, 3)
    monkeypatch.setenv(clock.NOW_ENV, "下周一")
    with pytest.raises(clock.ClockError, match="DEMANDLAB_NOW"):
        clock.now()
    monkeypatch.delenv(clock.NOW_ENV)
    assert abs(clock.now() - dt.datetime.now()) < dt.timedelta(seconds=5)


@pytest.mark.parametrize("shift_days", [0, 365, 3 * 365 + 17])
def test_loading_and_the_default_week_do_not_depend_on_the_day_it_runs(tmp_path, monkeypatch, shift_days):
    """The same export loads the same way and reports the same week, today or years later."""
    monkeypatch.setenv(clock.NOW_ENV, (dt.datetime(2026, 11, 16, 9) + dt.timedelta(days=shift_days)).isoformat())
    path = tmp_path / "orders.csv"
    path.write_text(ROWS, encoding="utf-8")
    with dl.connect(tmp_path / "db.duckdb") as store:
        pipe = dl.Pipeline(store)
        batch = pipe.ingest(path)
        assert (batch.rows_read, batch.rows_accepted, batch.rows_rejected) == (30, 30, 0)
        pipe.clean()
        # the week before the one "today" falls in, bounded by the data
        assert default_week(store, clock.today()) == "2026-W46"


def test_records_from_after_now_are_refused_relative_to_the_clock(tmp_path, monkeypatch):
    monkeypatch.setenv(clock.NOW_ENV, "2026-11-05T12:00:00")
    path = tmp_path / "orders.csv"
    path.write_text(ROWS, encoding="utf-8")
    with dl.connect(tmp_path / "db.duckdb") as store:
        batch = dl.Pipeline(store).ingest(path)
    # creation days 1 … 14 of November: those after the 6th (now + one day) are in the future
    assert batch.reasons == {"time_out_of_range": sum(1 + i % 14 > 6 for i in range(30))}
