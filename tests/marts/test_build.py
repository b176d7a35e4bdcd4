"""The marts kept week by week (marts/build.py BY_WEEK) against a whole build, on a copy of the demo district."""

import shutil

import polars as pl
import pytest

import demandlab as dl
from demandlab.marts.build import build_marts

# The definition before the mart became sparse: dense over mart_weeks for every pair that ever occurs. The
# sparse mart read through dl.marts.grid_theme_week must give exactly these rows.
DENSE = """
with records as (
    select grid_id, theme_id, theme_label, category, week_start from mart_records where grid_id is not null
),
pairs as (
    select grid_id, theme_id, min(theme_label) as theme_label, min(category) as category from records group by all
),
counts as (select grid_id, theme_id, week_start, count(*) as n from records group by all),
filled as (
    select p.*, w.week_start, w.iso_week, coalesce(c.n, 0) as n
    from pairs as p cross join mart_weeks as w
    left join counts as c on p.grid_id = c.grid_id and p.theme_id = c.theme_id and w.week_start = c.week_start
)
select *, lag(n) over w as n_prev_week, avg(n) over (w rows between 8 preceding and 1 preceding) as baseline_mean,
    count(n) over (w rows between 8 preceding and 1 preceding) as baseline_weeks,
    n - coalesce(lag(n) over w, 0) as change_vs_prev
from filled window w as (partition by grid_id, theme_id order by week_start)
order by grid_id, theme_id, week_start
"""
ORDER = ("grid_id", "theme_id", "week_start")


@pytest.fixture
def copy(demo_run, tmp_path):
    store = demo_run["store"]
    store.con.execute("checkpoint")
    shutil.copyfile(store.path, tmp_path / "db.duckdb")
    with dl.connect(tmp_path / "db.duckdb") as s:
        yield s


def _table(store, name="mart_grid_theme_week") -> pl.DataFrame:
    return store.sql(f"select * from {name}").sort(ORDER)


def _whole(store) -> pl.DataFrame:
    """The mart as a whole build makes it from the same records."""
    with store.transaction() as con:
        con.execute("drop table mart_grid_theme_week")
    build_marts(store)
    return _table(store)


def test_the_sparse_mart_read_dense_equals_the_dense_definition(copy):
    dense = copy.sql(DENSE)
    read = dl.marts.grid_theme_week(copy)
    assert read.columns == _table(copy).columns
    assert read.equals(dense.select(read.columns))
    assert copy.count("mart_grid_theme_week") < dense.height / 3  # most cells of a small district are empty
    one = dl.marts.grid_theme_week(copy, grid_id=read["grid_id"][0], theme_id=read["theme_id"][0])
    assert one.height == copy.count("mart_weeks") and one["week_start"].is_sorted()


def test_an_update_computes_only_the_weeks_changes_touch_and_equals_a_whole_build(copy):
    weeks = copy.sql("select week_start from mart_weeks order by week_start")["week_start"].to_list()
    middle, old = weeks[len(weeks) // 2], weeks[3]
    before = _table(copy)
    with copy.transaction() as con:
        # a record changes grid in an old week; another moves theme; a later status changes nothing here
        con.execute(
            "update records set grid_id = (select max(grid_id) from records) where record_id = "
            "(select min(record_id) from records where week_start = ? and grid_id is not null)",
            [old],
        )
        con.execute(
            "update assignments set theme_id = (select max(theme_id) from themes where theme_id >= 0) "
            "where record_id = (select min(record_id) from records where week_start = ?)",
            [middle],
        )
        con.execute("update records set status = 'closed' where week_start = ?", [weeks[-1]])
    build_marts(copy)
    updated = _table(copy)
    assert not updated.equals(before)
    # weeks far from both changes keep their rows as they were
    untouched = pl.col("week_start") > weeks[weeks.index(middle) + 8]
    assert updated.filter(untouched).equals(before.filter(untouched))
    assert updated.equals(_whole(copy))


def test_a_week_deleted_and_records_in_a_new_week_equal_a_whole_build(copy):
    weeks = copy.sql("select week_start from mart_weeks order by week_start")["week_start"].to_list()
    gone = weeks[5]
    with copy.transaction() as con:  # what a purge or a re-dated export does: a week empties, a later one appears
        con.execute("delete from records where week_start = ?", [gone])
        con.execute(
            "update records set created_at = created_at + interval 14 day, week_start = week_start + 14, "
            "iso_week = strftime(week_start + 14, '%G-W%V') where week_start = ?",
            [weeks[-1]],
        )
    build_marts(copy)
    assert gone not in copy.sql("select week_start from mart_grid_theme_week")["week_start"].to_list()
    assert _table(copy).equals(_whole(copy))
    assert dl.marts.grid_theme_week(copy).equals(copy.sql(DENSE).select(_table(copy).columns))
