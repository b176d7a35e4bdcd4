"""Alerts at any density: planted surges and crowds found, false alarms per thousand grid-weeks, and what the
signals step costs, on synthetic districts of 100,000, 1,000,000 and 3,000,000 records.

Districts: ``demandlab.synth.generate`` (seed 11, data ending 2026-11-29, 104 weeks) through the whole
pipeline (grids load, ingest, run), built once into $DEMANDLAB_SCALE_DIR (default /tmp/demandlab-scale),
``<scenario>/d100k``, ``d1000k``, ``d3000k``, in two scenarios:

* ``dense``: 120 grids whatever the size (``grid_load`` so high the district never grows), so records per
  grid-week grow tenfold and thirtyfold: the busy district where fixed thresholds break;
* ``grown``: the generator's own growth rule (a grid carries about 800 records a year: 120, ~630 and
  ~1,880 grids), so the district grows and each grid stays about as busy.

Up to 191,000 records the two are the same district (120 grids). The recorded dense districts of 1M and 3M
were built by the generator before its growth rule (6cb466b, ``git archive 6cb466b src`` on PYTHONPATH),
which drew 120 grids at every size; the generator since draws another district of the same density with
``grid_load`` (:data:`SCENARIOS`), which this file builds when the folder is missing.

Truth (``truth/truth.json``): the planted surges S1–S4, 7 to 14 records a week for 2 to 4 weeks at one
compound of one grid, are the planted surges (a surge alert in the event's grid and week holding its
records) and the planted crowds (a 多人同诉 alert in the event's week holding its records: they name the
compound). An alert holding no planted record at all (of any event: surges, hot issues, repeat callers)
is a false alarm; false alarms are counted per thousand grid-weeks (grids × weeks of the data).

Rules, in the same run on the same records:

* **new** (SIGNALS_VERSION 4, :mod:`demandlab.signals.baseline`): each grid × theme and place × theme
  against its own trailing weeks, the theme's over-dispersion estimated from its series, Benjamini–Hochberg
  at 1 % per week; 多人同诉 keeps ``crowd_min_contacts`` (5) as its floor. What ``Pipeline.signals`` writes.
* **anchor** (the rule before): surges by the gamma–Poisson model over the dense grid × theme × week
  array (:func:`_old_score_surges`, the code as it was); 多人同诉 by the fixed threshold alone (5 people in
  7 days at one place: :class:`~demandlab.signals.crowd.CrowdModel` with ``relative=False``).

Cost: ``Pipeline.signals`` in a process of its own (:mod:`bench._signals_step`), wall time and peak RSS:
a full pass (settings changed) and a week's update (the records from the last week's Monday on looked
at again). With $DEMANDLAB_ANCHOR_SRC (a ``src`` folder of the code before, e.g. from ``git archive
6cb466b src``) the old signals step is timed too, up to $DEMANDLAB_ANCHOR_MAX_RECORDS (a million), on the
same database, before the new one (the code
before computed every signal again on every run but the repeats, so its update is nearly a full pass).
The machine is shared: ``load`` in the result says how busy it was.

Claims: planted surges and crowds are still found at 1M and 3M, with false alarms per thousand grid-weeks
no higher than at 100k (new rule); the anchor's crowd false alarms grow with density.

Run: .venv/bin/python -m bench.alerts_scale [dense|grown ...] [--sizes=100k,1m,3m]   (35 minutes per 3M district
the first time, when it is built; then about 15 minutes for all). The grown 1M and 3M districts are the ones
bench/scale.py builds (same generator, seed, end and growth rule): copy ``bench/1M/demandlab.duckdb*`` and
``models`` to ``grown/d1000k/data/``, link ``synth-1M`` as ``grown/d1000k/synth`` and touch ``done`` (3M alike)
rather than building them again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
from scipy.stats import nbinom

import demandlab as dl
from bench._common import RESULTS, write_result
from bench.scale import _provenance
from demandlab.config import demo_config
from demandlab.marts import read
from demandlab.signals import benjamini_hochberg, surge_alerts
from demandlab.signals.crowd import CrowdModel, crowd_alerts
from demandlab.signals.people import with_people
from demandlab.synth import generate
from demandlab.synth.district import GRID_LOAD

SIZES = {"100k": 100_000, "1m": 1_000_000, "3m": 3_000_000}
SEED, END = 11, dt.date(2026, 11, 29)
NOW = "2026-11-30T09:00:00"


#: scenario → records a grid raises a year (the generator's growth rule; dense: never grows past 120 grids)
SCENARIOS = {"dense": 10**12, "grown": GRID_LOAD}


def _root() -> Path:
    return Path(os.environ.get("DEMANDLAB_SCALE_DIR", "/tmp/demandlab-scale"))


def _config(base: Path, db: Path | None = None):
    cfg = demo_config(base / "data", base / "reports")
    return dataclasses.replace(cfg, paths=dataclasses.replace(cfg.paths, db=db)) if db else cfg


def district(scenario: str, n: int) -> Path:
    """The district of ``n`` records of ``scenario``, built once (synth → grids → ingest → run); its folder."""
    base = _root() / scenario / f"d{n // 1000}k"
    if not (base / "done").exists():
        if not (base / "synth" / "truth" / "truth.json").exists():
            generate(base / "synth", n_records=n, seed=SEED, end=END, grid_load=SCENARIOS[scenario])
        with dl.connect(_config(base).paths.db) as store:
            pipe = dl.Pipeline(store, _config(base))
            pipe.load_grids(base / "synth" / "grids.csv")
            for path in sorted(p for p in (base / "synth" / "exports").rglob("*") if p.is_file()):
                pipe.ingest(path)
            pipe.run()
        (base / "done").touch()
    return base


def _signals_step(base: Path, since: str, src: str | None = None) -> dict:
    """``Pipeline.signals`` on the district's database in a process of its own (``src``: another code's
    ``src`` folder), see :mod:`bench._signals_step`."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "DEMANDLAB_NOW": NOW}
    if src:
        env["PYTHONPATH"] = src
    command = [sys.executable, "-m", "bench._signals_step", str(base), since]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"signals step failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _old_score_surges(cells: pl.DataFrame, window: int = 12, prior_weeks: float = 4.0, min_count: int = 3,
                      min_history: int = 4, fdr: float = 0.01, shrink: float = 5.0) -> pl.DataFrame:  # fmt: skip
    """The surge model before SIGNALS_VERSION 4, as it was (gamma–Poisson over the dense array, BH over every
    grid × theme pair that ever occurs): the anchor."""
    cells = cells.select("grid_id", "theme_id", "week_start", "n").sort("grid_id", "theme_id", "week_start")
    weeks = cells["week_start"].unique().sort()
    series = cells.select("grid_id", "theme_id").unique(maintain_order=True)
    n_series, n_weeks = series.height, weeks.len()
    dense = (
        series.join(pl.DataFrame({"week_start": weeks}), how="cross", maintain_order="left_right")
        .join(cells, on=["grid_id", "theme_id", "week_start"], how="left", maintain_order="left")
        .with_columns(pl.col("n").fill_null(0))
    )
    y = dense["n"].to_numpy().reshape(n_series, n_weeks).astype(float)
    codes, theme = np.unique(series["theme_id"].to_numpy(), return_inverse=True)
    n_grids = series["grid_id"].n_unique()
    clean, expected = y.copy(), np.full_like(y, np.nan)
    p_value, alert = np.ones_like(y), np.zeros_like(y, dtype=bool)
    for t in range(n_weeks):
        lo = max(0, t - window)
        w = t - lo
        if w == 0:
            continue
        hist = clean[:, lo:t].sum(axis=1)
        own = hist / w
        theme_hist = np.bincount(theme, weights=hist, minlength=len(codes))
        alpha = theme_hist[theme] / (w * n_grids) * prior_weeks + hist
        beta = prior_weeks + w
        now = np.bincount(theme, weights=y[:, t], minlength=len(codes))
        mean = np.bincount(theme, weights=own, minlength=len(codes))
        factor = np.clip((now[theme] - y[:, t] + shrink) / (mean[theme] - own + shrink), 0.5, 10.0)
        mu = factor * alpha / beta
        expected[:, t] = mu
        test = (y[:, t] >= min_count) & (w >= min_history) & (alpha > 0)
        p = np.ones(n_series)
        p[test] = nbinom.sf(y[test, t] - 1, np.maximum(alpha[test], 1e-9), (beta / (beta + factor))[test])
        p_value[:, t] = p
        hit = test & (benjamini_hochberg(p) <= fdr)
        alert[:, t] = hit
        clean[hit, t] = np.minimum(y[hit, t], mu[hit])
    q = np.vstack([benjamini_hochberg(p_value[:, t]) for t in range(n_weeks)]).T
    return dense.with_columns(
        pl.Series("baseline", np.full(y.size, np.nan)),
        pl.Series("expected", expected.ravel()),
        pl.Series("p_value", p_value.ravel()),
        pl.Series("q_value", q.ravel()),
        pl.Series("is_alert", alert.ravel()),
    ).filter("is_alert")


