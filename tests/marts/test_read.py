"""What the report and the command line read (demandlab.marts.read), on a district small enough to count by hand.

Six records over ISO weeks 2026-W44 … W46 (created at 09:00):

======  ========  ======  ==========  ========  ====  ==========  =====================
id      source    day     street      社区       grid  theme       place named
======  ========  ======  ==========  ========  ====  ==========  =====================
a       12345     10-27   东湖街道     翠竹社区   G1    1 飞线充电   compound 魅力之城
f       12345     10-28   南山街道     南山社区   G4    未归类       compound 魅力之城
b       12345     11-03   东湖街道     翠竹社区   G1    1 飞线充电   compound 万科魅力之城
c       snapshot  11-04   东湖街道     翠竹社区   G2    1 飞线充电   road 湖滨路
d       12345     11-10   西城街道     光明社区   G3    2 噪音      (none found)
e       visit     11-11   东湖街道     翠竹社区   G1    未归类       (not looked for)
======  ========  ======  ==========  ========  ====  ==========  =====================
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

import demandlab as dl
from demandlab import schema
from demandlab.marts import read
from demandlab.marts.build import build_marts
from demandlab.signals import ALERT_COLUMNS
from demandlab.store import Store, registered

W44, W45, W46 = dt.date(2026, 10, 26), dt.date(2026, 11, 2), dt.date(2026, 11, 9)
# id, source, (month, day), street, community, grid, theme, place (kind, name, key, road)
RECORDS = [
    ("a", "12345", (10, 27), "东湖街道", "翠竹社区", "G1", 1, ("compound", "魅力之城小区", "魅力之城", None)),
    ("f", "12345", (10, 28), "南山街道", "南山社区", "G4", -1, ("compound", "魅力之城", "魅力之城", None)),
    ("b", "12345", (11, 3), "东湖街道", "翠竹社区", "G1", 1, ("compound", "万科魅力之城", "万科魅力之城", None)),
    ("c", "snapshot", (11, 4), "东湖街道", "翠竹社区", "G2", 1, ("road", "湖滨路", "湖滨路", "湖滨路")),
    ("d", "12345", (11, 10), "西城街道", "光明社区", "G3", 2, (None, None, None, None)),
    ("e", "visit", (11, 11), "东湖街道", "翠竹社区", "G1", -1, None),
]
GRIDS = [
    ("G1", "第1网格", "东湖街道", "翠竹社区"),
    ("G2", "翠竹社区第2网格", "东湖街道", "翠竹社区"),
    ("G3", "光明社区第1网格", "西城街道", "光明社区"),
    ("G4", None, "南山街道", "南山社区"),
]


def _frame(rows: list[dict], columns: dict) -> pl.DataFrame:
    return pl.DataFrame([{c: row.get(c) for c in columns} for row in rows], schema=columns)


def _create(con, table: str, frame: pl.DataFrame) -> None:
    with registered(con, "_frame", frame):
        con.execute(f"create table {table} as select * from _frame")


@pytest.fixture(scope="module")
def small():
    records, places, assignments = [], [], []
    for rid, source, (month, day), street, community, grid, theme, place in RECORDS:
        created = dt.datetime(2026, month, day, 9, 0)
        monday = created.date() - dt.timedelta(days=created.weekday())
        records.append(
            {
                "source": source, "record_id": rid, "created_at": created, "street": street, "community": community,
                "grid_id": grid, "title": f"标题{rid}", "text": f"诉求{rid}", "likes": 1,
                "iso_week": f"2026-W{monday.isocalendar()[1]:02d}", "week_start": monday,
            }
        )  # fmt: skip
        assignments.append({"source": source, "record_id": rid, "theme_id": theme, "score": 1.0})
        if place is not None:
            kind, name, key, road = place
            places.append({"source": source, "record_id": rid, "place_kind": kind, "place": name,
                           "place_key": key, "place_road": road})  # fmt: skip
    themes = pl.DataFrame(
        {
            "theme_id": [-1, 1, 2],
            "label": ["未归类", "飞线充电", "噪音"],
            "category": ["其他", "安全", "环境"],
            "size": [2, 3, 1],
            "status": ["active", "active", "dormant"],
        }
    )
    store = dl.connect(":memory:")
    with store.transaction() as con:
        Store.insert(con, "records", _frame(records, {**schema.RECORD, **schema.RECORD_DERIVED}))
        grids = pl.DataFrame(GRIDS, schema=["grid_id", "grid_name", "street", "community"], orient="row")
        Store.insert(con, "grids", grids)
        Store.insert(con, "themes", themes)
        Store.insert(con, "assignments", pl.DataFrame(assignments))
        Store.insert(con, "record_places", pl.DataFrame(places))
        Store.insert(con, "tokens", pl.DataFrame({"source": ["12345"], "record_id": ["a"], "tokens": ["飞线 充电"]}))
        Store.insert(
            con,
            "batches",
            pl.DataFrame({"batch_id": ["b1", "b2"], "rows_read": [10, 5], "rows_accepted": [7, 5],
                          "rows_rejected": [3, 0]}),
        )  # fmt: skip
        Store.insert(
            con, "rejects", pl.DataFrame({"batch_id": ["b1"] * 3, "reason": ["bad_time", "missing_id", "bad_time"]})
        )
        Store.set_meta(con, "theme_model", "tm-1")
    build_marts(store)
    alert = {"street": "东湖街道", "community": "翠竹社区", "grid_id": "G1", "theme_id": 1, "evidence": "依据"}
    alerts = [
        {**alert, "alert_id": "s45", "kind": "surge", "iso_week": "2026-W45", "week_start": W45},
        {**alert, "alert_id": "s46", "kind": "surge", "iso_week": "2026-W46", "week_start": W46},
        {**alert, "alert_id": "c46", "kind": "crowd", "iso_week": "2026-W46", "week_start": W46},
        {**alert, "alert_id": "x46", "kind": "surge", "iso_week": "2026-W46", "week_start": W46, "theme_id": 2},
    ]
    scores = pl.DataFrame(
        {
            "grid_id": ["G1", "G1", "G1", "G2"],
            "theme_id": [1, 1, 1, 1],
            "week_start": [W44, W45, W46, W46],
            "n": [0, 1, 4, 9],
            "expected": [0.5, 0.6, 0.8, 1.0],
        }
    )
    repeats = pl.DataFrame(
        {
            "source": ["12345", "12345", "snapshot"],
            "record_id": ["b", "a", "c"],
            "created_at": [dt.datetime(2026, 11, 3, 9), dt.datetime(2026, 10, 27, 9), dt.datetime(2026, 11, 4, 9)],
            "repeat_group_id": ["g1", "g1", "g2"],
        }
    )
    with store.transaction() as con:
        _create(con, "mart_alerts", _frame(alerts, ALERT_COLUMNS))
        _create(con, "mart_surge_scores", scores)
        _create(con, "mart_repeats", repeats)
    yield store
    store.close()


@pytest.fixture
def empty():
    with dl.connect(":memory:") as store:
        yield store


def test_signal_records_give_each_record_its_theme_and_its_place_with_keys_unified(small):
    frame = read.signal_records(small)
    assert frame.columns == [
        "source", "record_id", "created_at", "week_start", "iso_week", "street", "community", "grid_id",
        "theme_id", "theme_label", "category", "contact_key", "likes", "place_kind", "place", "place_key", "place_road",
    ]  # fmt: skip
    assert frame["record_id"].to_list() == ["a", "f", "b", "c", "d", "e"]  # in order of creation
    assert frame["theme_label"].to_list() == ["飞线充电", "未归类", "飞线充电", "飞线充电", "噪音", "未归类"]
    # 万科魅力之城 contains 魅力之城, another compound's key: one place
    assert frame["place_key"].to_list() == ["魅力之城", "魅力之城", "魅力之城", "湖滨路", None, None]
    assert frame["place"].to_list()[2] == "万科魅力之城"  # as written
    assert frame["place_road"].to_list()[3] == "湖滨路"


def test_signal_records_from_a_moment_on_still_unify_keys_with_earlier_records(small):
    frame = read.signal_records(small, start=dt.datetime(2026, 11, 1))
    assert frame["record_id"].to_list() == ["b", "c", "d", "e"]
    assert frame["place_key"].to_list()[0] == "魅力之城"  # the short key is only on a and f, before the start


def test_signal_records_keep_the_period_the_placed_and_the_rows_asked_for(small):
    """What the signals stage reads a block of weeks, or the people of changed records, with."""
    whole = read.signal_records(small)
    moment = dt.datetime(2026, 11, 4)
    assert read.signal_records(small, end=moment).equals(whole.filter(pl.col("created_at") < moment))
    assert read.signal_records(small, placed=True).equals(whole.filter(pl.col("place_key").is_not_null()))
    keys = pl.DataFrame({"source": ["12345", "snapshot"], "record_id": ["a", "c"]})
    assert read.signal_records(small, only=keys)["record_id"].to_list() == ["a", "c"]
    grouped = read.signal_records(small, groups=True, keys=read.place_keys(small))
    assert grouped.drop("repeat_group_id").equals(whole)
    assert dict(grouped.drop_nulls("repeat_group_id").select("record_id", "repeat_group_id").iter_rows()) == {
        "a": "g1",
        "b": "g1",
        "c": "g2",
    }
    tokens = read.signal_records(small, "tokens", only=keys)
    assert tokens.columns[13] == "tokens" and "title" not in tokens.columns


def test_signal_records_with_text_add_title_text_and_tokens(small):
    frame = read.signal_records(small, text=True)
    assert frame.columns[13:16] == ["title", "text", "tokens"] and frame.width == 20
    assert frame.select("title", "text", "tokens").row(0) == ("标题a", "诉求a", "飞线 充电")
    assert frame["tokens"].to_list()[1:] == [None] * 5


def test_weeks_and_the_latest_week(small, empty):
    assert read.weeks(small).rows() == [(W44, "2026-W44", 1), (W45, "2026-W45", 2), (W46, "2026-W46", 3)]
    assert read.latest_week_start(small) == W46
    assert read.latest_week_start(empty) is None


def test_grids_are_named_as_people_say_them(small):
    assert read.grid_labels(small) == {
        "G1": "翠竹社区第1网格",
        "G2": "翠竹社区第2网格",
        "G3": "光明社区第1网格",
        "G4": "南山社区",
    }
    assert read.grid_names(small) == {"G1": "第1网格", "G2": "翠竹社区第2网格", "G3": "光明社区第1网格", "G4": None}


def test_what_the_data_is(small):
    assert read.coverage(small).rows() == [
        ("12345", 4, dt.date(2026, 10, 27), dt.date(2026, 11, 10)),
        ("snapshot", 1, dt.date(2026, 11, 4), dt.date(2026, 11, 4)),
        ("visit", 1, dt.date(2026, 11, 11), dt.date(2026, 11, 11)),
    ]
    assert read.reject_reasons(small).rows() == [("bad_time", 2), ("missing_id", 1)]
    assert read.batch_totals(small) == {"files": 2, "rows_read": 15, "rows_accepted": 12, "rows_rejected": 3}
    totals = read.theme_totals(small)
    assert totals["n_themes"] == 2 and totals["unassigned_share"] == pytest.approx(2 / 6)
    assert read.model_version(small) == "tm-1"
    assert (read.n_records(small), read.n_placed(small)) == (6, 5)


def test_an_empty_database_reads_as_empty(empty):
    assert read.batch_totals(empty) == {"files": 0, "rows_read": 0, "rows_accepted": 0, "rows_rejected": 0}
    assert read.theme_totals(empty) == {"n_themes": 0, "unassigned_share": None}
    assert (read.n_records(empty), read.n_placed(empty), read.model_version(empty)) == (0, 0, None)
    assert read.missing(empty, {"mart_kpi", "records"}) == ["mart_kpi"]


def test_missing_names_only_what_the_database_lacks(small):
    assert read.missing(small, {"mart_kpi", "mart_alerts", "mart_nothing", "a_table"}) == ["a_table", "mart_nothing"]


def test_themes_in_use_leave_the_dormant_ones_out(small):
    assert read.themes(small)["theme_id"].to_list() == [1, 2, -1]
    assert read.themes(small, status="active")["theme_id"].to_list() == [1, -1]


def test_alerts_of_a_week_per_kind(small):
    assert read.alert_counts(small, "2026-W46") == {"crowd": 1, "surge": 2}
    assert read.alert_counts(small, "2026-W44") == {}


def test_a_surge_panel_reads_its_cells_and_its_alerts(small):
    cells = read.surge_cells(small, "G1", 1, W45, W46)
    assert cells.rows() == [("2026-W45", 1, 0.6), ("2026-W46", 4, 0.8)]
    assert read.surge_marks(small, "G1", 1, W44, W46).rows() == [
        ("2026-W45", "surge", "依据"),
        ("2026-W46", "surge", "依据"),
    ]
    assert read.surge_marks(small, "G1", 1, W46, W46)["iso_week"].to_list() == ["2026-W46"]


def test_a_surge_panel_reads_a_week_without_records_as_zero_with_no_expectation(small):
    """mart_surge_scores keeps only cells with records: a week of the calendar without a row is 0, not missing."""
    assert read.surge_cells(small, "G2", 1, W45, W46).rows() == [("2026-W45", 0, None), ("2026-W46", 9, 1.0)]


def test_street_counts_name_every_street_even_a_quiet_one(small):
    assert read.street_counts(small, "2026-W46").rows() == [("东湖街道", 1), ("南山街道", 0), ("西城街道", 1)]


def test_repeats_of_one_group_or_all(small):
    assert read.repeats(small)["record_id"].to_list() == ["a", "b", "c"]  # by group, then time
    assert read.repeats(small, repeat_group_id="g1")["record_id"].to_list() == ["a", "b"]


def test_read_queries_live_in_sql_files():
    assert read.read_sql("coverage").lstrip().startswith("--")


def test_every_mart_frame_converts_to_pandas_with_its_rows_columns_and_lists(demo_run):
    """Analysts who work in pandas call ``.to_pandas()`` on whatever ``dl.marts`` returns."""
    pytest.importorskip("pandas", reason="pandas is a dependency of demandlab")
    store = demo_run["store"]
    latest = read.latest_week_start(store)
    frames = {name: getattr(dl.marts, name)(store) for name in dl.marts.__all__ if name not in NEEDS_ARGUMENTS}
    frames |= {f"kpi({level})": dl.marts.kpi(store, level) for level in dl.marts.KPI_LEVELS}
    frames |= {f"focus({level})": dl.marts.focus(store, level) for level in dl.marts.FOCUS_LEVELS}
    frames["compute_hot_issues"] = dl.marts.compute_hot_issues(store, latest)
    frames["area_category_month"] = dl.marts.area_category_month(store, "street")
    assert all(isinstance(f, pl.DataFrame) for f in frames.values())
    for name, frame in frames.items():
        table = frame.to_pandas()
        assert table.shape == frame.shape and list(table.columns) == frame.columns, name
    themes = frames["themes"].to_pandas()
    assert list(themes["keywords"].iloc[0]) == frames["themes"]["keywords"][0].to_list()
    assert frames["week_summary"].height > 0 and str(frames["week_summary"].to_pandas()["n"].dtype) == "int64"


#: functions of dl.marts that are not a frame of the whole database by themselves (called on their own above)
NEEDS_ARGUMENTS = {
    "KPI_LEVELS",
    "FOCUS_LEVELS",
    "PROACTIVE_LEVELS",
    "Scope",
    "scoped",
    "compute_hot_issues",
    "area_category_month",
}


def test_focus_rows_count_the_tagged_records_and_all_equals_the_closed_loop_kpis(demo_run):
    """mart_focus repeats mart_kpi's rate definitions for 一老一小; its `all` rows must not drift from them."""
    store = demo_run["store"]
    rates = ["response_rate", "resolution_rate", "satisfaction_rate", "ontime_rate", "hours_to_close_median"]
    keys = {
        "total": [],
        "street": ["street"],
        "community": ["street", "community"],
        "theme": ["theme_id"],
        "week": ["week_start"],
    }
    for level, key in keys.items():
        everyone = dl.marts.focus(store, level, group="all").select(*key, "n", *rates, "overdue_open")
        kpi = dl.marts.kpi(store, level).select(*key, "n", *rates, "overdue_open")
        assert everyone.sort(key or "n").equals(kpi.sort(key or "n")), level
    tagged = store.sql(
        "select count(*) filter (where list_contains(focus, 'elderly')) as elderly, "
        "count(*) filter (where list_contains(focus, 'children')) as children, count(*) as n from mart_records"
    ).row(0, named=True)
    total = dl.marts.focus(store).select("focus_group", "n", "share")
    expected = {"elderly": tagged["elderly"], "children": tagged["children"], "all": tagged["n"]}
    assert dict(total.select("focus_group", "n").rows()) == expected
    assert 0 < tagged["elderly"] < tagged["n"] and 0 < tagged["children"] < tagged["n"]
    assert total.filter(pl.col("focus_group") == "elderly")["share"].item() == pytest.approx(
        tagged["elderly"] / tagged["n"]
    )
    with pytest.raises(ValueError, match="level must be one of"):
        dl.marts.focus(store, "grid")


