"""Scoped marts (demandlab.marts.scope): every relation that carries a place is scoped, checked by hand.

The district: two streets, three communities, four registry grids and one grid (G99) that only the
records name, twelve records over ISO weeks 2026-W44 … W46:

=========  ========  ======  ==================  ==============================
street     社区       grid    records (week)      accepted / responded
=========  ========  ======  ==================  ==============================
东湖街道    翠竹社区    G11     c1 (W45), c2 c3 c4 (W46)   all accepted; c1 c2 responded
东湖街道    翠竹社区    G12     c5 (W44)            no acceptance time
东湖街道    翠竹社区    G99     c6 (W46)            no acceptance time (not in the registry)
东湖街道    幸福社区    G21     x1 x2 (W44), x3 (W46)      all accepted and responded
西城街道    光明社区    G31     g1 g2 (W45), g3 (W46)      all accepted and responded
=========  ========  ======  ==================  ==============================
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import demandlab as dl
from demandlab import schema
from demandlab.errors import UsageError
from demandlab.marts.build import build_marts, sql_models
from demandlab.marts.scope import Scope, scoped
from demandlab.store import Store

W44, W45, W46 = dt.date(2026, 10, 26), dt.date(2026, 11, 2), dt.date(2026, 11, 9)
GRIDS = [
    ("G11", "翠竹社区第1网格", "东湖街道", "翠竹社区"),
    ("G12", "翠竹社区第2网格", "东湖街道", "翠竹社区"),
    ("G21", "幸福社区第1网格", "东湖街道", "幸福社区"),
    ("G31", "光明社区第1网格", "西城街道", "光明社区"),
]
# id, grid, created (day in 2026), accepted, responded
RECORDS = [
    ("c1", "G11", (11, 3), True, True),
    ("c2", "G11", (11, 10), True, True),
    ("c3", "G11", (11, 11), True, False),
    ("c4", "G11", (11, 12), True, False),
    ("c5", "G12", (10, 27), False, False),
    ("c6", "G99", (11, 13), False, False),
    ("x1", "G21", (10, 28), True, True),
    ("x2", "G21", (10, 29), True, True),
    ("x3", "G21", (11, 10), True, True),
    ("g1", "G31", (11, 4), True, True),
    ("g2", "G31", (11, 5), True, True),
    ("g3", "G31", (11, 14), True, True),
]
PLACE = {"G11": ("东湖街道", "翠竹社区"), "G12": ("东湖街道", "翠竹社区"), "G99": ("东湖街道", "翠竹社区")}
PLACE |= {"G21": ("东湖街道", "幸福社区"), "G31": ("西城街道", "光明社区")}


def district(communities: set[str] | None = None) -> Store:
    """The district above in a new in-memory database, its marts built; ``communities`` keeps only theirs."""
    rows = []
    for rid, grid, (month, day), accepted, responded in RECORDS:
        street, community = PLACE[grid]
        if communities is not None and community not in communities:
            continue
        created = dt.datetime(2026, month, day, 10, 0)
        monday = created.date() - dt.timedelta(days=created.weekday())
        rows.append(
            {
                "source": "12345", "record_id": rid, "created_at": created, "street": street,
                "community": community, "grid_id": grid, "text": f"诉求{rid}",
                "accepted_at": created if accepted else None,
                "responded_at": created + dt.timedelta(hours=2) if responded else None,
                "iso_week": f"{monday.isocalendar()[0]}-W{monday.isocalendar()[1]:02d}", "week_start": monday,
            }
        )  # fmt: skip
    columns = {**schema.RECORD, **schema.RECORD_DERIVED}
    records = pl.DataFrame([{c: row.get(c) for c in columns} for row in rows], schema=columns)
    grids = pl.DataFrame(
        [g for g in GRIDS if communities is None or g[3] in communities],
        schema=["grid_id", "grid_name", "street", "community"],
        orient="row",
    )
    store = dl.connect(":memory:")
    with store.transaction() as con:
        Store.insert(con, "records", records)
        Store.insert(con, "grids", grids)
    build_marts(store)
    return store


@pytest.fixture(scope="module")
def tiny():
    with district() as store:
        yield store


def _counts(frame: pl.DataFrame) -> dict[str, list[int]]:
    """grid → its weekly counts in week order."""
    ordered = frame.sort("grid_id", "week_start")
    return {g: part["n"].to_list() for (g,), part in ordered.group_by("grid_id", maintain_order=True)}


def test_the_whole_district_lists_every_grid_of_the_registry_and_of_the_records(tiny):
    grid_week = scoped(tiny).query("mart_grid_week")
    assert _counts(grid_week) == {
        "G11": [0, 1, 3], "G12": [1, 0, 0], "G21": [2, 0, 1], "G31": [0, 2, 1], "G99": [0, 0, 1]
    }  # fmt: skip


def test_a_community_lists_only_its_own_grids(tiny):
    # the bug: mart_grid_week cross-joins the grid registry, and only mart_records was scoped, so a
    # community listed G21 and G31 (other communities' grids) with zero records
    grid_week = scoped(tiny, Scope("community", "翠竹社区")).query("mart_grid_week")
    assert _counts(grid_week) == {"G11": [0, 1, 3], "G12": [1, 0, 0], "G99": [0, 0, 1]}
    assert set(grid_week["community"]) == {"翠竹社区"}
    g99 = grid_week.filter(pl.col("grid_id") == "G99").row(0, named=True)
    assert g99["grid_name"] == "G99"  # a grid the registry lacks is named by its id, as in the district
    w46 = grid_week.filter((pl.col("grid_id") == "G11") & (pl.col("week_start") == W46)).row(0, named=True)
    assert (w46["n"], w46["n_prev_week"], w46["baseline_mean"]) == (3, 1, 0.5)


@pytest.mark.parametrize(
    ("scope", "grids"),
    [
        (Scope("street", "东湖街道"), {"G11", "G12", "G21", "G99"}),
        (Scope("street", "西城街道"), {"G31"}),
        (Scope("community", "幸福社区"), {"G21"}),
        (Scope("grid_id", "G31"), {"G31"}),
        (Scope("grid_id", "G99"), {"G99"}),
    ],
)
def test_every_scope_lists_its_grids_and_no_other(tiny, scope, grids):
    marts = scoped(tiny, scope)
    assert set(marts.query("mart_grid_week")["grid_id"]) == grids
    assert set(marts.query("mart_grid_theme_week")["grid_id"]) == grids
    assert set(marts.query("mart_kpi", "level = 'grid'")["grid_id"]) == grids


def test_a_quiet_week_still_counts_in_a_scope_the_calendar_is_the_districts(tiny):
    # 光明社区 has no record in W44: its grid's series still starts in W44, at zero
    grid_week = scoped(tiny, Scope("community", "光明社区")).query("mart_grid_week", order="week_start")
    assert grid_week["week_start"].to_list() == [W44, W45, W46]
    assert grid_week["n"].to_list() == [0, 2, 1]


def test_scoped_records_are_the_scopes_records(tiny):
    # the report's 典型诉求 read mart_records "scoped": the model re-ran over every record, so a street
    # report quoted other streets' texts
    west = scoped(tiny, "street=西城街道").query("mart_records", order="record_id")
    assert west["record_id"].to_list() == ["g1", "g2", "g3"]
    recent = scoped(tiny, Scope("community", "翠竹社区"), (W46, W46)).query("mart_records", order="record_id")
    assert recent["record_id"].to_list() == ["c2", "c3", "c4", "c6"]


def test_scoped_kpis_are_computed_over_the_scopes_records_only(tiny):
    total = scoped(tiny).query("mart_kpi", "level = 'total'").row(0, named=True)
    assert (total["n"], total["n_accepted"], total["n_responded"], total["response_rate"]) == (12, 10, 8, 0.8)
    cuizhu = scoped(tiny, Scope("community", "翠竹社区")).query("mart_kpi", "level = 'total'").row(0, named=True)
    assert (cuizhu["n"], cuizhu["n_accepted"], cuizhu["n_responded"], cuizhu["response_rate"]) == (6, 4, 2, 0.5)
    summary = scoped(tiny, Scope("community", "翠竹社区")).query("mart_week_summary", order="week_start")
    assert summary["n"].to_list() == [1, 1, 4]
    assert summary["grids_active"].to_list() == [1, 1, 2]


def test_a_range_of_weeks_keeps_the_records_raised_in_it(tiny):
    last_two = scoped(tiny, weeks=(W45, W46)).query("mart_kpi", "level = 'total'").row(0, named=True)
    assert last_two["n"] == 9  # c1 g1 g2 in W45; c2 c3 c4 c6 x3 g3 in W46
    both = scoped(tiny, Scope("community", "翠竹社区"), (W46, W46)).query("mart_kpi", "level = 'total'")
    assert both.select("n", "n_accepted", "n_responded").row(0) == (4, 3, 1)


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


def test_every_mart_over_a_scope_equals_the_mart_built_from_that_scopes_data_alone(tiny):
    # 翠竹社区 has records in every week of the district, so even the calendar is the same
    marts = scoped(tiny, Scope("community", "翠竹社区"))
    with district({"翠竹社区"}) as alone:
        models = [name for name, _ in sql_models() if name.startswith("mart_")]
        assert len(models) >= 8
        for name in models:
            assert_frame_equal(_sorted(marts.query(name)), _sorted(alone.table(name)))


def test_the_unscoped_query_reads_the_stored_mart(tiny):
    assert_frame_equal(scoped(tiny).query("mart_kpi", order="level, street, community, grid_id"),
                       tiny.sql("select * from mart_kpi order by level, street, community, grid_id"))  # fmt: skip


def test_an_unknown_relation_is_refused_before_any_sql_runs(tiny):
    with pytest.raises(ValueError, match="no mart, table or view named"):
        scoped(tiny, Scope("street", "东湖街道")).query("mart_kpi; drop table records")
    assert tiny.count("records") == 12


def test_scopes_are_parsed_and_checked():
    assert Scope.parse("社区=翠竹社区") == Scope("community", "翠竹社区")
    assert Scope.parse("grid=G31") == Scope("grid_id", "G31")
    assert Scope.parse(None) is None
    assert str(Scope("street", "东湖街道")) == "street=东湖街道"
    with pytest.raises(UsageError, match="--scope 的格式应为"):
        Scope.parse("东湖街道")
    with pytest.raises(ValueError, match="a scope is one of"):
        Scope("province", "浙江")


def test_a_scope_filters_a_frame_that_carries_its_place_and_keeps_one_that_does_not():
    frame = pl.DataFrame({"community": ["翠竹社区", "幸福社区", None], "n": [1, 2, 3]})
    assert Scope("community", "翠竹社区").filter(frame)["n"].to_list() == [1]
    assert Scope("street", "东湖街道").filter(frame).height == 3
