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

Everything is a deterministic function of ``(n_records, seed, end, weeks)``.

**The district grows with the records.** A grid carries about 800 records a year
(:data:`~demandlab.synth.district.GRID_LOAD`), so ``n_records`` over ``weeks`` weeks make
``max(120, ceil(n_records / (weeks / 52.18) / 800))`` grids; communities hold 3 to 9 grids (about 4.8)
and streets about 10 communities (at least 5 streets). Up to 191,000 records over the default 104 weeks
this is the district of 120 grids, 25 communities and 5 streets, and the files are the same bytes as they
always were for the same seed; 1,000,000 records make 628 grids, 10,000,000 about 6,270 grids in 1,300
communities and 130 streets (names from :mod:`.names`).

**A grown district is written a week at a time** (:mod:`.stream`): each week's records come from that
week's own random streams, are written to the exports and to the truth's frames (a Parquet row group per
week) and dropped, so memory stays bounded (1.9 GB over all processes at 10,000,000 records with two
workers, 25 minutes of CPU), and ``workers`` processes may make weeks side by side with the same bytes as
one. Record ids then count per day (``SSP26111000001``), not per month. An export of more than 1,000,000
rows is written as one file per ISO year of its weeks (``hotline_12345_2025.csv``, as offices export
archives); a workbook that would not fit Excel's 1,048,576 rows is split further, by half-year, quarter or
month (``snapshot_2025H1.xlsx``).
``SynthResult.exports`` names each source's first file, ``SynthResult.export_files`` all of them.

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

from .. import clock
from .district import BASE_GRIDS, GRID_LOAD, build_district, grid_count
from .exports import HOTLINE_FILE, SNAPSHOT_FILE, VISIT_FILE, write_hotline, write_snapshot, write_visits
from .grammar import load_catalog
from .plan import build_plan
from .records import write_records
from .resources import DemandTally, resource_categories, write_resources
from .truth import SOURCE_VALUES, FileTally, event_records, truth_document, write_frames

__all__ = ["SOURCE_VALUES", "SynthResult", "generate", "load_catalog"]

#: above this many records the district is written a week at a time even when it keeps 120 grids (a
#: district of many weeks); at or below it, and with 120 grids, it is drawn at once as it always was
WHOLE_MAX_RECORDS = 200_000


@dataclass(frozen=True)
class SynthResult:
    """Where the generator wrote what, and the ground truth it planted."""

    root: Path
    registry: Path
    #: each source's export ("hotline", "snapshot", "visit"): its only file, or the first of its period files
    exports: dict[str, Path]
    truth: dict
    #: the community's working lists (``lists/资源清单.csv``): not exports, loaded with ``demandlab lists load``
    lists: dict[str, Path] = field(default_factory=dict)
    #: every file of each source, in time order (several when an export is split by period)
    export_files: dict[str, tuple[Path, ...]] = field(default_factory=dict)

    @property
    def export_paths(self) -> list[Path]:
        """Every export file: the hotline's, then the 随手拍 reports', then the visits'."""
        if self.export_files:
            return [path for paths in self.export_files.values() for path in paths]
        return list(self.exports.values())


def generate(
    out: str | Path,
    n_records: int = 50_000,
    seed: int = 0,
    end: dt.date | None = None,
    weeks: int = 104,
    *,
    grid_load: float = GRID_LOAD,
    workers: int = 1,
    progress=None,
) -> SynthResult:
    """Generate a synthetic district and its exports into ``out``.

    Parameters
    ----------
    out : folder to write into (created if missing; files are overwritten).
    n_records : about how many valid records to write, over all three sources.
    seed : the same seed gives byte-identical files.
    end : last day of data; the data covers the ``weeks`` ISO weeks ending with it. Default: the day
        before today (:func:`demandlab.clock.today`), so the demo's report shows this week.
    grid_load : records a grid raises a year; the district has ``n_records / years / grid_load`` grids, and
        never fewer than 120 (see the module's growth rule).
    workers : processes making the weeks of a grown district side by side (the files are the same whatever
        their number); a district of 120 grids is drawn at once in this process.
    progress : a progress factory (:mod:`demandlab.pipeline.reports`) told of each week a grown district
        has written; a district of 120 grids is one step.

    Examples
    --------
    >>> import tempfile
    >>> result = generate(tempfile.mkdtemp(), n_records=600, seed=1, end=dt.date(2026, 11, 15))
    >>> result.truth["district"]["grids"], sorted(result.exports)
    (120, ['hotline', 'snapshot', 'visit'])
    """
    if end is None:
        end = clock.today() - dt.timedelta(days=1)
    if n_records < 500:
        raise ValueError(f"n_records must be at least 500 to plant the events, got {n_records}")
    if weeks < 80:
        raise ValueError(f"weeks must be at least 80 (events are planted up to 70 weeks back), got {weeks}")
    if grid_load <= 0 or workers < 1:
        raise ValueError(f"grid_load must be positive and workers at least 1, got {grid_load} and {workers}")
    root = Path(out)
    (root / "exports").mkdir(parents=True, exist_ok=True)
    (root / "truth").mkdir(parents=True, exist_ok=True)
    n_grids = grid_count(n_records, weeks, grid_load)
    if n_grids > BASE_GRIDS or n_records > WHOLE_MAX_RECORDS:
        from .stream import generate_weekly

        return generate_weekly(root, n_records, seed, end, weeks, n_grids, workers, progress)
    from ..pipeline.reports import silent

    with (progress or silent)("合成 synth", 1) as advance:
        result = _generate_whole(root, n_records, seed, end, weeks)
        advance(1)
    return result


def _generate_whole(root: Path, n_records: int, seed: int, end: dt.date, weeks: int) -> SynthResult:
    """The district of 120 grids, every record drawn at once (the files every small data set has had)."""
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
    files = [
        FileTally(exports["hotline"], "hotline", len(by_source["hotline"])),
        FileTally(exports["snapshot"], "snapshot", len(by_source["snapshot"])),
        FileTally(exports["visit"], "visit", len(by_source["visit"])),
    ]
    files[0].bad += write_hotline(by_source["hotline"], exports["hotline"], rnd, pii_rnd)
    files[1].bad += write_snapshot(by_source["snapshot"], exports["snapshot"], rnd, title, pii_rnd)
    files[2].bad += write_visits(by_source["visit"], exports["visit"], rnd)

    truth = truth_document(district, catalog, plan, files, event_records(records), seed, n_records, end)
    tally = DemandTally(catalog, end, resource_categories()).add(records)
    resources, truth["resources"] = write_resources(tally, root / "lists", seed)
    truth["projects"] = project_truth(plan)
    (root / "truth" / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), "utf-8")
    write_frames(records, catalog, root / "truth")
    return SynthResult(
        root=root,
        registry=registry,
        exports=exports,
        truth=truth,
        lists={"resources": resources},
        export_files={source: (path,) for source, path in exports.items()},
    )


def project_truth(plan) -> list[dict]:
    """The planted projects as ``truth.json`` lists them."""
    return [
        {"project_id": p.project_id, "street": p.street, "community": p.community, "problem": p.problem,
         "start": plan.week_starts[p.start].isoformat(), "effect": p.effect}
        for p in plan.projects
    ]  # fmt: skip
