"""本周要点 and 需要关注的单位/街道 (report/findings.py): the rule, the wording, and the ranked tables."""

import datetime as dt
import re

import polars as pl
import pytest

from demandlab.marts import read
from demandlab.report import collect, render
from demandlab.report.findings import (
    MAX_FINDINGS,
    AttentionFrames,
    Finding,
    attention,
    attention_table,
    crowd_findings,
    hot_findings,
    overdue_counts,
    overdue_finding,
    rate_findings,
    repeat_caller_findings,
    select,
    surge_findings,
)

WEEK = dt.date(2026, 11, 9)  # Monday of 2026-W46
LAST = WEEK - dt.timedelta(weeks=1)
END = dt.datetime(2026, 11, 16)
#: what a sentence must never show: a raw p-value, scientific notation, a heat index
RAW_STATISTICS = re.compile(r"p\s*[=＝<]|\d[eE]-?\d|热度|p值")


def _surge(alert_id: str, p: float, n: int, **extra) -> dict:
    row = {
        "kind": "surge",
        "alert_id": alert_id,
        "grid_id": f"G{alert_id}",
        "grid_label": f"翠竹社区第{alert_id[-1]}网格",
        "community": "翠竹社区",
        "theme_id": int(alert_id[-1]),
        "theme_label": "夜间施工 · 噪音",
        "n": n,
        "n_people": n - 2,
        "people_basis": "contact",
        "baseline": 0.4,
        "expected": 0.6,
        "p_value": p,
        "weeks_running": 4,
    }
    return row | extra


def _crowd(alert_id: str, people: int) -> dict:
    return {
        "kind": "crowd",
        "alert_id": alert_id,
        "grid_id": "G9",
        "grid_label": "幸福社区第2网格",
        "community": "幸福社区",
        "place": "阳光花园",
        "theme_id": 7,
        "theme_label": "电梯 · 困人",
        "n": people + 2,
        "n_people": people,
        "people_basis": "contact",
        "weeks_running": 1,
    }


def _repeat(alert_id: str, n: int) -> dict:
    return {
        "kind": "repeat_caller",
        "alert_id": alert_id,
        "grid_id": "G8",
        "grid_label": "幸福社区第3网格",
        "community": "幸福社区",
        "place": None,
        "theme_id": 3,
        "theme_label": "漏水 · 楼上",
        "category": "住房物业",
        "n": n,
        "n_people": 1,
        "people_basis": "contact",
        "first_at": dt.datetime(2026, 9, 1, 10),
    }


def _weekly(this: dict, last: dict | None = None) -> pl.DataFrame:
    """mart_week_summary rows for the week (and the week before): the 三率 and their denominators."""
    base = {"n_closed_loop": 40, "n_resolution_known": 40, "n_surveyed": 40}
    rows = [{"week_start": WEEK, **base, **this}]
    if last is not None:
        rows.insert(0, {"week_start": LAST, **base, **last})
    return pl.DataFrame(rows)


RATES_OK = {"response_rate": 0.95, "resolution_rate": 0.9, "satisfaction_rate": 0.9}


# --- on the synthetic district ------------------------------------------------------------------------------


def test_the_brief_names_a_planted_surge_with_its_grid_name_its_count_and_its_baseline(district, demo_run):
    store, cfg = demo_run["store"], demo_run["config"]
    data = collect(store, config=cfg)
    planted = next(e for e in district.truth["events"] if e["kind"] == "surge" and data.week in e["weeks"])
    name = read.grid_labels(store)[planted["grid_id"]]
    assert name and name != planted["grid_id"]
    alert = next(a for a in data.alerts if a["kind"] == "surge" and a["grid_id"] == planted["grid_id"])
    planted_count = planted["counts"][planted["weeks"].index(data.week)]
    assert alert["n"] >= 0.7 * planted_count  # the planted records, in the theme they were assigned to

    told = [f for f in data.findings if f.kind == "surge" and name in f.sentence]
    assert len(told) == 1, [f.sentence for f in data.findings]
    sentence = told[0].sentence
    window = cfg.signals.surge_window
    baseline = alert["baseline"]
    said = f"近{window}周平均不到1件" if baseline < 1 else f"近{window}周平均{baseline:.1f}件"
    assert f"本周{alert['n']}件" in sentence and said in sentence, sentence
    assert planted["grid_id"] not in sentence and not RAW_STATISTICS.search(sentence)
    assert told[0].anchor.startswith("#fig-alert-") or told[0].anchor == "#alerts"
    # first on the page, with its evidence further down
    html = render(data)
    assert html.index('id="findings"') < html.index('id="attention"') < html.index('id="overview"')
    assert sentence in html and f'href="{told[0].anchor}"' in html
    assert html.index(f'id="{told[0].anchor[1:]}"') > html.index('id="overview"')
    assert 1 <= len(data.findings) <= MAX_FINDINGS


