"""A week's update of the signal marts equals computing them all again, and costs what the week costs.

The synthetic district is loaded without its last week of 12345 work orders and run; the week is then
loaded and run (the signals update from the changed week on); and the signals are computed again from
nothing. Every signal mart must be the same, row for row.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import replace

import polars as pl
import pytest

import demandlab as dl
from demandlab import sql
from demandlab.config import demo_config
from demandlab.pipeline import contexts, runner, signal_pass
from demandlab.signals import stage
from demandlab.signals.hot import week_end
from demandlab.signals.people import with_people
from demandlab.signals.repeats import find_repeats, fitted_tfidf
from demandlab.signals.stage import SIGNAL_MARTS_ORDER

TIME, ID = "来电时间", "工单编号"


def _split_hotline(path, before, after, last_monday: dt.date) -> int:
    """Write the work orders raised before ``last_monday`` to ``before`` and the others to ``after``."""
    with path.open(encoding="gb18030", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    at, key = header.index(TIME), header.index(ID)
    cut = last_monday.strftime("%Y/%m/%d")
    early = [r for r in body if r[at][:10] < cut]
    # a planted duplicate id in the later part is a correction moving an earlier work order into the last week:
    # the signals of its old week are computed again too (mart_records reports the old row's created_at)
    late = [r for r in body if r[at][:10] >= cut]
    assert {r[key] for r in early} & {r[key] for r in late}, "the district plants no correction"
    for target, part in ((before, early), (after, late)):
        with target.open("w", encoding="gb18030", newline="") as handle:
            csv.writer(handle).writerows([header, *part])
    return len(late)


def _marts(store: dl.Store) -> dict[str, pl.DataFrame]:
    return {name: store.sql(f"select * from {name} order by all") for name in SIGNAL_MARTS_ORDER}


@pytest.fixture(scope="module")
def updated(district, tmp_path_factory):
    """The district run without its last week of work orders, then with it (an update); the marts after."""
    root = tmp_path_factory.mktemp("incremental")
    cfg = demo_config(root / "data", root / "reports")
    end = dt.date.fromisoformat(district.truth["generator"]["end"])
    last_monday = end - dt.timedelta(days=end.weekday())
    hotline = district.exports["hotline"]
    before, after = root / "hotline_before.csv", root / "hotline_last_week.csv"
    n_late = _split_hotline(hotline, before, after, last_monday)
    store = dl.connect(cfg.paths.db)
    pipe = dl.Pipeline(store, cfg)
    pipe.load_grids(district.registry)
    for path in (p for p in district.export_paths if p != hotline):
        pipe.ingest(path)
    pipe.ingest(before)
    pipe.run()
    assert store.meta("signals_since") is None
    pipe.ingest(after)
    blocks, fresh, since = [], [], []
    real_blocks, real_tables, real_run = signal_pass.week_blocks, signal_pass.outputs.signal_tables, runner.run_signals
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(signal_pass, "week_blocks", lambda *a, **k: blocks.append(a[:2]) or real_blocks(*a, **k))
        patch.setattr(signal_pass.outputs, "signal_tables", lambda *a: fresh.append(1) or real_tables(*a))
        patch.setattr(runner, "run_signals", lambda store, ctx, *a: since.append(ctx.since) or real_run(store, ctx, *a))
        pipe.run()
    yield {"store": store, "pipe": pipe, "marts": _marts(store), "blocks": blocks, "fresh": fresh, "since": since,
           "first_data": store.scalar("select min(week_start) from mart_records"), "last_monday": last_monday,
           "n_late": n_late}  # fmt: skip
    store.close()


def test_the_update_computes_the_changed_weeks_only(updated):
    assert updated["n_late"] > 0
    assert not updated["fresh"]  # no table was created again
    # the earliest record whose row of mart_records changed (a new work order, or an old one it corrects)
    (since,) = updated["since"]
    assert since is not None
    (first, last), *_ = updated["blocks"]  # the weeks computed again: from that record's week (or from the week
    # of an older record its repeat group now holds, at most a repeat window before) to the last
    assert last == updated["last_monday"]
    assert since.date() - dt.timedelta(days=30 + 6) <= first <= since.date()
    assert first > updated["first_data"]


def test_every_signal_mart_after_an_update_equals_a_computation_from_scratch(updated):
    store, pipe = updated["store"], updated["pipe"]
    assert updated["marts"]["mart_surge_scores"]["week_start"].max() == updated["last_monday"]
    with store.transaction() as con:
        con.execute("insert or replace into meta values ('signals_since', 'all')")
    pipe.signals()
    again = _marts(store)
    for name in SIGNAL_MARTS_ORDER:
        assert again[name].height == updated["marts"][name].height, name
        assert again[name].equals(updated["marts"][name]), name


def test_blocks_of_one_week_give_what_blocks_of_thirteen_give(updated, monkeypatch):
    """A dense district computes its weeks in smaller blocks (stage.block_weeks): the marts must not change.
    Blocks of one week here (BLOCK_RECORDS below the busiest week) against the 13 weeks the district gets."""
    store, pipe = updated["store"], updated["pipe"]
    *_, busiest = store.con.execute(sql.text("io/signal_weeks")).fetchall()[0]  # what run_signals reads
    assert stage.block_weeks(busiest) == stage.BLOCK_WEEKS  # the district's own blocks: 13 weeks
    sizes, real_blocks = [], signal_pass.week_blocks
    monkeypatch.setattr(stage, "BLOCK_RECORDS", busiest - 1)
    monkeypatch.setattr(signal_pass, "week_blocks", lambda first, last, weeks: sizes.append(weeks) or real_blocks(
        first, last, weeks))  # fmt: skip
    with store.transaction() as con:
        con.execute("insert or replace into meta values ('signals_since', 'all')")
    pipe.signals()
    assert sizes and set(sizes) == {1}  # repeats and weeks, block by block, one week each
    again = _marts(store)
    for name in SIGNAL_MARTS_ORDER:
        assert again[name].equals(updated["marts"][name]), name


def test_hot_issues_read_only_their_examples_texts_and_give_what_the_whole_texts_give(updated):
    """The signals step reads the hot issues' period with tokens alone and the title and text of the examples'
    records afterwards (signal_pass.record_texts): the hot issues equal those of the period read whole, and
    mart_hot_issues holds them."""
    store, pipe = updated["store"], updated["pipe"]
    keys = signal_pass.read.place_keys(store)
    first, last = store.con.execute("select min(week_start), max(week_start) from mart_records").fetchall()[0]
    current = pipe.current_model()
    ctx = contexts.signals(pipe.config, current[1] if current else None, None)
    ctx = replace(ctx, start=first, last_week=last)
    start = week_end(last) - dt.timedelta(weeks=ctx.config.hot_weeks)
    period = signal_pass.read.signal_records(store, True, start, groups=True, keys=keys)
    people = with_people(period.drop("title", "text", "tokens"))
    past = signal_pass.read.signal_place_counts(store, start - dt.timedelta(weeks=52), start, keys)
    whole = stage.hot_stage(people, period.select("source", "record_id", "created_at", "title", "text", "tokens"),
                            None, ctx, past)  # fmt: skip
    asked = []

    def text_of(records: pl.DataFrame) -> pl.DataFrame:
        asked.append(records.height)
        return signal_pass.record_texts(store, records)

    alone = stage.hot_stage(people, period.select("source", "record_id", "created_at", "tokens"), None, ctx, past,
                            text_of)  # fmt: skip
    assert whole.height > 5 and whole["examples"].list.len().min() > 0
    assert alone.equals(whole)
    assert len(asked) == 1 and 0 < asked[0] < period.height  # the examples' records only, read once
    stored = store.sql("select * from mart_hot_issues order by rank")
    assert stored.select("hot_id", "matter", "examples").equals(
        whole.sort("rank").select("hot_id", "matter", "examples")
    )


def test_surges_and_crowds_are_corrected_within_their_street(updated):
    """The families of the multiple-testing correction: each grid's street from the registry, each place's the
    street most of its records are in — over all records, so the update above and the pass from scratch agree."""
    store = updated["store"]
    keys = signal_pass.read.place_keys(store)
    grids, places = signal_pass.families(store, keys)
    registry = dict(store.sql("select grid_id, street from grids").iter_rows())
    assert grids.height >= len(registry) and all(registry[g] == f for g, f in grids.iter_rows() if g in registry)
    assert grids["family"].n_unique() > 1 and places["place_key"].is_unique().all()
    counted = store.sql(
        "select p.place_key, p.place_kind, m.street from record_places p join mart_records m using (source, record_id)"
        " where p.place_key is not null and m.street is not null"
    ).join(keys, on=["place_key", "place_kind"])
    for unified, family in places.sample(20, seed=1, with_replacement=True).iter_rows():
        streets = counted.filter(pl.col("unified") == unified)["street"].value_counts().sort("count", descending=True)
        assert streets["count"][0] == streets.filter(pl.col("street") == family)["count"][0]


def test_a_full_pass_stopped_midway_is_done_again_whole(updated):
    """A full pass commits block by block: stopped after a commit, it has noted that the next run must
    pass again from scratch, which gives what an uninterrupted pass gives. (Here the pass is due to a
    signal mart gone missing, which the first commit creates again: without the note the next run
    would take the half-filled marts for up to date.)"""
    store, pipe = updated["store"], updated["pipe"]
    with store.transaction() as con:
        con.execute("drop table mart_hot_issues")
    assert store.meta("signals_since") is None
    real, calls = signal_pass.outputs.signal_rows, []

    def stops(con, table, frame):
        calls.append(table)
        if calls.count("mart_alerts") == 2:  # the second block of weeks, after the first committed
            raise KeyboardInterrupt
        return real(con, table, frame)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(signal_pass.outputs, "signal_rows", stops)
        with pytest.raises(KeyboardInterrupt):
            pipe.signals()
    assert store.meta("signals_since") == "all"
    weeks = store.scalar("select count(distinct week_start) from mart_surge_scores")
    assert 0 < weeks < updated["marts"]["mart_surge_scores"]["week_start"].n_unique()  # the first block kept
    pipe.signals()
    assert store.meta("signals_since") is None
    again = _marts(store)
    for name in SIGNAL_MARTS_ORDER:
        assert again[name].equals(updated["marts"][name]), name


def test_a_full_pass_lets_duckdbs_cache_go_between_its_transactions_and_gives_the_same_marts(updated, cache_releases):
    """At ten million records DuckDB kept 2 GB of what the signals read under the frames they worked on: a full
    pass lets it go once a block has read its records. Only ever between transactions (a limit DuckDB cannot
    meet inside one aborts it), and the marts are those of the pass before."""
    store, pipe = updated["store"], updated["pipe"]
    with store.transaction() as con:
        con.execute("insert or replace into meta values ('signals_since', 'all')")
    pipe.signals()
    # repeats, weeks (twice a block), people, hot issues; each restoring the pipeline's limit
    assert len(cache_releases) >= 4 and cache_releases == [pipe.config.engine.memory_limit] * len(cache_releases)
    assert store.con.execute("select current_setting('memory_limit')").fetchall()[0][0] in ("1.8 GiB", "1.8GiB")
    again = _marts(store)
    for name in SIGNAL_MARTS_ORDER:
        assert again[name].equals(updated["marts"][name]), name


def test_without_a_model_a_large_database_compares_repeats_block_by_block(updated):
    """Without a theme model the TF-IDF of repeats is fitted on the records. Up to REPEATS_AT_ONCE records they are
    compared all at once; above, the TF-IDF is fitted on a sample of that many and the records are compared a block
    of weeks at a time, as with the model (every record's tokens at once took 3 M records to 6.9 GiB). The groups
    equal one comparison of every record with that TF-IDF."""
    store, pipe = updated["store"], updated["pipe"]
    real_read, reads = signal_pass.read.signal_records, []

    def spy(store_, text=False, start=None, **kw):
        if text == "tokens" and not kw.get("groups"):  # the repeats' reads (hot issues read with groups)
            reads.append((start, kw.get("end")))
        return real_read(store_, text, start, **kw)

    ctx = contexts.signals(pipe.config, None, None)  # a full pass with no model
    cap = store.count("mart_records") // 10
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(signal_pass.read, "signal_records", spy)
        signal_pass.run_signals(store, ctx, "no model")
        assert reads == [(None, None)]  # a small database: all at once, as before
        reads.clear()
        patch.setattr(signal_pass, "REPEATS_AT_ONCE", cap)
        signal_pass.run_signals(store, ctx, "no model")
    assert len(reads) > 3 and all(start is not None for start, _ in reads)  # block by block
    sample = store.sql(sql.text("io/repeat_fit_sample"), {"n": cap})["tokens"]
    assert sample.len() == cap and sample.n_unique() > cap // 2
    settings = pipe.config.signals
    expected = find_repeats(
        real_read(store, "tokens"),
        threshold=settings.repeat_similarity,
        window_days=settings.repeat_window_days,
        vectorize=fitted_tfidf(sample.to_list()),
    )
    got = store.sql("select * from mart_repeats order by repeat_group_id, created_at, source, record_id")
    assert got.height > 10 and got.equals(expected)
    pipe.signals()  # the settings noted differ: a full pass with the model, as the module's other tests found it
    assert _marts(store)["mart_repeats"].equals(updated["marts"]["mart_repeats"])


def test_only_records_counted_by_their_group_move_the_weeks_computed_again_back(updated):
    """A record whose repeat group changed is another person only when it has no contact (people are their
    contact otherwise, :mod:`demandlab.signals.people`): an update computes the weeks again from the earliest
    such record, not from a record with a contact whose group changed, however far back."""
    store, pipe = updated["store"], updated["pipe"]
    last_monday = updated["last_monday"]
    far, near = (
        dt.datetime.combine(last_monday - dt.timedelta(weeks=20), dt.time(9)),
        dt.datetime.combine(last_monday - dt.timedelta(weeks=2, days=-1), dt.time(9)),
    )
    regrouped = pl.DataFrame(
        {"source": ["12345", "visit"], "record_id": ["far", "near"], "created_at": [far, near],
         "contact_key": ["k-far", None]},
        schema={"source": pl.String, "record_id": pl.String, "created_at": pl.Datetime("us"), "contact_key": pl.String},
    )  # fmt: skip
    firsts = []

    def weeks(store_, ctx, keys, first, *args, **kwargs):
        firsts.append(first)
        raise KeyboardInterrupt  # the transaction rolls back: the module's database is left as it was

    with store.transaction() as con:
        dl.Store.set_meta(con, "signals_since", dt.datetime.combine(last_monday, dt.time()).isoformat())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(signal_pass, "_repeats", lambda *a: regrouped)
        patch.setattr(signal_pass, "_weeks", weeks)
        with pytest.raises(KeyboardInterrupt):
            pipe.signals()
    assert firsts == [near.date() - dt.timedelta(days=near.weekday())]
    with store.transaction() as con:
        con.execute("delete from meta where key = 'signals_since'")
    assert _marts(store)["mart_surge_scores"].equals(updated["marts"]["mart_surge_scores"])
