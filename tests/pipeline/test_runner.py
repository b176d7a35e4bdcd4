import datetime as dt

import polars as pl
import pytest

import demandlab as dl
from demandlab.config import demo_config
from demandlab.ingest import IngestError

HEADER = "工单编号,来电时间,来电号码,诉求内容,办结时间,办理状态,回访满意度\n"


@pytest.fixture
def pipe(tmp_path, fixed_now):
    cfg = demo_config(tmp_path, tmp_path / "reports")
    store = dl.connect(cfg.paths.db)
    yield dl.Pipeline(store, cfg, now=lambda: fixed_now)
    store.close()


def _write(path, rows):
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def test_a_record_that_comes_back_with_a_later_status_updates_and_keeps_history(pipe, tmp_path):
    first = _write(
        tmp_path / "w1.csv",
        ["GD1,2025/3/1 10:00:00,13800138000,楼上漏水,,处理中,\n", "GD2,2025/3/1 11:00:00,,电梯坏了,,处理中,\n"],
    )
    report = pipe.ingest(first)
    assert (report.rows_new, report.rows_updated, report.rows_unchanged) == (2, 0, 0)
    pipe.clean()
    second = _write(
        tmp_path / "w2.csv",
        [
            "GD1,2025/3/1 10:00:00,13800138000,楼上漏水,2025/3/3 09:00:00,已办结,满意\n",
            "GD2,2025/3/1 11:00:00,,电梯坏了,,处理中,\n",
        ],
    )
    report = pipe.ingest(second)
    assert (report.rows_new, report.rows_updated, report.rows_unchanged) == (0, 1, 1)
    assert pipe.clean() == 1
    store = pipe.store
    assert store.sql("select record_id, version, status from raw_records order by record_id, version").rows() == [
        ("GD1", 1, "responded"),
        ("GD1", 2, "closed"),
        ("GD2", 1, "responded"),
    ]
    assert store.sql("select record_id, status, satisfaction, version from records order by record_id").rows() == [
        ("GD1", "closed", "satisfied", 2),
        ("GD2", "responded", None, 1),
    ]
    assert store.count("records") == 2


def test_records_never_hold_the_callers_number(pipe, tmp_path):
    pipe.ingest(_write(tmp_path / "w.csv", ["GD1,2025/3/1 10:00:00,13800138000,电话13800138000漏水,,,\n"]))
    pipe.clean()
    row = pipe.store.sql("select * from records").row(0, named=True)
    assert "contact" not in row and "13800138000" not in str(row)
    assert row["text"] == "电话〔手机号〕漏水" and len(row["contact_key"]) == 16
    assert pipe.store.sql("select contact from raw_records")["contact"][0] == "13800138000"


