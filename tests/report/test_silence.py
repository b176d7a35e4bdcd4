"""Silence never reads as good news: the report and the commands say what could not be computed, and why.

A district whose exports carry no grid, no caller number and no due time (a plain 12345 export and an
online message board) gets a report that says surges and 多人同诉/一人多诉 could not be computed, shows
逾期未结 and the rates as 未知 with the records lacking their field, and names every source in Chinese.
"""

import csv
import datetime as dt
import re

import pytest
from typer.testing import CliRunner

import demandlab as dl
from demandlab.cli import app
from demandlab.config import demo_config
from demandlab.labels import SOURCE_LABELS_ZH
from demandlab.marts import read
from demandlab.report import collect, render
from demandlab.report.data import _alert_status
from demandlab.report.render import figures
from demandlab.signals.status import signal_status

FIRST = dt.date(2026, 9, 21)  # Monday of 2026-W39; eight weeks to 2026-W46, before the suite's fixed now
TOPICS = ["楼道 飞线充电 电瓶车 火灾隐患", "垃圾 清运 臭味 垃圾桶", "电梯 故障 困人 维保", "广场舞 音响 扰民 音乐"]
N_ORDERS, N_MESSAGES = 112, 28


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """A database from exports without grid, caller, due time or any closed-loop field."""
    root = tmp_path_factory.mktemp("bare")
    orders, messages = root / "orders.csv", root / "messages.csv"
    with orders.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["工单编号", "来电时间", "诉求内容", "街道", "社区"])
        for i in range(N_ORDERS):
            day = FIRST + dt.timedelta(days=i % 56)
            writer.writerow([f"GD{i}", f"{day:%Y/%m/%d} 10:{i % 60:02d}:00", TOPICS[i % 4], "东湖街道", "幸福社区"])
    with messages.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["留言编号", "留言主题", "留言时间", "留言详情"])
        for i in range(N_MESSAGES):
            day = FIRST + dt.timedelta(days=2 * i)
            writer.writerow([f"LY{i}", TOPICS[i % 4][:5], f"{day:%Y/%m/%d} 20:00:00", TOPICS[i % 4] + " 希望尽快处理"])
    cfg = demo_config(root, root / "reports")
    with dl.connect(cfg.paths.db) as store:
        pipe = dl.Pipeline(store, cfg)
        pipe.ingest(orders, mapping="hotline_12345")
        pipe.ingest(messages, mapping="message_board")
        pipe.run()
    return cfg


def test_the_status_of_bare_exports_names_what_is_missing(bare):
    with dl.connect(bare.paths.db, read_only=True) as store:
        status = read.signal_status(store)
        n = read.n_records(store)
    assert n == N_ORDERS + N_MESSAGES
    assert status["surge"].reason_zh == f"无法计算：缺少网格编号（全部 {n} 件记录都没有网格编号）"
    # no caller numbers, but people are counted from near-duplicate messages: 一人多诉 is computed; these
    # texts name no place, so 多人同诉 cannot be
    assert status["repeat_caller"].computable and status["crowd"].missing == ("place",)
    assert status["overdue_open"].unknown_zh == f"未知（{n} 件记录均缺少办结期限）"


def test_a_report_without_grids_or_callers_says_it_could_not_compute_the_alerts(bare):
    with dl.connect(bare.paths.db, read_only=True) as store:
        data = collect(store, config=bare)
        html = render(data)
    assert "无法计算" in html and "本周无预警" not in html
    unavailable = data.alert_status["unavailable"]
    assert unavailable == "无法计算：激增预警（缺少网格编号）、多人同诉（缺少地点）。" and unavailable in html
    assert "不能说明本周没有问题" in data.alert_status["quiet"]
    assert "涉及 0 个网格" not in html and "本周记录都没有网格编号" in html
    # 数据说明 lists what could not be computed, and why
    notes = html[html.index('<section id="notes">') :]
    assert (
        "无法计算或只能部分计算的内容" in notes and "<strong>激增预警（本周）</strong>：无法计算：缺少网格编号" in notes
    )


