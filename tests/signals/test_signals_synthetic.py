"""Signals on the synthetic district, checked against what the generator planted, and on real messages."""

import datetime as dt
import json

import polars as pl
import pytest
from tests.conftest import shared_data
from typer.testing import CliRunner

import demandlab as dl
from demandlab.cli import app, demo_config
from demandlab.signals.evaluate import evaluate_signals


@pytest.fixture(scope="module")
def scored(district, demo_run) -> dict:
    store = demo_run["store"]
    return evaluate_signals(
        store.table("mart_alerts"),
        demo_run["pipeline"].signal_records(),
        district.truth["events"],
        store.count("mart_grid_theme_week"),
    )


def test_every_planted_surge_is_an_alert_in_its_grid_and_weeks(scored):
    assert scored["surge_week_recall"] == 1.0, scored["surges"]
    assert len(scored["surges"]) >= 3


def test_at_most_one_false_alert_per_500_cells(scored):
    assert scored["false_alerts_per_500_cells"] <= 1.0, scored["false_surge_alert_examples"]


def test_planted_hot_issues_are_in_the_top_five_with_their_place(district, demo_run, scored):
    assert scored["hot_issues_in_top_5"] == len(scored["hot_issues"]) >= 2, scored["hot_issues"]
    planted = {e["id"]: e for e in district.truth["events"]}
    for event_id, found in scored["hot_issues"].items():
        event = planted[event_id]
        names = [n for n in (event["compound"], event["shop"], event["road"]) if n]
        texts = demo_run["store"].sql(
            "select text from mart_records where record_id in (select unnest(?::varchar[]))", [event["records"]]
        )["text"]
        # the place is the planted one, or the place the event's records name (湖滨路东门菜市场 → the market)
        named_in_texts = texts.str.contains(found["place"], literal=True).mean() >= 0.5
        assert any(n in found["place"] for n in names) or named_in_texts, (event_id, found)


def test_planted_repeat_callers_are_found(scored):
    assert scored["repeat_callers_found"] == len(scored["repeat_callers"]) >= 3, scored["repeat_callers"]


def test_run_writes_the_signal_marts_and_reports_them(demo_run):
    store, summary = demo_run["store"], demo_run["summary"]
    signal_marts = {"mart_alerts", "mart_repeats", "mart_hot_issues", "mart_surge_scores"}
    assert signal_marts | {"mart_kpi", "mart_area_category_month"} <= set(store.tables())
    # every alerted surge is a cell of the scores, with the same expectation
    surges = store.sql(
        "select a.expected, s.expected as scored from mart_alerts a join mart_surge_scores s "
        "using (grid_id, theme_id, week_start) where a.kind = 'surge' and s.is_alert"
    )
    assert surges.height == store.scalar("select count(*) from mart_alerts where kind = 'surge'") > 0
    assert surges["expected"].to_list() == surges["scored"].to_list()
    assert summary.alerts["surge"] >= 3 and summary.alerts["repeat_caller"] >= 3
    assert summary.hot_issues == store.count("mart_hot_issues") > 0
    assert store.count("record_places") == store.count("records")


def test_every_record_behind_an_alert_exists_and_matches_its_grid_and_week(demo_run):
    store = demo_run["store"]
    alerts = dl.marts.alerts(store, kind="surge").explode("records")
    keys = alerts.select(
        "grid_id", "iso_week", pl.col("records").str.split_exact(":", 1).struct.rename_fields(["source", "record_id"])
    ).unnest("records")
    joined = keys.join(store.table("mart_records"), on=["source", "record_id"], how="left", suffix="_r")
    assert joined["grid_id"].to_list() == joined["grid_id_r"].to_list()
    assert joined["iso_week"].to_list() == joined["iso_week_r"].to_list()


def test_repeat_groups_are_stable_when_the_signals_run_again(demo_run):
    store, pipe = demo_run["store"], demo_run["pipeline"]
    before = store.sql("select * from mart_repeats order by source, record_id")
    assert before.height > 0 and (before["group_size"] >= 2).all()
    report = pipe.signals()
    assert report.placed == 0 and report.repeat_groups == before["repeat_group_id"].n_unique()
    after = store.sql("select * from mart_repeats order by source, record_id")
    assert before.equals(after)
    assert store.sql("select alert_id from mart_alerts order by alert_id").equals(
        store.sql("select alert_id from mart_alerts order by alert_id")
    )


def test_kpi_totals_agree_with_the_weekly_summary(demo_run):
    store = demo_run["store"]
    total = dl.marts.kpi(store, "total").row(0, named=True)
    weekly = dl.marts.week_summary(store)
    assert total["n"] == weekly["n"].sum() == store.count("records")
    assert total["n_responded"] == weekly["n_responded"].sum()
    assert dl.marts.kpi(store, "week")["n"].to_list() == weekly["n"].to_list()


