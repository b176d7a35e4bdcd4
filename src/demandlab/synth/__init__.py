"""Synthetic district generator with known ground truth.

``generate`` writes, into one folder::

    grids.csv                 grid registry (street / community / grid / compound / building)
    exports/hotline_12345.csv 12345 work orders, GB18030
    exports/snapshot.xlsx     随手拍 reports, Excel
    exports/grid_visits.jsonl 网格员 visit logs, JSON lines
    truth/truth.json          planted problems, events, bad rows and counts
    truth/records.parquet     the problem, grid and planted event behind every record
    truth/pii.parquet         every piece of personal data planted in the exports, with its column
    lists/资源清单.csv         a 资源清单 with matches planted for recurring demands, decoys and a party member
                              (truth.json "resources": which resource was planted for which demand)

Everything is a deterministic function of ``(n_records, seed, end)``.

Examples
--------
>>> from demandlab.synth import generate
>>> result = generate("data/demo/synth", n_records=5_000, seed=1)  # doctest: +SKIP
>>> result.truth["counts"]["records"]  # doctest: +SKIP
5012
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from .. import clock
from ..text.normalize import normalize
from .district import District, build_district
from .exports import (
    HOTLINE_FILE,
    SNAPSHOT_FILE,
    VISIT_FILE,
    BadRow,
    write_hotline,
    write_snapshot,
    write_visits,
)
from .grammar import Catalog, load_catalog
from .plan import build_plan
from .records import SynthRecord, write_records
from .resources import write_resources

__all__ = ["SOURCE_VALUES", "SynthResult", "generate", "load_catalog"]

SOURCE_VALUES = {"hotline": "12345", "snapshot": "snapshot", "visit": "visit"}


@dataclass(frozen=True)
class SynthResult:
    """Where the generator wrote what, and the ground truth it planted."""

    root: Path
    registry: Path
    exports: dict[str, Path]
    truth: dict
    #: the community's working lists (``lists/资源清单.csv``): not exports, loaded with ``demandlab lists load``
    lists: dict[str, Path] = field(default_factory=dict)

    @property
    def export_paths(self) -> list[Path]:
        return list(self.exports.values())


def _iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def generate(
    out: str | Path,
    n_records: int = 50_000,
    seed: int = 0,
    end: dt.date | None = None,
    weeks: int = 104,
) -> SynthResult:
    """Generate a synthetic district and its exports into ``out``.

    Parameters
    ----------
    out : folder to write into (created if missing; files are overwritten).
    n_records : about how many valid records to write, over all three sources.
    seed : the same seed gives byte-identical files.
    end : last day of data; the data covers the ``weeks`` ISO weeks ending with it. Default: the day
        before today (:func:`demandlab.clock.today`), so the demo's report shows this week.
    """
    if end is None:
        end = clock.today() - dt.timedelta(days=1)
    if n_records < 500:
        raise ValueError(f"n_records must be at least 500 to plant the events, got {n_records}")
    if weeks < 80:
        raise ValueError(f"weeks must be at least 80 (events are planted up to 70 weeks back), got {weeks}")
    root = Path(out)
    (root / "exports").mkdir(parents=True, exist_ok=True)
    (root / "truth").mkdir(parents=True, exist_ok=True)
    catalog = load_catalog()
    district = build_district(random.Random(seed))
    plan = build_plan(district, catalog, n_records, end, weeks, seed)
    records = write_records(district, catalog, plan, seed)

    registry = root / "grids.csv"
    district.registry().write_csv(registry)
    rnd = random.Random(seed * 31 + 5)
    pii_rnd = random.Random(seed * 31 + 7)  # its own stream: the bad rows stay where they were
    by_source = {s: [r for r in records if r.source == s] for s in SOURCE_VALUES}
    exports = {
        "hotline": root / "exports" / HOTLINE_FILE,
        "snapshot": root / "exports" / SNAPSHOT_FILE,
        "visit": root / "exports" / VISIT_FILE,
    }
    title = f"{district.name}“随手拍”问题清单（{plan.week_starts[0]} 至 {end}）"
    bad: list[BadRow] = []
    bad += write_hotline(by_source["hotline"], exports["hotline"], rnd, pii_rnd)
    bad += write_snapshot(by_source["snapshot"], exports["snapshot"], rnd, title, pii_rnd)
    bad += write_visits(by_source["visit"], exports["visit"], rnd)

    truth = _truth(district, catalog, plan, records, bad, exports, seed, n_records, end)
    resources, truth["resources"] = write_resources(records, catalog, end, root / "lists", seed)
    truth["projects"] = [
        {"project_id": p.project_id, "street": p.street, "community": p.community, "problem": p.problem,
         "start": plan.week_starts[p.start].isoformat(), "effect": p.effect}
        for p in plan.projects
    ]  # fmt: skip
    (root / "truth" / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), "utf-8")
    _truth_frames(records, catalog, root / "truth")
    return SynthResult(root=root, registry=registry, exports=exports, truth=truth, lists={"resources": resources})


def _truth(
    district: District,
    catalog: Catalog,
    plan,
    records: list[SynthRecord],
    bad: list[BadRow],
    exports: dict[str, Path],
    seed: int,
    n_records: int,
    end: dt.date,
) -> dict:
    files = {}
    for source, path in exports.items():
        file_bad = [b for b in bad if b.file == path.name]
        accepted = sum(r.source == source for r in records)
        reasons: dict[str, int] = {}
        for b in file_bad:
            reasons[b.reason] = reasons.get(b.reason, 0) + 1
        files[path.name] = {
            "source": SOURCE_VALUES[source],
            "rows": accepted + len(file_bad),
            "accepted": accepted,
            "rejected": reasons,
            "bad_rows": [{"row": b.row, "reason": b.reason, "record_id": b.record_id} for b in file_bad],
        }
    events = []
    for e in plan.planted:
        events.append(
            {
                "kind": e.kind,
                "id": e.event_id,
                "problem": e.problem,
                "grid_id": e.grid_id,
                "compound": e.compound,
                "building": e.building,
                "shop": e.shop,
                "road": e.road,
                "weeks": [_iso_week(plan.week_starts[w]) for w in e.weeks],
                "counts": list(e.counts),
                "records": [r.record_id for r in records if r.event_id == e.event_id],
            }
        )
    return {
        "generator": {
            "seed": seed,
            "n_records": n_records,
            "end": end.isoformat(),
            "first_week": _iso_week(plan.week_starts[0]),
            "last_week": _iso_week(plan.week_starts[-1]),
        },
        "district": {
            "name": district.name,
            "grids": len(district.grids),
            "streets": sorted({g.street for g in district.grids}),
            "communities": len({g.community for g in district.grids}),
        },
        "problems": [
            {"key": p.key, "name": p.name, "category": p.category, "season": p.season, "keywords": list(p.keywords)}
            for p in catalog.problems
        ],
        "events": events,
        "files": files,
        "counts": {
            "records": len(records),
            "by_source": {SOURCE_VALUES[s]: sum(r.source == s for r in records) for s in SOURCE_VALUES},
        },
    }


def _truth_frames(records: list[SynthRecord], catalog: Catalog, folder: Path) -> None:
    names = {p.key: p.name for p in catalog.problems}
    pl.DataFrame(
        {
            "source": [SOURCE_VALUES[r.source] for r in records],
            "record_id": [r.record_id for r in records],
            "problem": [r.problem for r in records],
            "problem_name": [names[r.problem] for r in records],
            "grid_id": [r.grid.grid_id for r in records],
            "compound": [r.compound for r in records],
            "building": [r.building for r in records],
            "created_at": [r.created_at for r in records],
            "event_id": [r.event_id for r in records],
            "focus": [sorted(r.focus) for r in records],
        }
    ).write_parquet(folder / "records.parquet")
    # one row per planted value: where it is (source, record, column), its type, the value exactly as the
    # export holds it, and ``plain``: as the clean stage reads it (invisible characters gone, full-width
    # digits half-width, traditional script simplified), to search for in what the pipeline writes
    rows = [(SOURCE_VALUES[r.source], r.record_id, *planted) for r in records for planted in r.pii]
    plain = normalize([value for *_, value in rows])
    pl.DataFrame(
        [(*row, p) for row, p in zip(rows, plain, strict=True)],
        schema={
            "source": pl.String,
            "record_id": pl.String,
            "column": pl.String,
            "type": pl.String,
            "value": pl.String,
            "plain": pl.String,
        },
        orient="row",
    ).write_parquet(folder / "pii.parquet")
