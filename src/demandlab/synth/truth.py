"""The ground truth of a synthetic district: ``truth/truth.json``, ``truth/records.parquet``, ``truth/pii.parquet``.

``truth.json`` names the district, the problems, every planted event with its records, and every export
file with its rows, accepted records and bad rows. The two frames hold a row per record (its problem,
grid, place, time, event and 一老一小 groups) and a row per piece of personal data planted in the exports.
:func:`record_frames` makes both for some records, so that a district written a week at a time writes
them a row group per week (:class:`FrameWriter`) and one drawn at once writes them whole.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ..text.normalize import normalize
from .district import District
from .exports import BadRow
from .grammar import Catalog
from .records import SynthRecord

SOURCE_VALUES = {"hotline": "12345", "snapshot": "snapshot", "visit": "visit"}
RECORDS_SCHEMA = {
    "source": pl.String,
    "record_id": pl.String,
    "problem": pl.String,
    "problem_name": pl.String,
    "grid_id": pl.String,
    "compound": pl.String,
    "building": pl.Int64,
    "created_at": pl.Datetime("us"),
    "event_id": pl.String,
    "focus": pl.List(pl.String),
}
PII_SCHEMA = {
    "source": pl.String,
    "record_id": pl.String,
    "column": pl.String,
    "type": pl.String,
    "value": pl.String,
    "plain": pl.String,
}


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class FileTally:
    """One export file as the truth describes it: its source, the records it holds and its bad rows."""

    path: Path
    source: str
    accepted: int = 0
    bad: list[BadRow] = field(default_factory=list)

    def entry(self) -> dict:
        reasons: dict[str, int] = {}
        for b in self.bad:
            reasons[b.reason] = reasons.get(b.reason, 0) + 1
        return {
            "source": SOURCE_VALUES[self.source],
            "rows": self.accepted + len(self.bad),
            "accepted": self.accepted,
            "rejected": reasons,
            "bad_rows": [{"row": b.row, "reason": b.reason, "record_id": b.record_id} for b in self.bad],
        }


def event_records(records: list[SynthRecord], into: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """The ids of the records of each planted event, in the records' order (added to ``into``)."""
    into = {} if into is None else into
    for r in records:
        if r.event_id is not None:
            into.setdefault(r.event_id, []).append(r.record_id)
    return into


def truth_document(
    district: District,
    catalog: Catalog,
    plan,
    files: list[FileTally],
    events: dict[str, list[str]],
    seed: int,
    n_records: int,
    end: dt.date,
) -> dict:
    """``truth.json`` without the resources and projects (added by the caller)."""
    by_source = {SOURCE_VALUES[s]: sum(f.accepted for f in files if f.source == s) for s in SOURCE_VALUES}
    return {
        "generator": {
            "seed": seed,
            "n_records": n_records,
            "end": end.isoformat(),
            "first_week": iso_week(plan.week_starts[0]),
            "last_week": iso_week(plan.week_starts[-1]),
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
        "events": [
            {
                "kind": e.kind,
                "id": e.event_id,
                "problem": e.problem,
                "grid_id": e.grid_id,
                "compound": e.compound,
                "building": e.building,
                "shop": e.shop,
                "road": e.road,
                "weeks": [iso_week(plan.week_starts[w]) for w in e.weeks],
                "counts": list(e.counts),
                "records": events.get(e.event_id, []),
            }
            for e in plan.planted
        ],
        "files": {f.path.name: f.entry() for f in files},
        "counts": {"records": sum(by_source.values()), "by_source": by_source},
    }


def record_frames(records: list[SynthRecord], catalog: Catalog) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The truth's frames of ``records``: one row per record, one per piece of personal data planted."""
    names = {p.key: p.name for p in catalog.problems}
    frame = pl.DataFrame(
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
        },
        schema=RECORDS_SCHEMA,
    )
    # one row per planted value: where it is (source, record, column), its type, the value exactly as the
    # export holds it, and ``plain``: as the clean stage reads it (invisible characters gone, full-width
    # digits half-width, traditional script simplified), to search for in what the pipeline writes
    rows = [(SOURCE_VALUES[r.source], r.record_id, *planted) for r in records for planted in r.pii]
    plain = normalize([value for *_, value in rows])
    pii = pl.DataFrame(
        [(*row, p) for row, p in zip(rows, plain, strict=True)],
        schema=PII_SCHEMA,
        orient="row",
    )
    return frame, pii


def write_frames(records: list[SynthRecord], catalog: Catalog, folder: Path) -> None:
    """Write ``records.parquet`` and ``pii.parquet`` of all ``records`` at once."""
    frame, pii = record_frames(records, catalog)
    frame.write_parquet(folder / "records.parquet")
    pii.write_parquet(folder / "pii.parquet")


class FrameWriter:
    """Writes ``records.parquet`` and ``pii.parquet`` a row group per :meth:`append` (bounded memory)."""

    def __init__(self, folder: Path) -> None:
        self.writers = {
            name: pq.ParquetWriter(folder / f"{name}.parquet", pl.DataFrame(schema=schema).to_arrow().schema)
            for name, schema in (("records", RECORDS_SCHEMA), ("pii", PII_SCHEMA))
        }

    def append(self, frames: tuple[pa.Table, pa.Table]) -> None:
        for writer, table in zip(self.writers.values(), frames, strict=True):
            writer.write_table(table.cast(writer.schema))

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