def test_overdue_and_rates_without_their_fields_are_unknown_not_zero(bare):
    with dl.connect(bare.paths.db, read_only=True) as store:
        data = collect(store, config=bare)
        html = render(data)
    n = N_ORDERS + N_MESSAGES
    assert data.loop["overdue_open"] is None
    assert f'目前逾期未办结 <strong class="unknown">未知（{n} 件记录均缺少办结期限）</strong>' in html
    assert "逾期未办结 <strong>0</strong>" not in html
    assert data.headline["response_rate"] is None
    detail = data.headline["unknown"]["response_rate"]
    assert re.fullmatch(r"\d+ 件记录均缺少受理时间、反馈时间", detail)
    assert (
        f'<div class="value"><span class="unknown">未知</span></div><div class="delta unknown">{detail}</div>' in html
    )
    assert re.search(
        r"按期办结率 <strong><span class=\"unknown\">未知（\d+ 件记录均缺少办结期限）</span></strong>", html
    )
    assert "0.0%" not in html[: html.index('<section id="notes">')]  # 未归类占比 0.0% in 数据说明 is a fact


def test_message_board_records_are_named_online_messages(bare):
    with dl.connect(bare.paths.db, read_only=True) as store:
        data = collect(store, config=bare)
        html = render(data)
        summary = read.week_summary(store)
    this_week = summary.row(-1, named=True)
    assert this_week["n_message_board"] > 0 and this_week["n_other"] == 0
    assert summary["n_message_board"].sum() == N_MESSAGES
    assert data.headline["sources"]["message_board"] == this_week["n_message_board"]
    found = re.search(r"来源：([^<]*)。</p>", html).group(1)
    assert found == f"12345热线 {this_week['n_12345']} 件，网上留言 {this_week['n_message_board']} 件"
    assert "网上留言" in {trace.name for trace in figures(data)["fig-weekly"].data}


def test_every_named_source_has_its_column_in_the_week_summary(bare):
    # the report and the charts name a source through its n_<source> column: none may fall into 其他来源
    with dl.connect(bare.paths.db, read_only=True) as store:
        columns = read.week_summary(store).columns
    assert {f"n_{source}" for source in SOURCE_LABELS_ZH} | {"n_other"} <= set(columns)


def test_no_alert_reads_as_no_alert_only_when_every_kind_was_computed(bare):
    full = {"n": 10, "closed": 0, "weeks_before": 8, "n:grid_id": 10, "n:contact_key": 10, "n:place": 10}
    full |= {"n:contact_key&place": 10, "n:place|theme": 10}
    with dl.connect(bare.paths.db, read_only=True) as store:
        quiet = _alert_status(store, signal_status(full), found=False)
        partial = _alert_status(store, signal_status({**full, "n:grid_id": 6}), found=False)
        found = _alert_status(store, signal_status({**full, "n:place": 0}), found=True)
    assert quiet == {"unavailable": "", "quiet": "本周无预警。", "partial": []}
    assert partial["quiet"] == "本周无预警。" and partial["partial"] == [
        "激增预警：部分计算：10 件记录中 4 件（40%）没有网格编号，只依据其余 6 件计算。"
    ]
    assert found["quiet"] == "" and found["unavailable"] == "无法计算：多人同诉（缺少地点）。"


def test_the_commands_say_why_there_is_no_alert_and_print_unknown_kpis(bare):
    runner = CliRunner()
    db = str(bare.paths.db)
    alerts = runner.invoke(app, ["signals", "alerts", "--db", db], terminal_width=200)
    assert alerts.exit_code == 0, alerts.output
    assert "没有找到预警；但有的预警无法计算，不代表没有问题" in alerts.output
    assert "激增预警：无法计算：缺少网格编号" in alerts.output and "一人多诉：无法计算" not in alerts.output
    assert "surge" not in alerts.output and "grid_id" not in alerts.output
    week = runner.invoke(app, ["signals", "alerts", "--week", "2026-W46", "--kind", "surge", "--db", db])
    assert week.exit_code == 0 and "2026-W46" in week.output and "多人同诉" not in week.output
    kpi = runner.invoke(app, ["signals", "kpi", "--level", "total", "--db", db], terminal_width=200)
    assert kpi.exit_code == 0, kpi.output
    assert "未知" in kpi.output and "0.0%" not in kpi.output
    assert f"逾期未结：无法计算：缺少办结期限（全部 {N_ORDERS + N_MESSAGES} 件记录都没有办结期限）" in kpi.output
    as_json = runner.invoke(app, ["signals", "kpi", "--level", "total", "--format", "json", "--db", db])
    assert '"overdue_open":null' in as_json.stdout.replace(" ", "")
