"""Fingerprint of everything a run produces, to show a refactor changed no behaviour.

Runs a synthetic district through the pipeline at a fixed moment and prints (or saves) one hash
per table of the analysts' file (its rows sorted, so storage order does not matter), per report
(without its generation time) and per theme-assignment set. Two checkouts that give the same
fingerprint computed the same marts, themes, assignments and report, byte for byte.

Run: .venv/bin/python -m bench.fingerprint --out /tmp/before.json   (then compare two files)
     .venv/bin/python -m bench.fingerprint --compare /tmp/before.json /tmp/after.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

#: Tables whose content records when or where the run happened, not what it computed.
VOLATILE = {
    "batches": ("batch_id", "path", "loaded_at"),
    "records": ("batch_id", "cleaned_at"),
    "rejects": ("batch_id",),
    "load_warnings": ("batch_id",),
    "theme_models": ("created_at", "path"),
    "theme_events": ("recorded_at",),
    "meta": (),
    "runs": None,
}


def fingerprint(records: int = 8_000, seed: int = 7, reports: bool = True) -> dict:
    os.environ.setdefault("DEMANDLAB_NOW", "2026-11-16T09:00:00")
    os.environ.setdefault("DEMANDLAB_SALT", "fingerprint")
    import demandlab as dl
    from demandlab.config import demo_config
    from demandlab.report import write_report
    from demandlab.synth import generate

    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        result = generate(root / "synth", n_records=records, seed=seed)
        cfg = demo_config(root / "data", root / "reports")
        with dl.connect(cfg.paths.db) as store:
            pipe = dl.Pipeline(store, cfg)
            pipe.load_grids(result.registry)
            for path in result.export_paths:
                pipe.ingest(path)
            pipe.run()
            for table in sorted(store.tables()):
                drop = VOLATILE.get(table, ())
                if drop is None:
                    continue
                frame = store.table(table)
                frame = frame.drop([c for c in drop if c in frame.columns])
                if table == "meta":
                    frame = frame.filter(~frame["key"].is_in(["schema_version"]))
                rows = sorted(map(repr, frame.rows()))
                out[f"table:{table}"] = _hash("\n".join([repr(frame.columns), *rows]))
            scopes = (None, "street=" + store.sql("select min(street) as s from grids")["s"][0]) if reports else ()
            for scope in scopes:
                html = write_report(store, root / "r.html", scope=scope, config=cfg).read_text("utf-8")
                html = re.sub(r'<span id="generated-at">[^<]*</span>', "", html)
                out[f"report:{scope or 'district'}"] = _hash(html)
    return out


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def compare(before: dict, after: dict) -> list[str]:
    """The keys whose fingerprints differ (or exist on one side only)."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path)
    parser.add_argument("--tables-only", action="store_true", help="leave the reports out")
    args = parser.parse_args()
    if args.compare:
        a, b = (json.loads(p.read_text("utf-8")) for p in args.compare)
        differ = [k for k in compare(a, b) if not (args.tables_only and k.startswith("report:"))]
        print("identical" if not differ else "differ: " + ", ".join(differ))
        return 1 if differ else 0
    result = fingerprint(reports=not args.tables_only)
    text = json.dumps(result, indent=1, sort_keys=True)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
