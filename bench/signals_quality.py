"""Signals against what the synthetic district planted, and hot issues on real messages.

* synthetic (the 50,000-record demo district, seed 0): planted surges alerted in their grid and
  weeks (claim: recall 100 %), false surge alerts per 500 grid × theme × week cells (claim: ≤ 1),
  planted hot issues in the top 5 when they have run a full period (claim: all), planted repeat
  callers found (claim: all). Anchor for the alert model: a plain Poisson test against the grid's
  own trailing 12-week mean with the same minimum count and Benjamini–Hochberg control, in the
  same run, to show what the empirical-Bayes prior and the district adjustment buy.
* real messages (../shared/data/taidi2020c, skipped when absent): the top hot issues with their
  place, records, support and date span, as a reader would check them.

Run: .venv/bin/python -m bench.signals_quality   (about 3 minutes)
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import polars as pl
from scipy.stats import poisson

import demandlab as dl
from bench._common import write_result
from bench.signals_scale import _config, _district
from demandlab.config import demo_config
from demandlab.signals import benjamini_hochberg, hot_issues, score_surges
from demandlab.signals.evaluate import evaluate_signals

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "taidi2020c"


def _plain_poisson(cells: pl.DataFrame, window: int = 12, min_count: int = 3, fdr: float = 0.01) -> pl.DataFrame:
    """The anchor: Poisson upper tail against the cell's own trailing mean (no prior, no district movement)."""
    cells = cells.sort("grid_id", "theme_id", "week_start").with_columns(
        mean=pl.col("n").cast(pl.Float64).rolling_mean(window, min_samples=4).shift(1).over("grid_id", "theme_id")
    )
    mean = np.maximum(cells["mean"].fill_null(np.nan).to_numpy(), 1 / window)  # an all-zero history ≈ 1 per window
    n = cells["n"].to_numpy()
    p = np.where((n >= min_count) & ~np.isnan(cells["mean"].fill_null(np.nan).to_numpy()), poisson.sf(n - 1, mean), 1.0)
    cells = cells.with_columns(p_value=pl.Series(p))
    q = cells.group_by("week_start", maintain_order=True).agg(pl.col("grid_id"), pl.col("theme_id"), pl.col("p_value"))
    rows = []
    for week, grids, themes, ps in q.iter_rows():
        qs = benjamini_hochberg(np.array(ps))
        rows += [(g, t, week) for g, t, v in zip(grids, themes, qs, strict=True) if v <= fdr]
    return pl.DataFrame(rows, schema=["grid_id", "theme_id", "week_start"], orient="row")


def _as_alerts(cells: pl.DataFrame, flagged: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    behind = records.group_by("grid_id", "theme_id", "week_start").agg(
        records=pl.concat_str("source", pl.lit(":"), "record_id")
    )
    return (
        flagged.join(cells.select("grid_id", "theme_id", "week_start", "iso_week", "theme_label", "n"),
                     on=["grid_id", "theme_id", "week_start"])
        .join(behind, on=["grid_id", "theme_id", "week_start"], how="left")
        .with_columns(kind=pl.lit("surge"), expected=pl.lit(None, pl.Float64))
    )  # fmt: skip


def synthetic(root: Path) -> dict:
    db = _district(root)
    truth = json.loads((root / "base" / "synth" / "truth" / "truth.json").read_text("utf-8"))
    with dl.connect(db) as store:  # read-write: brings an older database up to this version first
        pipe = dl.Pipeline(store, _config(root))
        pipe.marts()
        pipe.signals()
        records = pipe.signal_records()
        cells = dl.marts.grid_theme_week(store)  # dense: the weeks the mart leaves out are zeros
        ours = evaluate_signals(store.table("mart_alerts"), records, truth["events"], cells.height)
        scored = score_surges(cells)
        plain = _as_alerts(cells, _plain_poisson(cells), records)
        theirs = evaluate_signals(plain, records, [e for e in truth["events"]], cells.height)
    return {
        "records": truth["counts"]["records"],
        "cells": cells.height,
        "cells_tested": int(scored["tested"].sum()),
        "demandlab": ours,
        "anchor_plain_poisson": {
            k: theirs[k]
            for k in ("surge_week_recall", "surge_alerts", "false_surge_alerts", "false_alerts_per_500_cells")
        },
    }


def real_messages() -> dict | None:
    if not SHARED.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        cfg = demo_config(Path(tmp), Path(tmp) / "reports")
        with dl.connect(cfg.paths.db) as store:
            pipe = dl.Pipeline(store, cfg)
            for name in ("sample/a2_messages_labeled.xlsx", "sample/a3_messages_likes.xlsx",
                         "sample/a4_messages_replies.xlsx", "unlabeled/test_messages_unlabeled.xlsx"):  # fmt: skip
                pipe.ingest(SHARED / name)
            pipe.run()
            records = pipe.signal_records(text=True)
            repeats = store.sql("select source, record_id, repeat_group_id from mart_repeats")
            hot = hot_issues(records, weeks=None, repeats=repeats)
    placed = records["place_key"].is_not_null().mean()
    return {
        "messages": records.height,
        "share_with_a_place": round(placed, 4),
        "top_10": [
            {
                "place": r["place"],
                "matter": r["matter"],
                "theme": r["theme_label"],
                "records": r["n"],
                "people": r["n_people"],
                "likes": r["likes"],
                "from": r["first_at"].date().isoformat(),
                "to": r["last_at"].date().isoformat(),
                "heat": round(r["heat"], 3),
            }
            for r in hot.head(10).iter_rows(named=True)
        ],
    }


def main() -> dict:
    root = Path(os.environ.get("DEMANDLAB_BENCH_DIR", "/tmp/demandlab-bench"))
    root.mkdir(parents=True, exist_ok=True)
    syn = synthetic(root)
    ours = syn["demandlab"]
    return write_result(
        "signals_quality",
        {
            "synthetic": syn,
            "real_messages": real_messages(),
            "claims": {
                "surge_recall_100_percent": ours["surge_week_recall"] == 1.0,
                "at_most_1_false_alert_per_500_cells": ours["false_alerts_per_500_cells"] <= 1.0,
                "planted_hot_issues_in_top_5": ours["hot_issues_in_top_5"] == len(ours["hot_issues"]),
                "planted_repeat_callers_found": ours["repeat_callers_found"] == len(ours["repeat_callers"]),
            },
        },
    )


if __name__ == "__main__":
    main()
