"""DuckDB's memory limit (``engine.memory_limit``) against the build's peak memory and time, in the same run.

The build of bench/scale.py (ingest every export with the registry, the stages of ``run`` one process each,
the district's report, each under ``/usr/bin/time``) on one synthetic district, once per limit, into
$DEMANDLAB_SCALE_DIR/limits/<size>-<limit> (the district's exports are bench/scale.py's, built if missing).
Every step runs with the limit: the stages through ``Config.engine``, ingest and report through a
demandlab.toml holding only ``[engine] memory_limit``. Limits alternate per size, so a busy spell of the
machine does not fall on one limit alone; ``load`` says how busy it was.

Why: DuckDB keeps its buffer pool up to the limit between queries (at ten million records the signals step's
process held 3.3 GiB after a query with nothing to do), so the limit is a floor under every step's peak.
Probe at 66e0331 (not recorded: 10M, a machine busy with a 3M build): with 2GB clean peaked at 3.94 GiB,
segment 2.84, themes 2.97, marts 2.23, signals 6.20 (the hot issues' clustering), against 5.93, 4.73,
4.50, 4.18, 6.46 recorded at 4GB in scale.json (90088a2). What the claim needs is the time it costs.

Claims: per size, the peak of every step at each limit and the wall and CPU seconds; whether the lowest limit
lowers the build's peak, and by how much it slows the build (the first limit named is the anchor).

Run: .venv/bin/python -m bench.memory_limit --sizes 1000000 --limits 4GB,2GB   (about 15 minutes at 1M; 10M
about 2 h 30 per limit)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from bench import scale
from bench._common import write_result


def _build(root: Path, folder: Path, n: int, limit: str) -> dict:
    work = root / "limits" / f"{scale._label(n)}-{limit}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db, toml = work / "demandlab.duckdb", work / "demandlab.toml"
    toml.write_text(f'[engine]\nmemory_limit = "{limit}"\n', encoding="utf-8")
    cli, config = scale._cli(), ["--config", str(toml), "--db", str(db)]
    steps = {"ingest": scale._timed("ingest", [cli, "ingest", *config, "--grids", str(folder / "grids.csv"),
                                               *scale._exports(folder)])}  # fmt: skip
    for name in scale.STAGES:
        argv = [sys.executable, "-m", "bench.scale", "stage", str(db), name, limit]
        steps[name] = scale._timed(name, argv, cwd=scale._here())
    steps["report"] = scale._timed("report", [cli, "report", *config, "--out", str(work / "全区.html")])
    shutil.rmtree(work)
    return {
        "steps": steps,
        "peak_gib": max(s["peak_gib"] for s in steps.values()),
        "wall_s": round(sum(s["wall_s"] for s in steps.values()), 1),
        "cpu_s": round(sum(s["cpu_s"] for s in steps.values()), 1),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--limits", default="4GB,2GB", help="the first is the anchor (the default limit)")
    args = parser.parse_args(argv)
    root = Path(os.environ.get("DEMANDLAB_SCALE_DIR", "/tmp/demandlab-scale"))
    limits = [x.strip() for x in args.limits.split(",") if x.strip()]
    sizes: dict = {}
    for n in [int(x) for x in args.sizes.split(",") if x]:
        label = scale._label(n)
        folder, _ = scale._synth(root, n)
        print(f"  {label}", flush=True)
        order = limits if len(sizes) % 2 == 0 else limits[::-1]
        built = {limit: _build(root, folder, n, limit) for limit in order}
        anchor, lowest = built[limits[0]], built[limits[-1]]
        sizes[label] = {
            "measured": scale._provenance(),
            "limits": {limit: built[limit] for limit in limits},
            "peak_lowered_gib": round(anchor["peak_gib"] - lowest["peak_gib"], 2),
            "wall_ratio": round(lowest["wall_s"] / anchor["wall_s"], 3),
            "cpu_ratio": round(lowest["cpu_s"] / anchor["cpu_s"], 3),
        }
    return write_result("memory_limit", {"anchor": limits[0], "sizes": sizes})


if __name__ == "__main__":
    main()
