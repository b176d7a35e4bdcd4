"""Rows stages in batches and worker processes give what one call over every row gives."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io

import polars as pl
import pytest

import demandlab as dl
from demandlab.config import EngineConfig, TextConfig, ThemesConfig, demo_config
from demandlab.pipeline import batches, inputs
from demandlab.synth import generate
from demandlab.text.clean import CleanContext, clean_stage

#: Tables the rows stages write, and every mart built from them.
COMPARED = ("records", "tokens", "assignments", "record_places")


def _run(root, district, engine: EngineConfig, workers: int, fit_sample: int = 250_000) -> dl.Store:
    cfg = demo_config(root / "data", root / "reports")
    salt = root.parent / "salt"  # one salt for every database: the same callers get the same keys
    salt.write_text("a fixed salt for the comparison\n", encoding="ascii")
    cfg = dataclasses.replace(
        cfg,
        privacy=dataclasses.replace(cfg.privacy, salt_file=salt),
        engine=engine,
        text=dataclasses.replace(cfg.text, workers=workers),
        themes=dataclasses.replace(cfg.themes, fit_sample=fit_sample),
    )
    store = dl.connect(cfg.paths.db)
    pipe = dl.Pipeline(store, cfg, now=lambda: dt.datetime(2026, 11, 16, 9))
    pipe.load_grids(district.registry)
    for path in district.export_paths:
        pipe.ingest(path)
    pipe.run()
    return store


@pytest.fixture(scope="module")
def small_district(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("district"), n_records=2_000, seed=5, weeks=80, end=dt.date(2026, 11, 8))


@pytest.fixture(scope="module")
def whole_and_batched(small_district, tmp_path_factory):
    whole = _run(tmp_path_factory.mktemp("whole"), small_district, EngineConfig(batch_rows=10**9), workers=1)
    batched = _run(tmp_path_factory.mktemp("batched"), small_district, EngineConfig(batch_rows=450), workers=2)
    return whole, batched


def _sorted(store: dl.Store, table: str) -> pl.DataFrame:
    frame = store.table(table)
    drop = [c for c in ("cleaned_at", "assigned_at", "loaded_at") if c in frame.columns]
    return frame.drop(drop).sort(frame.columns[: min(4, frame.width)], nulls_last=True)


def test_batched_stages_in_worker_processes_write_what_one_pass_writes(whole_and_batched):
    whole, batched = whole_and_batched
    assert whole.count("records") > 4 * 450  # several batches, so the pool was used
    for table in COMPARED:
        left, right = _sorted(whole, table), _sorted(batched, table)
        differ = [c for c in left.columns if not left[c].equals(right[c])]
        assert not differ, (table, differ)
    assert whole.meta("theme_model") == batched.meta("theme_model")


def test_batched_marts_and_signals_equal_one_pass(whole_and_batched):
    whole, batched = whole_and_batched
    marts = [t for t in whole.tables() if t.startswith("mart_")]
    assert {"mart_records", "mart_kpi", "mart_alerts", "mart_grid_theme_week"} <= set(marts)
    for table in marts:
        left, right = whole.table(table), batched.table(table)
        assert left.columns == right.columns, table
        key = [c for c in left.columns if left.schema[c] != pl.List(pl.String)]
        assert left.sort(key, nulls_last=True).equals(right.sort(key, nulls_last=True)), table


def test_a_fit_learns_from_a_fixed_sample_and_every_record_is_assigned(small_district, tmp_path):
    store = _run(tmp_path, small_district, EngineConfig(), workers=1, fit_sample=800)
    n = store.count("records")
    assert store.scalar("select n_records from theme_models") == 800
    version = store.meta("theme_model")
    assert store.scalar("select count(*) from assignments where model_version = ?", [version]) == n
    start = dt.date(1900, 1, 1)
    first, again = inputs.fit_tokens(store, start, 800), inputs.fit_tokens(store, start, 800)
    assert first.height == 800 and first.equals(again)
    assert first.select("source", "record_id").equals(first.select("source", "record_id").sort("source", "record_id"))
    # above the window's size the sample is the whole window
    assert inputs.fit_tokens(store, start, 10**6).height == n


def test_a_stage_stopped_between_commits_is_finished_by_the_next_run(small_district, whole_and_batched, tmp_path):
    """A rows stage commits every COMMIT_BATCHES batches (DuckDB holds uncommitted rows outside its
    memory limit): stopped after that, it keeps what it committed, and the next run does the rest,
    with what an uninterrupted run writes."""
    from demandlab.stages import STAGES

    root = tmp_path / "stopped"
    cfg = demo_config(root / "data", root / "reports")
    salt = tmp_path.parent / "salt"
    salt.write_text("a fixed salt for the comparison\n", encoding="ascii")
    cfg = dataclasses.replace(
        cfg, privacy=dataclasses.replace(cfg.privacy, salt_file=salt), engine=EngineConfig(batch_rows=150)
    )
    cfg = dataclasses.replace(cfg, text=dataclasses.replace(cfg.text, workers=1))
    store = dl.connect(cfg.paths.db)
    pipe = dl.Pipeline(store, cfg, now=lambda: dt.datetime(2026, 11, 16, 9))
    pipe.load_grids(small_district.registry)
    for path in small_district.export_paths:
        pipe.ingest(path)
    stage, calls = STAGES["clean"], []

    def stops(batch, ctx):
        calls.append(batch.height)
        if len(calls) == batches.COMMIT_BATCHES + 2:
            raise KeyboardInterrupt  # as a kill would, between two commits
        return stage.fn(batch, ctx)

    STAGES["clean"] = dataclasses.replace(stage, fn=stops)
    try:
        with pytest.raises(KeyboardInterrupt):
            pipe.clean()
    finally:
        STAGES["clean"] = stage
    assert store.count("records") == batches.COMMIT_BATCHES * 150  # the committed batches, not the one after
    pipe.clean()
    whole, _ = whole_and_batched
    assert whole.count("records") > (batches.COMMIT_BATCHES + 2) * 150
    assert _sorted(store, "records").equals(_sorted(whole, "records"))


def _pipe(root, district, batch_rows: int) -> dl.Pipeline:
    cfg = demo_config(root / "data", root / "reports")
    salt = root.parent / "salt"
    salt.write_text("a fixed salt for the comparison\n", encoding="ascii")
    cfg = dataclasses.replace(
        cfg,
        privacy=dataclasses.replace(cfg.privacy, salt_file=salt),
        engine=EngineConfig(batch_rows=batch_rows),
        text=dataclasses.replace(cfg.text, workers=1),
    )
    pipe = dl.Pipeline(dl.connect(cfg.paths.db), cfg, now=lambda: dt.datetime(2026, 11, 16, 9))
    pipe.load_grids(district.registry)
    return pipe


@pytest.mark.parametrize("everything", [False, True])
def test_locate_stopped_between_commits_is_finished_by_the_next_run(small_district, tmp_path, everything):
    """Locate commits every COMMIT_BATCHES batches too (one transaction over every record of ten million held them
    all outside DuckDB's memory limit). It notes its place evidence before the first: stopped, the next run locates
    the rest with the same evidence; a relocation of every record (a first run, or the registry's compounds changed)
    has not noted its place finder yet, so it is done again whole. Either way the places equal an uninterrupted
    run's. ``everything``: the stopped locate is the first; else it locates a second export after a first."""
    from demandlab.stages import STAGES

    *first, last = small_district.export_paths
    runs = {}
    for name in ("stopped", "straight"):
        pipe = _pipe(tmp_path / name, small_district, batch_rows=40)
        for path in first if not everything else small_district.export_paths:
            pipe.ingest(path)
        pipe.clean()
        if not everything:
            pipe.locate()
            pipe.ingest(last)
            pipe.clean()
        pending = inputs.pending_places(everything).read(pipe.store).height
        assert pending > (batches.COMMIT_BATCHES + 2) * 40
        stage, calls = STAGES["locate"], []

        def stops(batch, ctx, stage=stage, calls=calls):
            calls.append(batch.height)
            if len(calls) == batches.COMMIT_BATCHES + 2:
                raise KeyboardInterrupt  # as a kill would, between two commits
            return stage.fn(batch, ctx)

        if name == "stopped":
            finder, before = pipe.store.meta("place_finder"), pipe.store.count("record_places")
            STAGES["locate"] = dataclasses.replace(stage, fn=stops)
            try:
                with pytest.raises(KeyboardInterrupt):
                    pipe.locate()
            finally:
                STAGES["locate"] = stage
            assert pipe.store.meta("place_finder") == finder  # noted with the last rows only
            assert pipe.store.count("record_places") - before == batches.COMMIT_BATCHES * 40  # what was committed
            noted = pipe.store.meta("place_evidence")  # before any record was located: what the rest is located with
        placed, relocated = pipe.locate()
        assert relocated == (everything and placed > 0)
        runs[name] = (_sorted(pipe.store, "record_places"), pipe.store.meta("place_evidence"))
        pipe.store.close()
    assert runs["stopped"][0].height > 0 and runs["stopped"][0].equals(runs["straight"][0])
    assert runs["stopped"][1] == runs["straight"][1] == noted


@pytest.mark.parametrize(("rows", "counted"), [(50, False), (200, False), (300, True), (1_000, True)])
def test_a_stage_of_fewer_batches_than_the_pool_needs_reads_its_input_once(tmp_path, rows, counted):
    """A week's records are one batch: the stage's input (a join over every record) is read once, not
    counted first; from POOL_BATCHES batches on it is counted, to show progress. Either way every row is
    written once, in order, and the progress total is the number of rows."""
    from demandlab.stages import STAGES

    store = dl.connect(tmp_path / "db.duckdb")
    store.con.execute("create table seen (i bigint)")
    real_scalar, queries, totals = store.scalar, [], []

    def scalar(query, params=None):
        queries.append(query)
        return real_scalar(query, params)

    @contextlib.contextmanager
    def progress(label, total):
        totals.append(total)
        yield lambda n: None

    STAGES["_echo"] = dataclasses.replace(STAGES["clean"], fn=lambda batch, ctx: batch)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(store, "scalar", scalar)
            written = batches.run_rows(
                store, "_echo", None, f"select i from range({rows}) t(i) order by i", None,
                lambda con, out: con.execute("insert into seen select * from out"),
                label="echo", progress=progress, batch_rows=100,
            )  # fmt: skip
    finally:
        del STAGES["_echo"]
    assert written == rows and totals == [rows]
    assert any("count(*)" in q for q in queries) == counted
    assert store.sql("select i from seen")["i"].to_list() == list(range(rows))


def test_another_engines_mapper_writes_every_row_and_is_closed_when_a_write_fails(tmp_path):
    """``mapper`` (Spark's: demandlab.spark.rows) replaces the pool: every row it gives is written, progress counts
    its rows; when a write fails the mapper is closed at once, so its exchange files go before the error is seen."""
    from demandlab.stages import STAGES

    store = dl.connect(tmp_path / "db.duckdb")
    store.con.execute("create table seen (i bigint)")
    closed, advanced = [], []

    def mapper(frames):
        try:
            for frame in frames:
                yield frame.with_columns(pl.col("i") * 10)
        finally:
            closed.append(True)

    @contextlib.contextmanager
    def progress(label, total):
        yield advanced.append

    def run(write):
        return batches.run_rows(
            store, "_echo", None, "select i from range(250) t(i) order by i", None, write,
            label="echo", progress=progress, batch_rows=100, mapper=mapper,
        )  # fmt: skip

    STAGES["_echo"] = dataclasses.replace(STAGES["clean"], fn=lambda batch, ctx: pytest.fail("the mapper runs it"))
    try:
        assert run(lambda con, out: con.execute("insert into seen select * from out")) == 250
        assert store.sql("select i from seen order by i")["i"].to_list() == [i * 10 for i in range(250)]
        assert sum(advanced) == 250 and closed == [True]

        def failing(con, out):
            assert not closed[1:], "closed before the failing write"
            raise OSError("disk full")

        try:
            run(failing)
        except OSError as exc:  # its traceback still holds run_rows' frame, and so the mapper, unless it was closed
            assert str(exc) == "disk full" and closed == [True, True]
        else:
            pytest.fail("the failing write did not raise")
    finally:
        del STAGES["_echo"]


def test_the_pool_keeps_the_order_and_equals_one_process():
    raw = pl.DataFrame(
        {
            "text": [f"{i}号楼业主王建国电话1380013{i:04d}反映漏水" for i in range(40)],
            "created_at": [dt.datetime(2026, 11, 2) + dt.timedelta(hours=i) for i in range(40)],
        }
    )
    ctx = CleanContext(b"salt", dt.datetime(2026, 11, 16))
    parts = [raw.slice(i, 7) for i in range(0, 40, 7)]
    with batches.RowsPool("clean", ctx, workers=2) as pool:
        pooled = pl.concat(list(pool.map(parts)))
    assert pooled.equals(clean_stage(raw, ctx))
    assert "13800" not in "".join(pooled["text"].to_list())


def test_a_stage_failing_in_a_worker_names_the_error_type_and_place_never_a_value():
    raw = pl.DataFrame({"text": ["业主电话13800138000"], "created_at": ["not a time"]})  # a string, not a datetime
    failed = pytest.raises(batches.WorkerError, match=r"stage clean failed in a worker: \w+")
    with batches.RowsPool("clean", CleanContext(b"salt"), workers=1) as pool, failed as caught:
        list(pool.map([raw]))
    assert "13800138000" not in str(caught.value) and "at clean.py:" in str(caught.value)


def test_framed_messages_round_trip_and_stop_on_an_empty_one():
    stream = io.BytesIO()
    batches.write_message(stream, b"abc")
    batches.write_message(stream, b"")
    stream.seek(0)
    assert batches.read_message(stream) == b"abc"
    assert batches.read_message(stream) is None


def test_engine_settings_are_checked():
    with pytest.raises(dl.config.ConfigError, match=r"engine\.memory_limit"):
        EngineConfig(memory_limit="lots")
    with pytest.raises(dl.config.ConfigError, match=r"engine\.batch_rows"):
        EngineConfig(batch_rows=0)
    assert TextConfig().workers == 0 and ThemesConfig().fit_sample == 250_000


def test_the_memory_limit_the_config_accepts_is_the_one_duckdb_is_given():
    import duckdb

    from demandlab.duck import limit_memory

    con = duckdb.connect()
    for size in ("800MiB", "1.5GB", "2 GB"):
        EngineConfig(memory_limit=size)  # accepted by the config, so set on the connection as it is
        limit_memory(con, size)
    assert con.execute("select current_setting('memory_limit')").fetchall()[0][0] in ("1.8 GiB", "1.8GiB")
    for size in ("lots", "1GB'; set threads = 1; --", "4iB"):
        with pytest.raises(dl.config.ConfigError):
            EngineConfig(memory_limit=size)
        with pytest.raises(ValueError, match="not a memory size"):
            limit_memory(con, size)