def test_the_first_week_compares_with_nothing(demo_run):
    store, cfg = demo_run["store"], demo_run["config"]
    first = read.weeks(store)["iso_week"][0]
    data = collect(store, week=first, config=cfg)
    assert not data.attention["has_previous"]
    assert any("无上周数据可比" in note for note in data.findings_notes)
    assert not any("上周" in f.sentence and "无上周数据可比" not in f.sentence for f in data.findings)
    cells = [c for t in data.attention["tables"] for r in t["rows"] for c in r["cells"]]
    assert cells and not any(c["change"] for c in cells)
    html = render(data)
    section = html[html.index('id="attention"') : html.index('id="overview"')]
    assert "无上周数据可比" in section and "↑" not in section and "↓" not in section
    # nor does the rest of the page compare: 环比 +39 stood beside 无上周数据可比
    assert data.top_themes and all(t["change"] is None for t in data.top_themes)
    assert "环比 无上周数据" in html and not re.search(r'class="num up">\+\d', html)


def test_a_street_report_ranks_its_own_communities(demo_run):
    store, cfg = demo_run["store"], demo_run["config"]
    street = read.street_counts(store, read.weeks(store)["iso_week"][-1]).sort("n", descending=True)["street"][0]
    data = collect(store, scope=f"street={street}", config=cfg)
    titles = [t["title"] for t in data.attention["tables"]]
    assert titles == ["承办单位", "社区"]
    own = set(read.records(store).filter(pl.col("street") == street)["community"].drop_nulls())
    names = {r["name"] for r in data.attention["tables"][1]["rows"]}
    assert names and names <= own


# --- the rule, on hand-made alerts ---------------------------------------------------------------------------


def test_the_rule_tells_kinds_in_order_up_to_their_caps():
    alerts = [
        _surge("S4", 1e-3, 5),
        _surge("S1", 1e-9, 11),
        _surge("S3", 1e-6, 7),
        _surge("S2", 1e-6, 9),  # same p-value as S3: more records first
        _crowd("C1", 6),
        _crowd("C2", 9),
        _repeat("R1", 4),
    ]
    weekly = _weekly({**RATES_OK, "satisfaction_rate": 0.72}, RATES_OK)
    dots = pl.DataFrame({"hot_id": ["H1", "H2"], "created_at": [dt.datetime(2026, 11, 10), dt.datetime(2026, 11, 1)]})
    hot = [
        {"hot_id": "H1", "rank": 1, "place": "湖滨市场", "community": "幸福社区", "matter": "占道经营", "n": 9,
         "n_people": 7, "people_basis": "contact", "theme_id": 5, "grid_id": "G5", "heat": 8.0, "is_repeat": False,
         "first_at": dt.datetime(2026, 10, 2)},
        {"hot_id": "H2", "rank": 2, "place": "锦绣园", "community": "幸福社区", "matter": "油烟", "n": 6,
         "n_people": 5, "people_basis": "contact", "theme_id": 6, "grid_id": "G6", "heat": 5.0, "is_repeat": False},
    ]  # fmt: skip
    overdue = {"has_previous": True, "overdue": 12, "overdue_previous": 9, "overdue_units": [
        {"name": "区城管局", "overdue": 7}, {"name": "区住建局", "overdue": 5}]}  # fmt: skip
    candidates = {
        "surge": surge_findings(alerts, 12, n_panels=3),
        "crowd": crowd_findings(alerts, 7),
        "hot": hot_findings(hot, dots, WEEK, 13, alerts),
        "overdue": overdue_finding(overdue, "全区"),
        "rate": rate_findings(weekly, WEEK, "全区"),
        "repeat_caller": repeat_caller_findings(alerts),
    }
    chosen = select(candidates)
    assert [f.kind for f in chosen] == ["surge", "surge", "surge", "crowd", "crowd", "hot", "overdue"]
    assert len(chosen) == MAX_FINDINGS
    surges = [f.sentence for f in chosen[:3]]
    assert [s[:8] for s in surges] == ["翠竹社区第1网格", "翠竹社区第2网格", "翠竹社区第3网格"]
    assert [f.anchor for f in chosen[:3]] == ["#fig-alert-0", "#fig-alert-1", "#fig-alert-2"]
    assert chosen[3].sentence.startswith("阳光花园（幸福社区）「电梯 · 困人」7天内9位居民反映")
    assert chosen[5].sentence == "幸福社区湖滨市场「占道经营」近13周9件，涉及7位居民，本周新增1件，最早一件在10月2日。"
    assert chosen[6].sentence == "全区截至本周末逾期未结12件，比上周末增加3件，其中区城管局7件、区住建局5件。"
    assert candidates["rate"][0].sentence == "全区满意率本周72.0%，比上周下降18.0个百分点（上周90.0%）。"
    # statistics in words, figures in the tooltip only
    assert "近12周平均不到1件，显著高于常态，涉及9位居民，已持续4周" in surges[0]
    assert "p值 1.0e-09" in chosen[0].tooltip and "热度 8" in chosen[5].tooltip
    for finding in (f for found in candidates.values() for f in found):
        assert not RAW_STATISTICS.search(finding.sentence), finding.sentence
        assert not re.search(r"\bG\d|S\d|H\d", finding.sentence), finding.sentence  # names, never ids


