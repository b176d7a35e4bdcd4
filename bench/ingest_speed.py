"""Ingest speed: 1,000,000 synthetic work orders into ``raw_records`` (the canonical, typed,
validated table) against a bare read of the same file, in the same run.

Anchors (issue 3):
* UTF-8 CSV: demandlab ``Pipeline.ingest`` ≤ 3 × a bare DuckDB load,
  ``CREATE TABLE t AS SELECT * FROM read_csv(path, all_varchar = true)`` into a fresh database file;
* GB18030 CSV: ≤ 6 × the same bare load of the UTF-8 file (DuckDB cannot read GB18030 offline);
* a 100,000-row xlsx: ≤ 2 × a bare ``polars.read_excel(path, engine="calamine")``.

demandlab's time covers everything from the file to committed rows: hashing the file, detecting
the encoding (and transcoding GB18030), reading, mapping, parsing dates, validating with a reason
per reject, hashing rows, writing versions, rejects and the batch log. The database is closed
(checkpointed) outside the timed region, as it is for the bare load, whose table is written through
the same WAL. Medians of 3 runs each.

Run: .venv/bin/python -m bench.ingest_speed  (about 5 minutes; writes ~1.5 GB under a temp folder)
"""

from __future__ import annotations

import codecs
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl

import demandlab as dl
from bench._common import write_result
from demandlab.config import Config, PathsConfig, PrivacyConfig
from demandlab.ingest import read_table
from demandlab.synth import generate

N_ROWS = 1_000_000
N_XLSX = 100_000
REPEAT = 3


def build_files(root: Path) -> dict[str, Path]:
    """1M work orders: a synthetic 12345 export tiled with fresh ids, as UTF-8, GB18030 and a 100k xlsx."""
    synth = generate(root / "synth", n_records=60_000, seed=5)
    base = read_table(synth.exports["hotline"]).frame.drop("__row")
    reps = -(-N_ROWS // base.height)
    tiled = pl.concat([base.with_columns(pl.col("工单编号") + f"-{i:02d}") for i in range(reps)]).head(N_ROWS)
    files = {
        "utf8": root / "orders_utf8.csv",
        "gb18030": root / "orders_gb18030.csv",
        "xlsx": root / "orders_100k.xlsx",
    }
    tiled.write_csv(files["utf8"])
    encoder = codecs.getincrementalencoder("gb18030")()
    decoder = codecs.getincrementaldecoder("utf-8")()
    with files["utf8"].open("rb") as src, files["gb18030"].open("wb") as dst:
        while chunk := src.read(1 << 22):
            dst.write(encoder.encode(decoder.decode(chunk)))
    tiled.head(N_XLSX).write_excel(files["xlsx"], worksheet="工单")
    return files


def bare_csv(path: Path, folder: Path) -> float:
    db = folder / "bare.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    started = time.perf_counter()
    con.execute("create table t as select * from read_csv(?, all_varchar = true)", [str(path)])
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def bare_xlsx(path: Path, folder: Path) -> float:
    started = time.perf_counter()
    pl.read_excel(path, engine="calamine")
    return time.perf_counter() - started


def demandlab_ingest(path: Path, folder: Path) -> tuple[float, dict]:
    shutil.rmtree(folder / "dl", ignore_errors=True)
    cfg = Config(paths=PathsConfig(db=folder / "dl" / "db.duckdb"), privacy=PrivacyConfig(salt_file=folder / "salt"))
    store = dl.connect(cfg.paths.db)
    pipe = dl.Pipeline(store, cfg)
    started = time.perf_counter()
    report = pipe.ingest(path)
    elapsed = time.perf_counter() - started
    assert report.rows_read == report.rows_accepted + report.rows_rejected
    store.close()
    return elapsed, {
        "rows_read": report.rows_read,
        "accepted": report.rows_accepted,
        "rejected": report.rows_rejected,
        "encoding": report.encoding,
        "format": report.format,
    }


def median(values: list[float]) -> float:
    return round(sorted(values)[len(values) // 2], 3)


def main() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = build_files(root)
        results: dict[str, dict] = {}
        for name, path, bare, limit in (
            ("utf8_csv", files["utf8"], bare_csv, 3.0),
            ("gb18030_csv", files["gb18030"], None, 6.0),
            ("xlsx_100k", files["xlsx"], bare_xlsx, 2.0),
        ):
            anchor_fn = bare if bare is not None else bare_csv
            anchor_path = path if bare is not None else files["utf8"]
            anchors, ours, info = [], [], {}
            for _ in range(REPEAT):
                anchors.append(anchor_fn(anchor_path, root))
                elapsed, info = demandlab_ingest(path, root)
                ours.append(elapsed)
            ratio = round(median(ours) / median(anchors), 2)
            results[name] = {
                "file_bytes": path.stat().st_size,
                "anchor": "bare DuckDB read_csv of the UTF-8 file into a table"
                if name != "xlsx_100k"
                else "bare polars.read_excel(engine='calamine')",
                "anchor_s": median(anchors),
                "demandlab_s": median(ours),
                "ratio": ratio,
                "limit": limit,
                "within_limit": ratio <= limit,
                "runs_anchor_s": [round(x, 3) for x in anchors],
                "runs_demandlab_s": [round(x, 3) for x in ours],
                **info,
            }
    return write_result("ingest_speed", {"rows": N_ROWS, "xlsx_rows": N_XLSX, "repeat": REPEAT, "results": results})


if __name__ == "__main__":
    main()