def _found(alerts: pl.DataFrame, events: list[dict], by_grid: bool) -> dict:
    """Per planted event: the weeks in which an alert (in its grid, for surges) holds its records."""
    ids = alerts.with_columns(ids=pl.col("records").list.eval(pl.element().str.split(":").list.last()))
    out = {}
    for event in events:
        hit = pl.col("ids").list.eval(pl.element().is_in(event["records"])).list.any()
        if by_grid:
            hit = hit & (pl.col("grid_id") == event["grid_id"])
        weeks = sorted(set(ids.filter(hit)["iso_week"].to_list()) & set(event["weeks"]))
        out[event["id"]] = {"weeks": len(event["weeks"]), "alerted": len(weeks)}
    return out


def evaluate(alerts: pl.DataFrame, truth: dict, grid_weeks: int, by_grid: bool) -> dict:
    """Planted events found and false alarms per thousand grid-weeks of one kind of alert."""
    events = [e for e in truth["events"] if e["kind"] == "surge"]
    planted = sorted({r for e in truth["events"] for r in e["records"]})
    found = _found(alerts, events, by_grid)
    keys = alerts["records"].list.eval(pl.element().str.split(":").list.last())
    false = int((~keys.list.eval(pl.element().is_in(planted)).list.any()).sum()) if alerts.height else 0
    return {
        "alerts": alerts.height,
        "events_found": sum(f["alerted"] > 0 for f in found.values()),
        "events": len(events),
        "event_weeks_found": sum(f["alerted"] for f in found.values()),
        "event_weeks": sum(f["weeks"] for f in found.values()),
        "per_event": found,
        "false_alarms": false,
        "false_per_1000_grid_weeks": round(1000 * false / grid_weeks, 3),
    }


