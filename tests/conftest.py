"""Shared fixtures: one small synthetic district, generated and run through the pipeline once per session."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest

import demandlab as dl
from demandlab.config import demo_config
from demandlab.pipeline import inputs
from demandlab.report import write_report
from demandlab.signals.people import with_people
from demandlab.signals.places import LocateContext, learn_compounds
from demandlab.signals.stage import SignalsContext, repeats_stage
from demandlab.synth import SynthResult, generate
from demandlab.text.clean import CleanContext
from demandlab.text.segment import SegmentContext
from demandlab.themes.assign import AssignContext
from demandlab.themes.registry import final_mapping

#: The moment the whole suite runs "at", whatever the machine's clock says: every stage, job, report and
#: subprocess reads it through demandlab.clock (tests/test_clock.py runs the date logic a year later too).
FIXED_NOW = "2026-11-16T09:00:00"
os.environ["DEMANDLAB_NOW"] = FIXED_NOW

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SMALL_RECORDS = 6_000
SMALL_SEED = 3
#: Rows of each stage's sample (stage_samples).
STAGE_SAMPLE = 1_500


@pytest.fixture(scope="session")
def district(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """A small synthetic district (about 6,000 records) with its ground truth."""
    return generate(tmp_path_factory.mktemp("district"), n_records=SMALL_RECORDS, seed=SMALL_SEED)


@pytest.fixture(scope="session")
def demo_run(district: SynthResult, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The district ingested, run through every stage, and its latest week reported."""
    root = tmp_path_factory.mktemp("run")
    cfg = demo_config(root / "data", root / "reports")
    store = dl.connect(cfg.paths.db)
    pipe = dl.Pipeline(store, cfg)
    pipe.load_grids(district.registry)
    batches = {path.name: pipe.ingest(path) for path in district.export_paths}
    summary = pipe.run()
    report = write_report(store, root / "reports" / "latest.html", config=cfg)
    return {"store": store, "config": cfg, "pipeline": pipe, "batches": batches, "summary": summary, "report": report}


@pytest.fixture(scope="session")
def truth_records(district: SynthResult) -> pl.DataFrame:
    return pl.read_parquet(district.root / "truth" / "records.parquet")


@pytest.fixture(scope="session")
def truth_pii(district: SynthResult) -> pl.DataFrame:
    return pl.read_parquet(district.root / "truth" / "pii.parquet")


@pytest.fixture
def store() -> dl.Store:
    with dl.connect(":memory:") as s:
        yield s


@pytest.fixture
def fixed_now() -> dt.datetime:
    return dt.datetime.fromisoformat(FIXED_NOW)


@pytest.fixture
def cache_releases(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every release of DuckDB's cache (``pipeline.batches.release_cache``) the test makes: the limit it restores,
    or False when a transaction was open — which it must never be (a limit DuckDB cannot meet aborts it)."""
    import duckdb

    from demandlab.pipeline import batches

    real, calls = batches.release_cache, []

    def checked(con, limit):
        try:
            con.execute("begin transaction")
        except duckdb.TransactionException:
            calls.append(False)
        else:
            con.execute("rollback")
            calls.append(limit)
        return real(con, limit)

    monkeypatch.setattr(batches, "release_cache", checked)
    return calls


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; the test is skipped when it is absent (a fresh clone has none)."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path}")
    return path


def _has_cjk_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    found = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


@pytest.fixture(scope="module")
def chromium() -> str:
    """The machine's Chromium with a CJK font beside it (the report, the notebooks' HTML and saved charts are
    read in Chinese). Skips without them, unless DEMANDLAB_REQUIRE_BROWSER=1 (set by .ci/run): then a failure."""
    problem = None
    if CHROMIUM is None:
        problem = "Chromium not installed (apt-get install chromium)"
    elif not _has_cjk_font():  # every character would print as an empty box, and no text could be checked
        problem = "no CJK font: apt-get install fonts-noto-cjk (the report is read in Chinese)"
    if problem and os.environ.get("DEMANDLAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"required by DEMANDLAB_REQUIRE_BROWSER=1: {problem}")
    if problem:
        pytest.skip(problem)
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium):
    """Headless Chromium driven by Playwright (see :func:`chromium`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def stage_samples(demo_run) -> dict[str, tuple[pl.DataFrame, object]]:
    """For each stage of demandlab.stages, an input drawn from the session district and the context it runs with
    (tests/test_stage_contract.py splits them in one process, tests/spark/test_stages.py runs them in Spark)."""
    store, pipe = demo_run["store"], demo_run["pipeline"]
    raw = store.sql(
        "select * from restricted.raw_records qualify row_number() over "
        "(partition by source, record_id order by version desc) = 1 order by source, record_id limit ?",
        [STAGE_SAMPLE],
    )
    records = store.sql(
        "select source, record_id, content_hash, title, text, address, building from records "
        "order by source, record_id limit ?",
        [STAGE_SAMPLE],
    )
    tokens = store.sql(
        "select source, record_id, content_hash, tokens from tokens order by all limit ?", [STAGE_SAMPLE]
    )
    version, model = pipe.current_model()
    clusters = tuple(sorted(final_mapping(inputs.cluster_themes(store, version), pipe.overrides()).items()))
    compounds = tuple(inputs.compounds(store))
    signal = pipe.signal_records()
    with_tokens = pipe.signal_records(text=True).drop("title", "text")
    signals_ctx = SignalsContext(
        config=demo_run["config"].signals, model=model.to_bytes(), last_week=signal["week_start"].max()
    )
    # the alert stages read people as the signals stage gives them: contacts, else near-duplicate groups
    people = with_people(signal, repeats_stage(with_tokens, signals_ctx))
    return {
        "clean": (raw, CleanContext(b"contract-salt", dt.datetime(2026, 11, 16, 9))),
        "segment": (records, SegmentContext(places=tuple(inputs.place_names(store)), workers=1)),
        "assign": (tokens, AssignContext(model.to_bytes(), version, clusters)),
        "locate": (records, LocateContext(compounds, learn_compounds(records, compounds))),
        "crowd": (people, signals_ctx),
        "repeat_callers": (people, signals_ctx),
        "repeats": (with_tokens, signals_ctx),
    }
