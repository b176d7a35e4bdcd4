"""Ingest's memory: a district's largest export loaded in chunks against the same file loaded whole.

``demandlab ingest`` of the largest 12345 export (a district of several years writes one a year) of
the synthetic districts bench/scale.py builds (seed 11, grids, communities and streets growing with
the records), each load its own process under
``/usr/bin/time`` (peak RSS, wall and CPU seconds), into a fresh database:

* anchor, ``in_memory``: the code of ``--anchor`` (default e918bb4, before CSV rows were spilled), default
  ``engine.batch_rows``: the strings DuckDB read held as one frame of the whole file (about 2.6 times the
  file), checked and landed a chunk at a time;
* ``whole``: this code, ``engine.batch_rows`` beyond the file's rows — one chunk, which is how every
  file was checked and landed before chunked ingest (the whole file's checked, accepted and
  rejected rows alive at once);
* ``chunked``: this code, the default ``engine.batch_rows`` (100,000): the rows DuckDB reads go to a
  temporary Parquet file and are read back, checked and landed a chunk at a time.

The three databases must hold the same rows: raw versions, rejects, warnings and the values kept for them
(a fingerprint per column: count and sum of DuckDB's hash, batch ids and load times aside).
Claims: chunked peak below the whole file's and below the anchor's at every size; identical tables.

``--kind visits``: the largest grid visits JSON lines file instead (its anchor: the code before JSON lines were
read a chunk of objects at a time, 7605dc5), recorded as e.g. ``10M visits``.

Run: .venv/bin/python -m bench.ingest_memory --sizes 1000000,3000000 [--anchor REF] [--kind visits]
(sizes not measured are kept as recorded; ``--sizes 10000000`` adds 10M; districts are reused from
$DEMANDLAB_SCALE_DIR, default /tmp/demandlab-scale, or generated there: about 3 minutes per million)
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import duckdb

from bench._common import RESULTS, write_result
from bench.scale import _anchor_src, _cli, _label, _provenance, _synth, _timed

TABLES = {
    "raw_records": "restricted.raw_records",
    "rejects": "main.rejects",
    "load_warnings": "main.load_warnings",
    "reject_values": "restricted.reject_values",
    "warning_values": "restricted.warning_values",
}
AUDIT = ("batch_id", "loaded_at")
#: The exports ``--kind`` chooses among (the largest of each): 12345 work orders (CSV), grid visits (JSON lines).
KINDS = {"hotline": "hotline_12345*.csv", "visits": "grid_visits*.jsonl"}


def _fingerprints(db: Path) -> dict[str, list]:
    """Per table: its row count and, per column, the sum of DuckDB's hash of the values."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute(f"attach '{db}.restricted.duckdb' as restricted (read_only)")
        out = {}
        for name, table in TABLES.items():
            columns = [c for c in con.sql(f"select * from {table} limit 0").columns if c not in AUDIT]
            sums = ", ".join(f'sum(hash("{c}"))::varchar' for c in columns)
            out[name] = [str(v) for v in con.execute(f"select count(*), {sums} from {table}").fetchone()]
        counts = "select rows_read, rows_accepted, rows_rejected, rows_new, rows_updated, rows_unchanged from batches"
        out["batch"] = [str(v) for v in con.execute(counts).fetchone()]
        return out
    finally:
        con.close()


def _load(
    root: Path, folder: Path, export: Path, label: str, name: str, rows: int, src: Path | None = None
) -> tuple[dict, dict]:
    work = root / "ingest-memory" / f"{label}-{name}".replace(" ", "-")
    if work.exists():
        for path in work.iterdir():
            path.unlink()
    work.mkdir(parents=True, exist_ok=True)
    config = work / "demandlab.toml"
    config.write_text(f'[paths]\ndb = "demandlab.duckdb"\n[engine]\nbatch_rows = {rows}\n', "utf-8")
    argv = [_cli(), "ingest", "--config", str(config), "--grids", str(folder / "grids.csv"), str(export)]
    timed = _timed(f"{label} {name}", argv, env={"PYTHONPATH": str(src)} if src else None)
    return {**timed, "batch_rows": rows}, _fingerprints(work / "demandlab.duckdb")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,3000000")
    parser.add_argument("--rows", type=int, default=100_000, help="engine.batch_rows of the chunked load")
    parser.add_argument("--anchor", default="e918bb4", help="commit of the anchor's code (rows held in memory)")
    parser.add_argument(
        "--kind",
        choices=sorted(KINDS),
        default="hotline",
        help="which export: the largest 12345 CSV, or the largest grid visits JSON lines (recorded as '<size> visits')",
    )
    args = parser.parse_args(argv)
    root = Path(os.environ.get("DEMANDLAB_SCALE_DIR", "/tmp/demandlab-scale"))
    anchor_src = _anchor_src(args.anchor, root / "anchor-ingest")
    recorded = RESULTS / "ingest_memory.json"
    # sizes this run does not measure are kept as recorded (each says when and by which commit it was measured)
    sizes = json.loads(recorded.read_text("utf-8"))["sizes"] if recorded.exists() else {}
    for n in (int(x) for x in args.sizes.split(",") if x):
        label = _label(n) + ("" if args.kind == "hotline" else f" {args.kind}")
        folder, _ = _synth(root, n)
        export = max((folder / "exports").glob(KINDS[args.kind]), key=lambda p: p.stat().st_size)
        in_memory, memory_rows = _load(root, folder, export, label, "in_memory", args.rows, anchor_src)
        whole, whole_rows = _load(root, folder, export, label, "whole", 10**9)
        chunked, chunked_rows = _load(root, folder, export, label, "chunked", args.rows)
        sizes[label] = {
            "measured": _provenance(),
            "records": n,
            "file": export.name,
            "file_mib": round(export.stat().st_size / 2**20),
            "rows_read": int(whole_rows["batch"][0]),
            "rows_rejected": int(whole_rows["batch"][2]),
            "in_memory": {**in_memory, "anchor": args.anchor},
            "whole": whole,
            "chunked": chunked,
            "peak_ratio": round(chunked["peak_gib"] / whole["peak_gib"], 3),
            "peak_ratio_to_anchor": round(chunked["peak_gib"] / in_memory["peak_gib"], 3),
            "tables_equal": {t: whole_rows[t] == chunked_rows[t] == memory_rows[t] for t in (*TABLES, "batch")},
        }
    claims = {
        "chunked_peak_below_whole": {k: v["chunked"]["peak_gib"] < v["whole"]["peak_gib"] for k, v in sizes.items()},
        "chunked_peak_below_anchor": {
            k: v["chunked"]["peak_gib"] < v["in_memory"]["peak_gib"] for k, v in sizes.items() if "in_memory" in v
        },
        "tables_equal": all(all(v["tables_equal"].values()) for v in sizes.values()),
    }
    anchor = f"the code of {args.anchor}, rows held in memory (in_memory); and the same file in one chunk (whole)"
    return write_result("ingest_memory", {"anchor": anchor, "sizes": sizes, "claims": claims})


if __name__ == "__main__":
    main()