def test_signal_commands_print_tables_and_json(demo_run):
    runner = CliRunner()
    db = str(demo_run["config"].paths.db)
    hot = runner.invoke(app, ["signals", "hot", "--top", "3", "--format", "json", "--db", db])
    assert hot.exit_code == 0, hot.output
    rows = json.loads(hot.output)
    assert [r["rank"] for r in rows] == [1, 2, 3] and all(r["place"] for r in rows)
    alerts = runner.invoke(app, ["signals", "alerts", "--kind", "surge", "--db", db])
    assert alerts.exit_code == 0 and "本周" in alerts.output and "激增" in alerts.output
    assert "surge" not in alerts.output  # kinds read in Chinese
    kpi = runner.invoke(app, ["signals", "kpi", "--level", "dept", "--db", db])
    assert kpi.exit_code == 0 and "响应率" in kpi.output and "%" in kpi.output
    bad = runner.invoke(app, ["signals", "kpi", "--level", "province", "--db", db])
    assert bad.exit_code != 0 and "level must be one of" in bad.output


def test_signal_charts_draw_from_the_marts(demo_run):
    store = demo_run["store"]
    alert = dl.marts.alerts(store, kind="surge").row(0, named=True)
    cells = dl.marts.grid_theme_week(store, grid_id=alert["grid_id"], theme_id=alert["theme_id"])
    fig = dl.charts.alert_trend(cells, dl.marts.alerts(store, grid_id=alert["grid_id"]).filter(
        pl.col("theme_id") == alert["theme_id"]))  # fmt: skip
    assert [t.name for t in fig.data][:2] == ["每周件数", "前8周均值"] and "激增预警" in [t.name for t in fig.data]
    hot = dl.marts.hot_issues(store, top=5)
    dots = hot.select("hot_id", "records").explode("records").with_columns(
        pl.col("records").str.split(":").list.last().alias("record_id")
    ).join(store.sql("select record_id, created_at from mart_records"), on="record_id")  # fmt: skip
    fig = dl.charts.hot_issue_timeline(hot, dots)
    assert len(fig.data) == hot.height + 1
    kpi = dl.marts.kpi(store, "street")
    fig = dl.charts.kpi_small_multiples(kpi, "street")
    assert len(fig.data) == len(dl.charts.KPI_METRICS) and list(fig.data[0].y) == kpi["street"].to_list()


@pytest.fixture(scope="module")
def messages(tmp_path_factory):
    """The real message-board files through the whole pipeline."""
    root = shared_data("taidi2020c")
    tmp = tmp_path_factory.mktemp("taidi_signals")
    cfg = demo_config(tmp, tmp / "reports")
    store = dl.connect(cfg.paths.db)
    pipe = dl.Pipeline(store, cfg)
    for name in (
        "sample/a2_messages_labeled.xlsx",
        "sample/a3_messages_likes.xlsx",
        "unlabeled/test_messages_unlabeled.xlsx",
    ):
        pipe.ingest(root / name)
    pipe.run()
    yield store, pipe
    store.close()


def test_real_messages_about_one_compound_and_matter_group_together(messages):
    _, pipe = messages
    records = pipe.signal_records(text=True)
    # a3: ten messages name 魅力之城 (some as 万科魅力之城): their place key is one, whatever the wording
    charm = records.filter(pl.col("title").str.contains("魅力之城"))
    assert charm.height >= 10 and charm["place_key"].unique().to_list() == ["魅力之城"]
    hot = dl.signals.hot_issues(records, weeks=None)
    at_charm = hot.filter(pl.col("place_key") == "魅力之城")
    # the 油烟 / 噪音 messages about its ground-floor shops fall in at most two hot issues, at the top
    assert at_charm["n"].sum() >= 8 and at_charm.height <= 2
    assert at_charm["rank"].min() <= 5
    top = at_charm.row(0, named=True)
    assert top["likes"] > 0 and top["first_at"] < top["last_at"]
    assert at_charm["rank"].min() == 1 and top["last_at"] - top["first_at"] < dt.timedelta(days=91)
    # 经济学院 强制实习, five messages over two and a half years: one place and one matter, but not
    # hot — no quarter holds three of them
    college = records.filter(pl.col("title").str.contains("A市经济学院"))  # not A市涉外经济学院: another college
    assert college["place_key"].unique().to_list() == ["经济学院"]
    assert college["theme_id"].value_counts()["count"].max() >= 4
    assert hot.filter(pl.col("place_key") == "经济学院").is_empty()


def test_hot_issues_from_their_period_and_the_year_before_counted_equal_those_from_every_record(demo_run):
    """The signals stage reads the period's records and counts the year before in SQL (marts.read.
    signal_place_counts): the same hot issues as from every record, road anchors and past included."""
    from demandlab.marts import read
    from demandlab.signals.hot import hot_issues, latest_week_end, place_counts
    from demandlab.signals.people import with_people

    store = demo_run["store"]
    records = with_people(read.signal_records(store, text=True, groups=True))
    as_of = latest_week_end(records)
    start = as_of - dt.timedelta(weeks=13)
    whole = hot_issues(records, as_of=as_of)
    assert whole.height > 10
    counted = read.signal_place_counts(store, start - dt.timedelta(weeks=52), start)
    earlier = records.filter(pl.col("created_at").is_between(start - dt.timedelta(weeks=52), start, closed="right"))
    assert counted.equals(place_counts(earlier).sort(pl.all()))
    period = records.filter(pl.col("created_at") > start)
    assert hot_issues(period, as_of=as_of, past=counted).equals(whole)
