"""Closed-loop KPIs (sql/mart_kpi.sql) and monthly area trends, checked against figures computed by hand."""

import datetime as dt

import polars as pl
import pytest

import demandlab as dl
from demandlab import schema
from demandlab.store import Store

T0 = dt.datetime(2026, 11, 2, 9, 0)  # a Monday, ISO week 2026-W45


def _h(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


# id, grid, dept, accepted, responded, closed, due, status, resolved, satisfaction, level, reopen
CASES = [
    # closed on time at grid level, responded after 2 h, closed after 10 h, satisfied
    ("a", "G1", "物业公司", _h(0), _h(2), _h(10), _h(48), "closed", True, "satisfied", "grid", 0),
    # closed late at community level, responded after 4 h, closed after 60 h, not resolved, dissatisfied
    ("b", "G1", "物业公司", _h(0), _h(4), _h(60), _h(48), "closed", False, "dissatisfied", "community", 1),
    # never responded, still open, its due time passed before the as-of time: overdue
    ("c", "G1", "城管局", _h(0), None, None, _h(24), "dispatched", None, None, None, 0),
    # open, not yet due at the as-of time
    ("d", "G2", "城管局", _h(1), _h(7), None, _h(500), "responded", None, None, None, None),
    # closed, no acceptance time (a 随手拍): close time counts from created_at; nothing else is known
    ("e", "G2", None, None, None, _h(30), None, "closed", None, None, None, None),
    # closed with a closing time before its acceptance: a data error, counted, not used
    ("f", "G2", "城管局", _h(5), _h(6), _h(3), _h(48), "closed", True, "basic", "grid", 0),
    # reopened, not surveyed
    ("g", "G1", "物业公司", _h(0), _h(1), None, _h(100), "reopened", None, "not_surveyed", None, 2),
]
AS_OF = _h(72)  # the latest created_at, set on the last record below


@pytest.fixture(scope="module")
def kpi_store():
    with dl.connect(":memory:") as store:
        rows = []
        for i, (rid, grid, dept, acc, resp, closed, due, status, resolved, sat, level, reopen) in enumerate(CASES):
            created = acc or _h(0)
            rows.append(
                {
                    "source": "12345" if acc else "snapshot", "record_id": rid, "created_at": created,
                    "street": "东湖街道", "community": "翠湖社区", "grid_id": grid, "dept": dept,
                    "accepted_at": acc, "responded_at": resp, "closed_at": closed, "due_at": due, "status": status,
                    "resolved": resolved, "satisfaction": sat, "resolved_level": level, "reopen_count": reopen,
                    "iso_week": "2026-W45", "week_start": T0.date(), "text": f"记录{i}",
                }
            )  # fmt: skip
        visit = {"source": "visit", "record_id": "z", "created_at": AS_OF, "grid_id": "G2", "street": "东湖街道"}
        rows.append({**visit, "community": "翠湖社区", "iso_week": "2026-W45", "week_start": T0.date(), "text": "走访"})
        full = _records(rows)
        with store.transaction() as con:
            Store.insert(con, "records", full)
        dl.Pipeline(store).marts()
        yield store


def _records(rows: list[dict]) -> pl.DataFrame:
    """Canonical records from partial rows: every column the rows leave out is null."""
    columns = {**schema.RECORD, **schema.RECORD_DERIVED}
    return pl.DataFrame([{c: row.get(c) for c in columns} for row in rows], schema=columns)


def _total(store) -> dict:
    return dl.marts.kpi(store, "total").row(0, named=True)


def test_response_rate_counts_only_accepted_records(kpi_store):
    k = _total(kpi_store)
    # accepted: a b c d f g = 6; responded among them: a b d f g = 5; e and z have no acceptance time
    assert (k["n"], k["n_accepted"], k["n_responded"], k["response_unknown"]) == (8, 6, 5, 2)
    assert k["response_rate"] == pytest.approx(5 / 6)


def test_resolution_and_satisfaction_leave_unknowns_out_and_count_them(kpi_store):
    k = _total(kpi_store)
    # closed: a b e f; resolution known: a b f; resolved: a f; e unknown
    assert (k["n_closed"], k["n_resolution_known"], k["n_resolved"], k["resolution_unknown"]) == (4, 3, 2, 1)
    assert k["resolution_rate"] == pytest.approx(2 / 3)
    # surveyed: a (满意) b (不满意) f (基本满意); g 未回访 is not in the denominator
    assert (k["n_surveyed"], k["n_satisfied"], k["n_not_surveyed"]) == (3, 2, 1)
    assert k["satisfaction_rate"] == pytest.approx(2 / 3)
    assert k["satisfaction_unknown"] == 4  # c d e z


def test_on_time_rate_counts_overdue_open_records_as_late(kpi_store):
    k = _total(kpi_store)
    # due by the as-of time: a (on time) b (late) f (closed before due, on time) and c (open, overdue);
    # d and g are open and not yet due; e and z have no due time
    assert (k["n_due"], k["n_ontime"], k["ontime_unknown"]) == (4, 2, 2)
    assert k["ontime_rate"] == pytest.approx(0.5)
    assert k["overdue_open"] == 1
    assert k["n_open"] == 4  # c d g z


def test_grid_share_and_reopen_rate(kpi_store):
    k = _total(kpi_store)
    # closed with a level: a (grid) b (community) f (grid); e unknown
    assert (k["n_level_known"], k["n_closed_in_grid"], k["level_unknown"]) == (3, 2, 1)
    assert k["grid_closed_share"] == pytest.approx(2 / 3)
    # reopen known: a b c f g (d e z have no count); reopened: b g
    assert (k["n_reopen_known"], k["n_reopened"], k["reopen_unknown"]) == (5, 2, 3)
    assert k["reopen_rate"] == pytest.approx(2 / 5)


def test_durations_use_valid_pairs_only(kpi_store):
    k = _total(kpi_store)
    # respond hours: a 2, b 4, d 6, f 1, g 1 → median 2, p90 by linear interpolation 5.2
    assert k["hours_to_respond_median"] == pytest.approx(2)
    assert k["hours_to_respond_p90"] == pytest.approx(5.2)
    # close hours: a 10, b 60, e 30 (from created_at); f is negative and left out
    assert k["hours_to_close_median"] == pytest.approx(30)
    assert k["duration_invalid"] == 1


def test_every_level_partitions_the_same_records(kpi_store):
    for level in ("street", "community", "grid", "dept", "theme", "week", "street_week"):
        frame = dl.marts.kpi(kpi_store, level)
        assert frame["n"].sum() == 8, level
    grids = {r["grid_id"]: r for r in dl.marts.kpi(kpi_store, "grid").iter_rows(named=True)}
    assert grids["G1"]["n"] == 4 and grids["G1"]["overdue_open"] == 1
    assert grids["G2"]["response_rate"] == pytest.approx(1.0)  # d f responded; e z not accepted
    depts = {r["dept"]: r["n"] for r in dl.marts.kpi(kpi_store, "dept").iter_rows(named=True)}
    assert depts == {"物业公司": 3, "城管局": 3, None: 2}  # records without a unit are a group, not dropped


def test_a_label_is_set_only_on_the_rows_it_describes(kpi_store):
    # every record is 未归类 (theme -1) in week 2026-W45: a district total or a grid has no theme and a
    # dept row no week, so their theme_label and iso_week are empty, not whichever value came first
    rows = kpi_store.sql("select level, theme_label, iso_week from mart_kpi").rows()
    labels = {level: set() for level, _, _ in rows}
    for level, theme_label, iso_week in rows:
        labels[level].add((theme_label, iso_week))
    assert labels == {
        "total": {(None, None)},
        "street": {(None, None)},
        "community": {(None, None)},
        "grid": {(None, None)},
        "dept": {(None, None)},
        "theme": {("未归类", None)},
        "week": {(None, "2026-W45")},
        "street_week": {(None, "2026-W45")},
    }


def test_kpi_level_must_be_known(kpi_store):
    with pytest.raises(ValueError, match="level must be one of"):
        dl.marts.kpi(kpi_store, "province")


def test_monthly_trend_is_dense_and_compares_with_the_previous_month(store):
    days = ["2026-01-05", "2026-01-06", "2026-03-02", "2026-03-03"]
    rows = [
        {"source": "12345", "record_id": str(i), "created_at": dt.datetime.fromisoformat(d), "street": "东湖街道",
         "community": "翠湖社区", "text": "x"}
        for i, d in enumerate(days)
    ]  # fmt: skip
    with store.transaction() as con:
        Store.insert(con, "records", _records(rows))
    dl.Pipeline(store).marts()
    # no themes yet: mart_records gives every record the category 其他 — the trend follows it
    trend = dl.marts.area_category_month(store, "street")
    assert trend["month_label"].to_list() == ["2026-01", "2026-02", "2026-03"]  # February filled with 0
    assert trend["n"].to_list() == [2, 0, 2]
    assert trend["change_vs_prev"].to_list() == [None, -2, 2]
    assert trend["baseline_mean"].to_list() == [None, 2.0, 1.0]
    assert trend["partial"].to_list() == [False, False, True]