def test_too_few_findings_are_filled_up_to_three_in_the_same_order():
    crowds = crowd_findings([_crowd("C1", 6), _crowd("C2", 9), _crowd("C3", 5)], 7)
    chosen = select({"crowd": crowds})
    assert [f.kind for f in chosen] == ["crowd", "crowd", "crowd"]
    assert ["9位居民" in chosen[0].sentence, "6位居民" in chosen[1].sentence, "5位居民" in chosen[2].sentence] == [
        True
    ] * 3
    repeats = repeat_caller_findings([_repeat("R1", 4), _repeat("R2", 6)])
    chosen = select({"repeat_caller": repeats, "crowd": crowds[:1]})
    assert [f.kind for f in chosen] == ["crowd", "repeat_caller", "repeat_caller"]
    assert chosen[1].sentence == "幸福社区第3网格同一位来电人就「住房物业」问题已反映6件（一人多诉），9月1日以来。"
    assert select({}) == []


def test_a_surge_mostly_from_one_person_is_told_as_one_persons_repeated_complaints():
    alone = _surge("S1", 1e-8, 6, n_people=1)
    mostly = _surge("S2", 1e-7, 8, n_people=3, top_person_n=6)
    many = _surge("S3", 1e-6, 8, n_people=6, top_person_n=2)
    found = {f.sentence[:8]: f for f in surge_findings([alone, mostly, many], 12)}
    for key in ("翠竹社区第1网格", "翠竹社区第2网格"):
        assert "主要来自同一位居民（一人多诉）" in found[key].sentence and found[key].label == "一人多诉"
        assert "涉及" not in found[key].sentence
    assert "一人多诉" not in found["翠竹社区第3网格"].sentence and found["翠竹社区第3网格"].label == "激增"


def test_a_surge_against_a_real_baseline_says_how_many_times_usual():
    found = surge_findings([_surge("S1", 1e-8, 20, baseline=4.0, weeks_running=1, people_basis="repeat_group")], 12)
    assert found[0].sentence == (
        "翠竹社区第1网格「夜间施工 · 噪音」本周20件，近12周平均4.0件，约为平时的5倍，涉及约18位居民，本周新出现。"
    )
    assert "约为平时的2.5倍" in surge_findings([_surge("S1", 1e-4, 10, baseline=4.0)], 12)[0].sentence
    assert "显著高于常态" in surge_findings([_surge("S1", 1e-4, 5, baseline=4.0)], 12)[0].sentence
    # a grid without a name in the registry is named by its community, never by its id
    nameless = surge_findings([_surge("S2", 1e-8, 9, grid_label="GS2", grid_id="GS2")], 12)
    assert nameless[0].sentence.startswith("翠竹社区「夜间施工 · 噪音」本周9件")