def measure(scenario: str, n: int) -> dict:
    base = district(scenario, n)
    truth = json.loads((base / "synth" / "truth" / "truth.json").read_text("utf-8"))
    with dl.connect(_config(base).paths.db, read_only=True) as store:
        last = store.scalar("select max(week_start) from mart_records")
    week = dt.datetime.combine(last, dt.time()).isoformat()  # the last week's records looked at again
    cost = {}
    anchor_src = os.environ.get("DEMANDLAB_ANCHOR_SRC")
    if anchor_src and n <= int(os.environ.get("DEMANDLAB_ANCHOR_MAX_RECORDS", "1000000")):
        # the code before, on the same database, first (its marts are then written again); not above a million
        # records by default: its dense array and all records in memory near 13 GiB at 3M
        cost["anchor_full_pass"] = _signals_step(base, "all", anchor_src)
        cost["anchor_week_update"] = _signals_step(base, week, anchor_src)
    cost["full_pass"] = _signals_step(base, "all")
    cost["week_update"] = _signals_step(base, week)
    with dl.connect(_config(base).paths.db, read_only=True) as store:
        alerts = store.sql("select * from mart_alerts")
        grids = store.scalar("select count(distinct grid_id) from mart_records where grid_id is not null")
        weeks = store.scalar("select count(*) from mart_weeks")
        cells = store.sql("select grid_id, theme_id, week_start, n from mart_grid_theme_week where n > 0")
        people = with_people(read.signal_records(store, groups=True))
    grid_weeks = grids * weeks
    old_surges = surge_alerts(people, scored=_old_score_surges(cells))
    old_crowds = crowd_alerts(people, CrowdModel(relative=False))
    kind = pl.col("kind")
    return {
        "records": people.height,
        "grids": grids,
        "weeks": weeks,
        "records_per_grid_week": round(people.height / grid_weeks, 1),
        "new": {
            "surge": evaluate(alerts.filter(kind == "surge"), truth, grid_weeks, by_grid=True),
            "crowd": evaluate(alerts.filter(kind == "crowd"), truth, grid_weeks, by_grid=False),
        },
        "anchor": {
            "surge": evaluate(old_surges, truth, grid_weeks, by_grid=True),
            "crowd": evaluate(old_crowds, truth, grid_weeks, by_grid=False),
        },
        "signals_step": cost,
    }


def _claims(results: dict) -> dict:
    names = list(results)
    smallest = results[names[0]]["new"]
    claims = {}
    for name in names[1:]:
        new = results[name]["new"]
        claims[f"planted_surges_and_crowds_found_at_{name}"] = all(
            new[k]["events_found"] == new[k]["events"] for k in ("surge", "crowd")
        )
        claims[f"false_alarms_per_1000_grid_weeks_at_{name}_no_higher_than_at_{names[0]}"] = all(
            new[k]["false_per_1000_grid_weeks"] <= smallest[k]["false_per_1000_grid_weeks"] for k in ("surge", "crowd")
        )
    return claims


def main(scenarios: list[str] | None = None, sizes: list[str] | None = None) -> Path:
    """Measure ``scenarios`` (default: all) at ``sizes`` (names of :data:`SIZES`, default: all); what a run
    does not measure is kept as recorded, and ``measured`` says when and by which commit each scenario's
    sizes were."""
    recorded = RESULTS / "alerts_scale.json"
    # a scenario this run does not measure is kept as recorded (its note says when)
    before = json.loads(recorded.read_text("utf-8")) if recorded.exists() else {}
    results: dict = before.get("scenarios", {})
    measured: dict = before.get("measured", {})
    for scenario in scenarios or list(SCENARIOS):
        results.setdefault(scenario, {})
        for name, n in SIZES.items():
            if sizes and name not in sizes:
                continue
            measured.setdefault(scenario, {})[name] = _provenance()
            print(f"{scenario} {name} …", flush=True)
            results[scenario][name] = measure(scenario, n)
            print(json.dumps(results[scenario][name]["new"], ensure_ascii=False)[:300], flush=True)
    claims = {scenario: _claims(found) for scenario, found in results.items()}
    note = "dense 1M and 3M districts as built by the generator at 6cb466b (before the growth rule), see docstring"
    return write_result("alerts_scale", {"scenarios": results, "measured": measured, "claims": claims, "note": note})


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--sizes=")]
    chosen = [a.split("=", 1)[1].split(",") for a in sys.argv[1:] if a.startswith("--sizes=")]
    main(args or None, chosen[0] if chosen else None)
