"""What every benchmark records beside its numbers: the machine, its load, the versions, the date."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
PACKAGES = (
    "demandlab",
    "duckdb",
    "polars",
    "pyarrow",
    "numpy",
    "scikit-learn",
    "jieba",
    "rjieba",
    "opencc",
    "plotly",
    "fastexcel",
    "xlsxwriter",
    "pyspark",
    "sqlglot",
)


#: The machine's load averages (1, 5, 15 minutes) when the benchmark started: a busy machine's timings
#: are not comparable with a quiet one's.
LOAD_AT_START = os.getloadavg()


def load() -> dict:
    """Load averages when the benchmark started and when its result was written."""
    return {"at_start": [round(x, 2) for x in LOAD_AT_START], "at_end": [round(x, 2) for x in os.getloadavg()]}


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gib": round(mem, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def versions() -> dict:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except Exception:  # not installed
            out[name] = None
    return out


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@contextmanager
def timer(into: dict, key: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    into[key] = round(time.perf_counter() - started, 3)


def median_time(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(sorted(times)[len(times) // 2], 3)


def write_result(name: str, result: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "benchmark": name,
        "recorded_at": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "load": load(),
        "versions": versions(),
        **result,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(payload, ensure_ascii=False, indent=2))
    return path
