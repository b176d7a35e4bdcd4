"""`demandlab themes evaluate` on 15,000 records answers in under 30 seconds.

Setup (not timed): a synthetic district of 15,000 records, ingested and run (themes fitted).
Timed: the whole command as a user types it, in its own process (start-up included) —
``demandlab themes evaluate --label-column category`` with the default stability sample (two
refits on 90 % subsamples of 5,000 records), and with ``--stability-sample 0`` (every record)
beside it as the anchor: what evaluation cost before the sample was the default.

Claim (issue 14): the default answers in under 30 s.

Run: .venv/bin/python -m bench.themes_evaluate_speed   (about two minutes)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import write_result

RECORDS = 15_000


def _timed(args: list[str], env: dict) -> tuple[float, dict]:
    demandlab = Path(sys.executable).with_name("demandlab")
    started = time.perf_counter()
    done = subprocess.run([str(demandlab), *args], env=env, capture_output=True, text=True)
    seconds = round(time.perf_counter() - started, 2)
    if done.returncode != 0:
        raise RuntimeError(f"{args} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout)


def main() -> dict:
    os.environ.setdefault("DEMANDLAB_NOW", "2026-11-16T09:00:00")
    import demandlab as dl
    from demandlab.config import demo_config
    from demandlab.synth import generate

    with tempfile.TemporaryDirectory() as tmp:
        result = generate(Path(tmp) / "synth", n_records=RECORDS, seed=0)
        cfg = demo_config(Path(tmp) / "data", Path(tmp) / "reports")
        with dl.connect(cfg.paths.db) as store:
            pipe = dl.Pipeline(store, cfg)
            pipe.load_grids(result.registry)
            for path in result.export_paths:
                pipe.ingest(path)
            pipe.run()
            records = store.count("records")
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        base = ["themes", "evaluate", "--label-column", "category", "--db", str(cfg.paths.db)]
        default_s, default = _timed(base, env)
        full_s, full = _timed([*base, "--stability-sample", "0"], env)
    return write_result(
        "themes_evaluate_speed",
        {
            "anchor": "the same command with --stability-sample 0 (every record refitted)",
            "records": records,
            "default_seconds": default_s,
            "full_seconds": full_s,
            "default_result": default,
            "full_result": full,
            "claims": {"default_under_30_s": default_s < 30},
        },
    )


if __name__ == "__main__":
    main()