def test_hot_issues_already_told_by_an_alert_or_quiet_this_week_are_left_out():
    alerts = [_surge("S1", 1e-9, 11), _crowd("C1", 6)]
    dots = pl.DataFrame(
        {"hot_id": ["H1", "H2", "H3", "H4"], "created_at": [dt.datetime(2026, 11, d) for d in (10, 11, 1, 12)]}
    )
    hot = [
        {"hot_id": "H1", "rank": 1, "place": "翠竹苑", "matter": "搅拌站", "n": 20, "theme_id": 1, "grid_id": "GS1"},
        {"hot_id": "H2", "rank": 2, "place": "阳光花园", "matter": "电梯", "n": 9, "theme_id": 7, "grid_id": "G1"},
        {"hot_id": "H3", "rank": 3, "place": "锦绣园", "matter": "油烟", "n": 8, "theme_id": 6, "grid_id": "G2"},
        {"hot_id": "H4", "rank": 4, "place": None, "matter": "公交班次", "n": 7, "theme_id": 9, "grid_id": None,
         "n_people": 2, "people_basis": "contact", "is_repeat": True},
    ]  # fmt: skip
    found = hot_findings(hot, dots, WEEK, 0, alerts)
    assert [f.numbers["n"] for f in found] == [7]
    assert (
        found[0].sentence
        == "无具体地点的全市性问题「公交班次」累计7件，主要是同一位居民反复反映（一人多诉），本周新增1件。"
    )


# --- the 三率 and 逾期未结 ----------------------------------------------------------------------------------------


def test_rate_changes_need_a_large_move_on_enough_records_and_falls_come_first():
    weekly = _weekly(
        {"response_rate": 0.99, "resolution_rate": 0.80, "satisfaction_rate": 0.86},
        {"response_rate": 0.90, "resolution_rate": 0.92, "satisfaction_rate": 0.88},
    )
    found = rate_findings(weekly, WEEK, "东湖街道")
    assert [f.sentence[:6] for f in found] == ["东湖街道解决", "东湖街道响应"]
    assert "下降12.0个百分点" in found[0].sentence and "上升9.0个百分点" in found[1].sentence
    few = weekly.with_columns(pl.when(pl.col("week_start") == LAST).then(12).otherwise(40).alias("n_resolution_known"))
    assert [f.sentence[:6] for f in rate_findings(few, WEEK, "东湖街道")] == ["东湖街道响应"]
    unknown = weekly.with_columns(pl.lit(None, pl.Float64).alias("response_rate"))
    assert [f.sentence[:6] for f in rate_findings(unknown, WEEK, "东湖街道")] == ["东湖街道解决"]


def test_the_first_week_says_there_is_nothing_to_compare_with():
    assert rate_findings(_weekly(RATES_OK), WEEK, "全区") == []
    first = overdue_finding(
        {"has_previous": False, "overdue": 4, "overdue_previous": None, "overdue_units": []}, "全区"
    )
    assert first[0].sentence == "全区截至本周末逾期未结4件，无上周数据可比。"
    assert overdue_finding({"has_previous": False, "overdue": 0, "overdue_units": []}, "全区") == []


def test_overdue_at_a_week_end_looks_back_by_the_closing_time():
    records = pl.DataFrame(
        {
            "dept": ["甲", "甲", "甲", "乙", "乙", "乙"],
            "created_at": [dt.datetime(2026, 10, 1)] * 6,
            "due_at": [dt.datetime(2026, 11, d) for d in (3, 3, 3, 12, 14, 20)],
            # closed after the week ended, closed in the week, closed with no time, open, no status, open not yet due
            "closed_at": [dt.datetime(2026, 11, 17), dt.datetime(2026, 11, 12), None, None, None, None],
            "status": ["closed", "closed", "closed", "responded", None, "dispatched"],
        }
    )
    assert overdue_counts(records, END, "dept") == {"甲": 1, "乙": 2}
    assert overdue_counts(records, END - dt.timedelta(weeks=1), "dept") == {"甲": 2}
    assert overdue_counts(records, END) == {None: 3}


# --- 需要关注的单位/街道 -------------------------------------------------------------------------------------------


def _kpi(rows: list[dict]) -> pl.DataFrame:
    full = {"n": 40, "n_accepted": 40, "n_resolution_known": 40, "n_surveyed": 40, "overdue_open": 0, **RATES_OK}
    return pl.DataFrame([{"level": "dept", "street": None, **full, **r} for r in rows])