def test_proactive_problems_are_episodes_first_seen_by_the_grid(demo_run):
    """主动发现 (mart_proactive) against the rule written again in polars: an episode of a grid × theme starts after
    28 days without a record; it is found by the grid when its first record is a visit or has a grid worker."""
    store = demo_run["store"]
    records = store.sql(
        "select street, community, grid_id, theme_id, created_at, week_start, source, record_id, grid_worker "
        "from mart_records where grid_id is not null and theme_id >= 0"
    ).sort("grid_id", "theme_id", "created_at", "source", "record_id")
    episodes = (
        records.with_columns(previous=pl.col("created_at").shift(1).over("grid_id", "theme_id"))
        .filter(pl.col("previous").is_null() | (pl.col("created_at") - pl.col("previous") > dt.timedelta(days=28)))
        .with_columns(by_grid=(pl.col("source") == "visit") | pl.col("grid_worker").is_not_null())
    )
    total = dl.marts.proactive(store).row(0, named=True)
    assert (total["problems"], total["found_by_grid"]) == (episodes.height, episodes["by_grid"].sum())
    assert 0 < total["proactive_rate"] < 1
    grids = dl.marts.proactive(store, "grid").select("grid_id", "problems", "found_by_grid")
    expected = episodes.group_by("grid_id").agg(problems=pl.len(), found_by_grid=pl.col("by_grid").sum())
    assert grids.sort("grid_id").equals(expected.sort("grid_id").cast(grids.schema))
    weeks = dl.marts.proactive(store, "week")
    assert weeks["problems"].sum() == episodes.height
    with pytest.raises(ValueError, match="level must be one of"):
        dl.marts.proactive(store, "dept")


def test_an_alert_says_whether_the_grid_had_seen_it_first(demo_run):
    store = demo_run["store"]
    alerts = dl.marts.alerts(store).filter(pl.col("grid_id").is_not_null() & (pl.col("theme_id") >= 0))
    assert alerts.height and alerts["seen_by_grid"].is_not_null().all()
    seen = store.sql(
        "select source, grid_worker, grid_id, theme_id, created_at from mart_records "
        "where source = 'visit' or grid_worker is not null"
    )
    for alert in alerts.head(30).iter_rows(named=True):
        window = seen.filter(
            (pl.col("grid_id") == alert["grid_id"]) & (pl.col("theme_id") == alert["theme_id"])
            & pl.col("created_at").is_between(alert["first_at"] - dt.timedelta(days=28), alert["first_at"])
        )  # fmt: skip
        assert alert["seen_by_grid"] == (window.height > 0), alert["alert_id"]
