"""Whether each signal can be computed (signals/status.py): from hand-made records, and the same counts from SQL."""

import datetime as dt

import polars as pl
import pytest

import demandlab as dl
from demandlab import schema
from demandlab.marts import read
from demandlab.signals.status import ALERT_SIGNALS, NEEDS, count_fields, signal_status, unavailable_zh
from demandlab.store import Store

MONDAY = dt.date(2026, 9, 28)  # ISO week 2026-W40


def _records(rows: list[dict]) -> pl.DataFrame:
    """Canonical records from partial rows: every column the rows leave out is null; weeks from created_at."""
    columns = {**schema.RECORD, **schema.RECORD_DERIVED}
    full = []
    for i, row in enumerate(rows):
        created = row.get("created_at") or dt.datetime.combine(MONDAY, dt.time(9))
        week_start = created.date() - dt.timedelta(days=created.weekday())
        base = {"source": "12345", "record_id": f"r{i}", "text": f"记录{i}", "created_at": created}
        base |= {"week_start": week_start, "iso_week": week_start.strftime("%G-W%V")}
        full.append({c: {**base, **row}.get(c) for c in columns})
    return pl.DataFrame(full, schema=columns)


def _week(k: int, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(MONDAY + dt.timedelta(weeks=k), dt.time(hour))


def test_records_without_grid_ids_contacts_or_due_times_say_what_cannot_be_computed():
    # eight weeks of 12345 records with a text and nothing else: no grid, no caller, no closed loop
    records = _records([{"created_at": _week(i % 8, 9 + i % 5)} for i in range(40)])
    status = signal_status(count_fields(records))
    surge = status["surge"]
    assert (surge.computable, surge.missing, surge.n_lacking, surge.n_total) == (False, ("grid_id",), 40, 40)
    assert surge.reason_zh == "无法计算：缺少网格编号（全部 40 件记录都没有网格编号）"
    assert surge.short_zh == "缺少网格编号"
    # people come from contacts, else near-duplicate groups (signals/people.py): 多人同诉 needs places (not
    # looked for: the frame has no place_key), 一人多诉 a theme or a place (none: everything is 未归类)
    assert not status["crowd"].computable and status["crowd"].missing == ("place",)
    assert not status["repeat_caller"].computable and status["repeat_caller"].missing == ("place", "theme")
    overdue = status["overdue_open"]
    assert (overdue.computable, overdue.missing) == (False, ("due_at",))
    assert overdue.unknown_zh == "未知（40 件记录均缺少办结期限）"
    assert status["ontime_rate"].unknown_zh == "未知（40 件记录均缺少办结期限）"
    assert status["response_rate"].unknown_zh == "未知（40 件记录均缺少受理时间、反馈时间）"
    # no record has a status: whether any was closed is unknown, so the measures over closed records are too
    assert status["resolution_rate"].reason_zh == "无法计算：缺少办理状态（全部 40 件记录都没有办理状态）"
    assert status["hours_to_close"].unknown_zh == "未知（40 件记录均缺少办理状态）"
    # with statuses but none closed, they say there is no closed record
    dispatched = signal_status(count_fields(records.with_columns(status=pl.lit("dispatched"))))
    assert dispatched["resolution_rate"].reason_zh == "无法计算：没有已办结记录"
    assert dispatched["hours_to_close"].unknown_zh == "未知（没有已办结记录）"
    assert not any(s.computable for s in status.values())  # 未归类 only, no place: not even hot issues
    assert set(status) == set(NEEDS)


def test_crowd_without_contacts_is_computed_once_places_are_found():
    records = _records([{"created_at": _week(i % 8), "grid_id": "G1"} for i in range(10)])
    frame = records.with_columns(place_key=pl.lit("万科城"), theme_id=pl.lit(3))
    status = signal_status(count_fields(frame))
    # no caller number: people are counted from near-duplicate groups, so neither alert is impossible
    assert status["crowd"].computable and status["repeat_caller"].computable
    assert status["surge"].computable and not status["surge"].partial
    assert status["hot"].computable
    assert unavailable_zh(status, ALERT_SIGNALS) == ""
    # callers known, places not looked for yet (no place_key): 多人同诉 waits for them
    status = signal_status(count_fields(records.with_columns(contact_key=pl.lit("k"))))
    assert status["crowd"].reason_zh == "无法计算：尚未识别记录中的地点" and status["crowd"].missing == ("place",)


def test_a_signal_computed_on_part_of_the_records_says_how_many_were_left_out():
    # 6 of 10 records carry a grid id (40 % lack one), over 8 weeks: surges are scored on the other 6
    rows = [{"created_at": _week(i % 8), "grid_id": "G1" if i < 6 else None, "contact_key": "k"} for i in range(10)]
    status = signal_status(count_fields(_records(rows)))
    surge = status["surge"]
    assert surge.computable and surge.partial and (surge.n_lacking, surge.n_total) == (4, 10)
    assert surge.reason_zh == "部分计算：10 件记录中 4 件（40%）没有网格编号，只依据其余 6 件计算"
    assert unavailable_zh(status, ["surge"]) == ""


def test_a_signal_needing_two_fields_on_one_record_counts_the_records_with_both():
    counts = {"n": 10, "closed": 0, "n:accepted_at": 8, "n:responded_at": 6, "n:accepted_at&responded_at": 5}
    respond = signal_status(counts)["hours_to_respond"]
    assert respond.partial and respond.n_lacking == 5 and "同时具备" in respond.reason_zh
    respond = signal_status({**counts, "n:accepted_at&responded_at": 0})["hours_to_respond"]
    assert not respond.computable and respond.reason_zh.startswith("无法计算：没有记录同时具备")
    hot = signal_status({"n": 4, "closed": 0, "n:place": 1, "n:theme": 2, "n:place|theme": 3})["hot"]
    assert hot.reason_zh == "部分计算：4 件记录中 1 件（25%）既没有地点也没有问题归类，只依据其余 3 件计算"


def test_surges_need_weeks_of_history_before_the_week_they_test():
    rows = [{"created_at": _week(i % 3), "grid_id": "G1"} for i in range(9)]  # three weeks: two before the last
    surge = signal_status(count_fields(_records(rows)))["surge"]
    assert not surge.computable and surge.missing == ("weeks",)
    assert surge.reason_zh == "无法计算：历史数据不足 4 周（此前只有 2 周数据，至少需要 4 周）"
    assert signal_status(count_fields(_records(rows)), min_weeks=2)["surge"].computable


def test_a_field_present_on_no_record_makes_a_rate_unknown_even_when_its_denominator_is_there():
    # accepted but no response time anywhere: a response rate of 0 % would be a missing column, not a fact
    rows = [{"accepted_at": _week(0), "status": "closed", "closed_at": _week(0, 15), "resolved": True}] * 3
    status = signal_status(count_fields(_records(rows)))
    assert not status["response_rate"].computable and status["response_rate"].missing == ("responded_at",)
    assert status["resolution_rate"].computable and status["hours_to_close"].computable


def test_the_sql_counts_are_the_frame_counts(store):
    # what dl.marts.signal_status reads in one query equals what count_fields counts on the rows
    rows = [
        {"created_at": _week(0), "grid_id": "G1", "street": "东湖街道", "contact_key": "a", "due_at": _week(1),
         "accepted_at": _week(0), "responded_at": _week(0, 11), "status": "closed", "closed_at": _week(0, 15),
         "resolved": True, "satisfaction": "satisfied", "resolved_level": "grid", "reopen_count": 0},
        {"created_at": _week(1), "grid_id": "G2", "street": "东湖街道", "status": "reopened", "accepted_at": _week(1)},
        {"created_at": _week(2), "street": "西城街道", "contact_key": "b", "satisfaction": "not_surveyed"},
        {"created_at": _week(2), "street": "西城街道", "status": "closed", "resolved_level": "street"},
        {"created_at": _week(5), "grid_id": "G1", "street": "东湖街道", "contact_key": "a", "source": "visit"},
    ]  # fmt: skip
    with store.transaction() as con:
        Store.insert(con, "records", _records(rows))
    dl.Pipeline(store).marts()
    counts = read.signal_counts(store)
    assert counts.pop("n:looked") == 0 and counts["n:place"] is None  # places not looked for yet
    assert counts == count_fields(read.records(store))
    assert counts["n"] == 5 and counts["weeks_before"] == 3 and counts["n:grid_id"] == 3
    assert counts["n:reopen_count"] == 2 and counts["closed:resolved"] == 1 and counts["n:satisfaction"] == 1
    # places found in the text of some records (record_places): counted per record
    places = pl.DataFrame({"source": ["12345", "12345"], "record_id": ["r0", "r2"], "place_key": ["万科城", None]})
    with store.transaction() as con:
        con.register("found_places", places.to_arrow())
        con.execute("insert into record_places (source, record_id, place_key) select * from found_places")
    counts = read.signal_counts(store)
    assert (counts.pop("n:looked"), counts["n:place"], counts["n:contact_key&place"]) == (2, 1, 1)
    frame = read.records(store).join(places, on=["source", "record_id"], how="left")
    assert counts == count_fields(frame)
    # one street, one week: the records of that scope and week; weeks_before reads the district's calendar
    east = read.signal_counts(store, "street=东湖街道", (MONDAY + dt.timedelta(weeks=1),) * 2)
    assert (east["n"], east["n:grid_id"], east["n:accepted_at"], east["weeks_before"]) == (1, 1, 1, 1)
    # 多人同诉 is judged against a place's weeks before: three weeks of data are too few
    crowd = read.signal_status(store)["crowd"]
    assert not crowd.computable and crowd.missing == ("weeks",) and "历史数据不足 4 周" in crowd.reason_zh
    crowd = signal_status(read.signal_counts(store), min_weeks=3)["crowd"]
    assert crowd.partial and crowd.n_lacking == 4 and crowd.reason_zh.startswith("部分计算：5 件记录中 4 件（80%）")


def test_overdue_is_unknown_not_zero_where_no_record_has_a_due_time(store):
    rows = [
        {"created_at": _week(0), "dept": "城管局", "due_at": _week(0, 10), "status": "dispatched"},
        {"created_at": _week(1), "dept": "城管局", "due_at": _week(9), "status": "dispatched"},
        {"created_at": _week(1), "dept": "物业公司", "status": "dispatched"},
    ]
    with store.transaction() as con:
        Store.insert(con, "records", _records(rows))
    dl.Pipeline(store).marts()
    depts = {r["dept"]: r["overdue_open"] for r in dl.marts.kpi(store, "dept").iter_rows(named=True)}
    assert depts == {"城管局": 1, "物业公司": None}
    assert dl.marts.kpi(store, "total")["overdue_open"].to_list() == [1]


@pytest.mark.parametrize("name", list(NEEDS))
def test_every_signal_has_a_chinese_verdict_without_codes(name):
    for counts in ({"n": 0, "closed": 0}, {"n": 3, "closed": 1, "weeks_before": 9}):
        status = signal_status(counts)[name]
        assert status.label_zh and status.reason_zh.startswith(("无法计算：", "部分计算：", "可计算"))
        assert not any(c.isascii() and c.isalpha() for c in status.reason_zh + status.unknown_zh), status