def test_a_file_that_fails_leaves_the_database_unchanged(pipe, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("编号,内容\n1,x\n", encoding="utf-8")
    with pytest.raises(IngestError, match="没有映射能对应这个文件的表头"):
        pipe.ingest(bad)
    assert pipe.store.count("batches") == pipe.store.count("raw_records") == pipe.store.count("rejects") == 0


def test_a_stage_that_fails_midway_rolls_back(pipe, tmp_path, monkeypatch):
    pipe.ingest(_write(tmp_path / "w.csv", ["GD1,2025/3/1 10:00:00,,漏水,,,\n"]))

    def broken(con, table, frame, keys):
        con.execute("delete from records")
        raise RuntimeError("disk full")

    monkeypatch.setattr(dl.Store, "replace_keys", staticmethod(broken))
    with pytest.raises(RuntimeError, match="disk full"):
        pipe.clean()
    assert pipe.store.count("records") == 0
    monkeypatch.undo()
    assert pipe.clean() == 1


def test_stages_only_work_on_what_changed(pipe, tmp_path):
    rows = [
        f"GD{i},2025/3/{1 + i % 20} 10:00:00,,{text},,,\n"
        for i, text in enumerate(
            ["楼道飞线充电 电瓶车", "垃圾清运 臭味", "电梯故障 困人", "广场舞 音响", "油烟 饭店"] * 18
        )
    ]
    pipe.ingest(_write(tmp_path / "w.csv", rows))
    first = pipe.run()
    assert first.cleaned == first.segmented == first.assigned == 90 and first.refit
    second = pipe.run()
    assert (second.cleaned, second.segmented, second.assigned, second.refit) == (0, 0, 0, False)
    pipe.ingest(_write(tmp_path / "w2.csv", ["GD900,2025/3/9 10:00:00,,电瓶车 飞线充电,,,\n"]))
    third = pipe.run()
    assert (third.cleaned, third.segmented, third.assigned, third.refit) == (1, 1, 1, False)
    assert pipe.store.scalar("select count(*) from assignments where model_version = ?", [third.model_version]) == 91


def _mart_records_from_scratch(store) -> pl.DataFrame:
    sql = dict(dl.marts.build.sql_models())["mart_records"]
    return store.sql(f"select * from ({sql}) order by source, record_id")


def test_mart_records_is_updated_row_by_row_and_equals_a_rebuild(pipe, tmp_path):
    rows = [
        f"GD{i},2025/3/{1 + i % 20} 10:00:00,,{text},,处理中,\n"
        for i, text in enumerate(["楼道飞线充电 电瓶车", "垃圾清运 臭味", "电梯故障 困人", "油烟 饭店"] * 10)
    ]
    pipe.ingest(_write(tmp_path / "w.csv", rows))
    pipe.run()
    store = pipe.store
    before = store.sql("select * from mart_records order by source, record_id")
    assert before.equals(_mart_records_from_scratch(store)) and before.height == 40
    # one record closes, one is new: only those two rows are written again
    pipe.ingest(_write(tmp_path / "w2.csv", [
        "GD1,2025/3/2 10:00:00,,垃圾清运 臭味,2025/3/4 10:00:00,已办结,满意\n",
        "GD99,2025/3/21 10:00:00,,电梯故障 困人,,处理中,\n",
    ]))  # fmt: skip
    pipe.run()
    after = store.sql("select * from mart_records order by source, record_id")
    assert after.equals(_mart_records_from_scratch(store)) and after.height == 41
    assert after.filter(pl.col("record_id") == "GD1")["status"].to_list() == ["closed"]
    unchanged = before.filter(pl.col("record_id") != "GD1")
    assert unchanged.equals(after.filter(pl.col("record_id").is_in(unchanged["record_id"].to_list())))


def test_mart_records_follows_a_theme_renamed_and_a_focus_tagged_without_new_content(pipe, tmp_path):
    texts = ["电梯故障 困人", "油烟 饭店"] * 10
    rows = [f"GD{i},2025/3/{1 + i % 20} 10:00:00,,{t},,处理中,\n" for i, t in enumerate(texts)]
    pipe.ingest(_write(tmp_path / "w.csv", rows))
    pipe.run()
    store = pipe.store
    theme = store.scalar("select min(theme_id) from themes where theme_id >= 0")
    with store.transaction() as con:  # what an analyst's rename and a later 一老一小 tagging change
        con.execute("update themes set label = '改过的名称' where theme_id = ?", [theme])
        con.execute("update records set focus = ['elderly'] where record_id = 'GD1'")
    assert pipe.marts() and store.sql("select * from mart_records order by source, record_id").equals(
        _mart_records_from_scratch(store)
    )
    assert store.scalar("select count(*) from mart_records where theme_label = '改过的名称'") > 0


def test_a_changed_mart_records_model_is_built_whole(pipe, tmp_path, monkeypatch):
    pipe.ingest(_write(tmp_path / "w.csv", ["GD1,2025/3/2 10:00:00,,垃圾清运 臭味,,处理中,\n"] * 1))
    pipe.run()
    models = dict(dl.marts.build.sql_models())
    changed = models["mart_records"].replace("'未归类'", "'尚未归类'")
    monkeypatch.setattr(dl.marts.build, "sql_models", lambda: [(n, changed if n == "mart_records" else q)
                                                                for n, q in models.items()])  # fmt: skip
    with pipe.store.transaction() as con:
        con.execute("delete from assignments")
    assert dl.marts.build.build_marts(pipe.store) == "all"
    assert pipe.store.sql("select theme_label from mart_records")["theme_label"].to_list() == ["尚未归类"]


def test_marts_are_built_in_dependency_order():
    names = [name for name, _ in dl.marts.build.sql_models()]
    assert names.index("mart_records") < names.index("mart_weeks") < names.index("mart_grid_theme_week")
    assert names.index("stg_records") < names.index("mart_records")


def test_weeks_are_iso_weeks(pipe, tmp_path):
    pipe.ingest(_write(tmp_path / "w.csv", ["GD1,2026/1/1 10:00:00,,漏水,,,\n", "GD2,2024/12/30 10:00:00,,漏水,,,\n"]))
    pipe.clean()
    got = pipe.store.sql("select record_id, iso_week, week_start from records order by record_id").rows()
    assert got == [("GD1", "2026-W01", dt.date(2025, 12, 29)), ("GD2", "2025-W01", dt.date(2024, 12, 30))]


def test_updates_do_not_duplicate_records_across_files(pipe, tmp_path):
    for i in range(3):
        pipe.ingest(_write(tmp_path / f"w{i}.csv", [f"GD1,2025/3/1 10:00:00,,漏水{i},,,\n"]))
    pipe.clean()
    assert pipe.store.count("records") == 1
    assert pipe.store.sql("select max(version) as v from raw_records")["v"][0] == 3
    assert pl.Series(pipe.store.sql("select text from records")["text"]).to_list() == ["漏水2"]


def test_the_same_content_in_another_file_is_unchanged(pipe, tmp_path):
    pipe.ingest(_write(tmp_path / "a.csv", ["GD1,2025/3/1 10:00:00,,漏水,,处理中,\n"]))
    reordered = tmp_path / "b.csv"
    reordered.write_text("诉求内容,工单编号,来电时间,办理状态\n漏水,GD1,2025-03-01 10:00,处理中\n\n", encoding="utf-8")
    report = pipe.ingest(reordered)
    assert report.status == "loaded" and (report.rows_new, report.rows_updated, report.rows_unchanged) == (0, 0, 1)
    assert pipe.store.count("raw_records") == 1


def test_signals_for_a_new_batch_equal_signals_computed_from_scratch(pipe, tmp_path, monkeypatch):
    texts = ["翠湖小区楼道飞线充电 电瓶车 充电", "秀水华庭垃圾清运不及时 臭味 垃圾桶", "春江花园电梯故障 困人 维修",
             "和平路广场舞 音响 扰民", "湘味轩饭店油烟 排烟 扰民"]  # fmt: skip
    rows = [
        f"GD{i},2025/3/{1 + i % 28} {8 + i % 12}:00:00,1380013{i % 7:04d},{texts[i % 5]} 第{i % 3}次,,处理中,\n"
        for i in range(120)
    ]
    pipe.ingest(_write(tmp_path / "w1.csv", rows))
    pipe.run()
    more = [
        f"GD{500 + i},2025/4/{1 + i % 6} 10:00:00,1380013{i % 7:04d},{texts[i % 5]} 又一次,,处理中,\n"
        for i in range(30)
    ]
    pipe.ingest(_write(tmp_path / "w2.csv", more))
    updates = []
    from demandlab.signals import stage

    real_update = stage.update_repeats
    monkeypatch.setattr(stage, "update_repeats", lambda *a, **k: updates.append(a[2]) or real_update(*a, **k))
    incremental = pipe.run()
    assert updates == [dt.datetime(2025, 4, 1, 10)]  # repeats were brought up to date, not found again
    assert incremental.assigned == 30 and not incremental.refit
    store = pipe.store
    tables = ("mart_alerts", "mart_repeats", "mart_hot_issues")
    after = {t: store.sql(f"select * from {t} order by all") for t in tables}
    assert after["mart_repeats"].height > 0
    assert after["mart_repeats"]["created_at"].max() >= dt.datetime(2025, 4, 1)  # new records joined groups
    with store.transaction() as con:
        con.execute("insert or replace into meta values ('signals_since', 'all')")
    pipe.signals()
    for table in tables:
        assert store.sql(f"select * from {table} order by all").equals(after[table]), table
    # and a run with nothing new does nothing
    assert pipe.run().cleaned == 0 and store.meta("signals_since") is None


def test_an_older_database_opened_read_only_says_how_to_upgrade(tmp_path):
    path = tmp_path / "old.duckdb"
    with dl.connect(path) as store, store.transaction() as con:
        con.execute("update meta set value = '4' where key = 'schema_version'")
    with pytest.raises(dl.store.StoreError, match="结构版本 4 旧于本版 demandlab"):
        dl.connect(path, read_only=True)


def test_a_later_file_reusing_an_id_for_another_message_keeps_both(tmp_path):
    """Real message boards reuse ids across years: the second message must not replace the first."""
    header = "留言编号,留言用户,留言主题,留言时间,留言详情\n"
    first, second = tmp_path / "2017.csv", tmp_path / "2019.csv"
    first.write_text(header + "2939,U1,小区停车难,2017/3/1 9:00,小区车位太少\n", encoding="utf-8")
    second.write_text(
        header + "2939,U2,学校门口拥堵,2019/6/2 10:00,放学时门口堵车\n2939,U1,小区停车难,2017/3/1 9:00,小区车位太少\n",
        encoding="utf-8",
    )
    with dl.connect(tmp_path / "db.duckdb") as store:
        pipe = dl.Pipeline(store)
        pipe.ingest(first)
        report = pipe.ingest(second)
        assert (report.rows_read, report.rows_new, report.rows_unchanged) == (2, 1, 1)
        pipe.clean()
        rows = store.sql("select record_id, title from records order by created_at").rows()
        assert rows[0] == ("2939", "小区停车难") and rows[1][1] == "学校门口拥堵" and rows[1][0].startswith("2939~")
        warning = store.sql("select row_number, reason, message from load_warnings where reason = 'id_conflict'")
        assert warning.rows()[0][:2] == (2, "id_conflict") and "另存为新编号 " + rows[1][0] in warning.rows()[0][2]
        # the same message in yet another export lands on the same derived id: nothing new
        third = tmp_path / "again.csv"
        third.write_text(header + "2939,U2,学校门口拥堵,2019/6/2 10:00,放学时门口堵车\n", encoding="utf-8")
        assert pipe.ingest(third).rows_unchanged == 1
        assert store.count("records") == 2


def test_records_carry_their_focus_tags_and_a_database_from_before_them_is_tagged_on_the_next_clean(
    tmp_path, fixed_now
):
    """一老一小 tags (schema version 8): on every record cleaned, and on records cleaned by an older version."""
    cfg = demo_config(tmp_path, tmp_path / "reports")
    rows = [
        "GD1,2026/11/9 10:00:00,13800138000,独居老人家中漏水无人管,,,\n",
        "GD2,2026/11/9 11:00:00,13800138001,放学时段路口拥堵，学生过马路危险,,,\n",
        "GD3,2026/11/9 12:00:00,13800138002,老板拖欠工资,,,\n",
    ]
    with dl.connect(cfg.paths.db) as store:
        pipe = dl.Pipeline(store, cfg, now=lambda: fixed_now)
        pipe.ingest(_write(tmp_path / "w.csv", rows))
        pipe.clean()
        tagged = dict(store.sql("select record_id, focus from records order by 1").rows())
        assert tagged == {"GD1": ["elderly"], "GD2": ["children"], "GD3": []}
        with store.transaction() as con:  # as schema version 7 left it: no focus column
            con.execute("alter table records drop column focus")
            con.execute("update meta set value = '7' where key = 'schema_version'")
    with dl.connect(cfg.paths.db) as store:
        assert store.sql("select count(*) as n from records where focus is null").item() == 3
        pipe = dl.Pipeline(store, cfg, now=lambda: fixed_now)
        assert pipe.clean() == 0  # nothing new to clean: only the tags are added
        assert dict(store.sql("select record_id, focus from records order by 1").rows()) == tagged
        pipe.marts()
        assert store.sql("select focus from mart_records where record_id = 'GD1'")["focus"].to_list() == [["elderly"]]
