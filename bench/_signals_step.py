"""One signals step in a process of its own, for bench/alerts_scale.py: ``python -m bench._signals_step BASE SINCE``.

Marks the records from ``SINCE`` on (``all``: a full pass) as changed, runs ``Pipeline.signals`` on the database
of the district in ``BASE`` and prints its wall time and the process's peak RSS as one line of JSON. It imports
only what every version of demandlab has, so the code before a change can be timed by PYTHONPATH.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

import demandlab as dl
from bench._common import peak_rss_mib
from demandlab.config import demo_config


def step(base: Path, since: str) -> dict:
    cfg = demo_config(base / "data", base / "reports")
    cfg = dataclasses.replace(cfg, paths=dataclasses.replace(cfg.paths, db=base / "data" / "demandlab.duckdb"))
    with dl.connect(cfg.paths.db) as store:
        pipe = dl.Pipeline(store, cfg)
        with store.transaction() as con:
            con.execute("insert or replace into meta values ('signals_since', ?)", [since])
        started = time.perf_counter()
        report = pipe.signals()
        seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 1), "peak_rss_mib": _high_water_mib(), "alerts": report.alerts}


def _high_water_mib() -> float:
    """This process's peak RSS (VmHWM). Not getrusage's ru_maxrss: Linux keeps that across exec, so a child
    of a large benchmark process would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return peak_rss_mib()


def main() -> None:  # python -m bench runs every module's main: this one is a helper, it does nothing there
    if len(sys.argv) == 3 and __name__ == "__main__":
        print(json.dumps(step(Path(sys.argv[1]), sys.argv[2])))


if __name__ == "__main__":
    main()
