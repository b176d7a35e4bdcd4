"""The redesign into stages and rooms (issue 13) is no slower: two checkouts timed in one session.

Runs ``bench.demo_pipeline`` (the 50,000-record demo: synth, ingest, run, report) and
``bench.weekly_scale`` (the weekly job on the 50,000-record district and on the million with
20,000 new records) on two checkouts of this repository, alternately (before, after, before,
after, …), each in its own process with that checkout's ``src`` first on the path and its own
prepared databases (their schemas differ). The benchmark code is this checkout's for both.

Anchor: the checkout before the redesign, ``e9a9c23`` (the last commit before ``marts/`` and
``pipeline/`` became packages). Claim: the redesign's median is within 5 % of the anchor's or
faster, for every timed command: the demo as a whole process (start-up and imports included: the
redesign imports lazily, so its in-process stage timers hold imports the old code paid before them)
and the weekly job (a process of its own either way).

Run: .venv/bin/python -m bench.refactor_speed [--before REF] [--after REF] [--rounds 2] [--demo-only]
     (about 30 minutes: two 1M databases are prepared once under $DEMANDLAB_BENCH_DIR; --demo-only times
     the demo alone in a few minutes and records bench/results/refactor_speed_demo.json)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench._common import write_result

REPO = Path(__file__).resolve().parent.parent
BEFORE = "e9a9c23"
TOLERANCE = 1.05
PROBE = (
    "import json, demandlab, bench.{module} as m; "
    "print('RESULT ' + json.dumps({{'module_file': demandlab.__file__, **m.measure()}}))"
)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, check=True, capture_output=True, text=True).stdout.strip()


def _checkout(ref: str | None, root: Path) -> tuple[str, Path]:
    """(commit, src folder) of ``ref`` as a detached worktree under ``root``; None is this checkout."""
    if ref is None:
        dirty = "+changes" if _git("status", "--porcelain", "--untracked-files=no") else ""
        return _git("rev-parse", "--short", "HEAD") + dirty, REPO / "src"
    commit = _git("rev-parse", "--short", ref)
    tree = root / f"tree-{commit}"
    if not tree.exists():
        _git("worktree", "add", "--detach", str(tree), commit)
    return commit, tree / "src"


def _measure(module: str, src: Path, bench_dir: Path) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(src), str(REPO)]),
        "DEMANDLAB_BENCH_DIR": str(bench_dir),
        "PYTHONHASHSEED": "0",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)], cwd=REPO, env=env, capture_output=True, text=True
    )
    process_s = round(time.perf_counter() - started, 2)
    if done.returncode != 0:
        raise RuntimeError(f"bench.{module} on {src} failed ({done.returncode}): {done.stderr[-3000:]}")
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    if not result.pop("module_file").startswith(str(src)):
        raise RuntimeError(f"bench.{module} did not import demandlab from {src}")
    return {**result, "process_s": process_s}


def _seconds(module: str, result: dict) -> dict[str, float]:
    """The timed commands of one result: the demo's stages, the weekly job per database."""
    if module == "demo_pipeline":
        # the demo's stages run in one process: what the redesign imports lazily is paid inside the first
        # stage's timer, what the old code imported up front outside it; the process time holds both
        return {"demo_process": result["process_s"], **{f"demo_{k}": v for k, v in result["timings_s"].items()}}
    return {f"weekly_{name}": r["seconds"] for name, r in result.items() if name != "process_s"}


def main(before: str = BEFORE, after: str | None = None, rounds: int = 2, demo_only: bool = False) -> dict:
    root = Path(os.environ.get("DEMANDLAB_BENCH_DIR", "/tmp/demandlab-bench")) / "refactor"
    root.mkdir(parents=True, exist_ok=True)
    sides = {"before": _checkout(before, root), "after": _checkout(after, root)}
    modules = ("demo_pipeline",) if demo_only else ("demo_pipeline", "weekly_scale")
    for side, (commit, src) in sides.items():  # prepare the databases, untimed
        if not demo_only:
            print(f"preparing {side} ({commit}) …", flush=True)
            _measure("weekly_scale", src, root / f"db-{commit}")
    samples: dict[str, dict[str, list[float]]] = {side: {} for side in sides}
    for round_ in range(rounds):
        for side, (commit, src) in sides.items():
            for module in modules:
                seconds = _seconds(module, _measure(module, src, root / f"db-{commit}"))
                print(f"round {round_ + 1} {side} ({commit}) {module}: {seconds}", flush=True)
                for key, value in seconds.items():
                    samples[side].setdefault(key, []).append(value)
    medians = {side: {k: round(statistics.median(v), 2) for k, v in s.items()} for side, s in samples.items()}
    ratio = {k: round(medians["after"][k] / medians["before"][k], 3) for k in medians["before"]}
    headline = [k for k in ("demo_process", "weekly_district_50k", "weekly_million") if k in ratio]
    return write_result(
        "refactor_speed_demo" if demo_only else "refactor_speed",
        {
            "anchor": f"checkout {sides['before'][0]} (before the redesign)",
            "before": sides["before"][0],
            "after": sides["after"][0],
            "rounds": rounds,
            "samples_s": samples,
            "median_s": medians,
            "after_over_before": ratio,
            "claims": {f"{k}_no_slower": ratio[k] <= TOLERANCE for k in headline},
        },
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="git ref of the anchor (default %(default)s)")
    parser.add_argument("--after", default=None, help="git ref to compare (default: this checkout)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--demo-only", action="store_true", help="time the demo only (minutes, not half an hour)")
    args = parser.parse_args()
    main(args.before, args.after, args.rounds, args.demo_only)
