"""The default demo, stage by stage: synth (claim: 50,000 records in under a minute) → ingest → run → report
(claim: the whole demo in under five minutes, issue 7 asks for two); then ``demandlab demo`` as the README's
``make demo`` runs it (a process: start-up, the same stages, a report per recent week), whose wall time and
theme count the README quotes (tests/test_docs.py checks the README against this file).

Anchor: the claims' own limits; each stage is timed once on a fresh folder (median of 1, the stages are long).
Run: .venv/bin/python -m bench.demo_pipeline
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import demandlab as dl
from bench._common import peak_rss_mib, timer, write_result
from demandlab.config import demo_config
from demandlab.report import write_report
from demandlab.synth import generate


def measure(records: int = 50_000) -> dict:
    """Time each stage of the demo on a fresh folder; the figures ``main`` records."""
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with timer(timings, "synth"):
            result = generate(root / "synth", n_records=records, seed=0)
        cfg = demo_config(root / "data", root / "reports")
        store = dl.connect(cfg.paths.db)
        pipe = dl.Pipeline(store, cfg)
        with timer(timings, "ingest"):
            pipe.load_grids(result.registry)
            batches = [pipe.ingest(p) for p in result.export_paths]
        run = {}
        with timer(timings, "run"):
            run = pipe.run().as_dict()
        with timer(timings, "report"):
            report = write_report(store, root / "reports" / "latest.html", config=cfg)
        size = report.stat().st_size
        store.close()
    timings["total"] = round(sum(timings.values()), 3)
    return {
        "records": result.truth["counts"]["records"],
        "rows_read": sum(b.rows_read for b in batches),
        "timings_s": timings,
        "run_stage_timings_s": run["timings"],
        "n_themes": run["n_themes"],
        "report_bytes": size,
        "peak_rss_mib": peak_rss_mib(),
    }


def command(records: int = 50_000) -> dict:
    """``demandlab demo`` in a fresh folder, as a process: its wall time and the themes it prints."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        args = ["--records", str(records), "--data", str(root / "data"), "--reports", str(root / "reports")]
        start = time.perf_counter()
        done = subprocess.run(
            [str(Path(sys.executable).parent / "demandlab"), "demo", *args], capture_output=True, text=True, check=True
        )
        seconds = time.perf_counter() - start
    themes = re.search(r"(\d+) themes", done.stdout + done.stderr)
    return {"seconds": round(seconds, 1), "n_themes": int(themes.group(1)) if themes else None}


def main(records: int = 50_000) -> dict:
    measured = measure(records) | {"demo_command": command(records)}
    timings, size = measured["timings_s"], measured["report_bytes"]
    return write_result(
        "demo_pipeline",
        {
            **measured,
            "claims": {
                "synth_under_60s": timings["synth"] < 60,
                "demo_under_300s": timings["total"] < 300,
                "demo_under_120s": timings["total"] < 120,
                "report_under_6MB": size < 6_000_000,
            },
        },
    )


if __name__ == "__main__":
    main()