def test_units_are_ranked_worst_first_by_warning_signs_then_overdue_then_the_lowest_rate():
    now = _kpi(
        [
            {"level": "total", "dept": None},
            {"dept": "甲 逾期多", "satisfaction_rate": 0.88},
            {"dept": "乙 满意率低", "satisfaction_rate": 0.70},
            {"dept": "丙 两率低且逾期", "response_rate": 0.80, "resolution_rate": 0.70},
            {"dept": "丁 正常", "satisfaction_rate": 0.89},
            {"dept": "戊 无数据", "response_rate": None, "resolution_rate": None, "satisfaction_rate": None,
             "overdue_open": None},
            {"dept": "己 样本少", "satisfaction_rate": 0.50, "n_surveyed": 4},
        ]
    )  # fmt: skip
    previous = _kpi([{"level": "total", "dept": None}, {"dept": "乙 满意率低", "satisfaction_rate": 0.80}])
    rows = attention_table(now, previous, "dept", "dept", {"甲 逾期多": 3, "丙 两率低且逾期": 1}, {"甲 逾期多": 1})
    assert [r["name"] for r in rows] == [
        "丙 两率低且逾期",
        "甲 逾期多",
        "乙 满意率低",
        "己 样本少",
        "丁 正常",
        "戊 无数据",
    ]
    assert [r["signs"] for r in rows] == [3, 1, 1, 0, 0, 0]
    worst = {r["name"]: r for r in rows}
    low = {c["key"]: c for c in worst["乙 满意率低"]["cells"]}
    assert low["satisfaction_rate"] == {
        "key": "satisfaction_rate",
        "text": "70.0%",
        "change": "↓10.0",
        "trend": "worse",
        "sign": True,
        "title": "上周 80.0%",
    }
    assert worst["乙 满意率低"]["changes"]["satisfaction_rate"] == pytest.approx(-10.0)
    assert worst["丙 两率低且逾期"]["cells"][0]["title"] == "上周无数据"  # a unit new this window: no change
    overdue = {c["key"]: c for c in worst["甲 逾期多"]["cells"]}["overdue"]
    assert (overdue["text"], overdue["change"], overdue["trend"]) == ("3", "↑2", "worse")
    assert worst["甲 逾期多"]["overdue_change"] == 2
    # a rate (or an overdue count) without data reads 无数据, never 0 or 0%
    blank = {c["key"]: c["text"] for c in worst["戊 无数据"]["cells"]}
    assert blank == {k: "无数据" for k in ("response_rate", "resolution_rate", "satisfaction_rate", "overdue")}
    assert worst["戊 无数据"]["rates"] == {"response_rate": None, "resolution_rate": None, "satisfaction_rate": None}


def test_the_attention_tables_of_a_district_and_a_first_week():
    now = _kpi(
        [
            {"level": "total", "dept": None},
            {"dept": "区城管局"},
            {"level": "street", "dept": None, "street": "东湖街道", "satisfaction_rate": 0.6},
            {"level": "street", "dept": None, "street": "西城街道"},
        ]
    )
    records = pl.DataFrame(
        {
            "dept": ["区城管局", "区住建局"],
            "street": ["西城街道", "西城街道"],
            "community": ["幸福社区", "幸福社区"],
            "grid_id": ["G1", "G1"],
            "created_at": [dt.datetime(2026, 10, 1)] * 2,
            "due_at": [dt.datetime(2026, 11, 1)] * 2,
            "closed_at": [None, None],
            "status": ["dispatched", "dispatched"],
        }
    )
    found = attention(AttentionFrames(now=now, previous=None, open_records=records, week_end=END))
    units, streets = found["tables"]
    assert (units["title"], streets["title"]) == ("承办单位", "街道")
    # a unit with overdue records but none raised in the window is listed, its rates 无数据
    assert [r["name"] for r in units["rows"]] == ["区城管局", "区住建局"]  # alike but for rates: no data last
    assert [c["text"] for c in units["rows"][1]["cells"]] == ["无数据", "无数据", "无数据", "1"]
    assert [r["name"] for r in streets["rows"]] == ["西城街道", "东湖街道"]  # one sign each: more overdue first
    assert found["overdue"] == 2 and found["overdue_previous"] is None and not found["has_previous"]
    assert not any(c["change"] for t in found["tables"] for r in t["rows"] for c in r["cells"])
    # no record of the scope has a due time: overdue is unknown, not 0
    unknown = attention(AttentionFrames(now=now, previous=now, open_records=records, week_end=END, overdue_known=False))
    assert unknown["overdue"] is None and overdue_finding(unknown, "全区") == []
    assert {r["cells"][-1]["text"] for t in unknown["tables"] for r in t["rows"]} == {"无数据"}


def test_a_finding_renders_its_numbers_in_a_tooltip_only():
    finding = Finding("surge", "某网格本周9件。", "#alerts", {"n": 9, "p_value": 2.3e-12, "baseline": 0.4})
    assert finding.tooltip == "件数 9；p值 2.3e-12；近期周均 0.4"
