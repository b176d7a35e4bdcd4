"""A grown district written a week at a time: bounded memory, and the same bytes with any number of workers.

Each week is made by :func:`make_week` from a :class:`WeekJob` (plain data that pickles) and the week's
index alone: its background counts from the plan's stream of that week, its records' text and fields from
the week's own writer streams, its export rows and bad rows from the week's export streams, its record ids
counted per day. So a week is the same whichever process makes it and whatever was made before it;
:func:`generate_weekly` takes the weeks in order (from ``workers`` processes, at most two weeks each ahead)
and appends each to the export files and the truth's Parquet frames (a row group per week), keeping only
counts, the planted events' record ids and the resource tally.

**Period files.** An export of more than :data:`FILE_MAX_ROWS` rows is written as one file per ISO year
of its weeks (``hotline_12345_2025.csv``); a 随手拍 workbook that would not fit a worksheet is split by
ISO year, else half-year, quarter or month (``snapshot_2025H1.xlsx``). Each file gets its own bad rows
(:data:`~demandlab.synth.exports.BAD_ROWS`), placed in weeks drawn from a stream of the seed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import multiprocessing
import random
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import opencc
import pyarrow as pa

from .district import District, build_district
from .exports import (
    BAD_ROWS,
    HEADER_ROWS,
    HOTLINE_FILE,
    HOTLINE_HEAD,
    SNAPSHOT_FILE,
    SNAPSHOT_MAX_RECORDS,
    VISIT_FILE,
    BadRow,
    Chunk,
    SnapshotBook,
    hotline_chunk,
    snapshot_chunk,
    visit_chunk,
)
from .fields import draw_grid_workers
from .grammar import Catalog, load_catalog
from .people import PeopleFaker
from .plan import SOURCES, WeeklyPlan, build_weekly_plan
from .records import DAILY_IDS, RecordWriter, WriterStreams, draft_records, finish_records
from .resources import DemandTally, resource_categories, write_resources
from .truth import FileTally, FrameWriter, event_records, record_frames, truth_document

#: an export with more rows than this is written as one file per ISO year
FILE_MAX_ROWS = 1_000_000
FILES = {"hotline": HOTLINE_FILE, "snapshot": SNAPSHOT_FILE, "visit": VISIT_FILE}


def derive_seed(seed: int, *parts: object) -> int:
    """A seed for the stream named by ``parts`` of the district of ``seed`` (64 bits of a SHA-256).

    >>> derive_seed(0, 5, "main") == derive_seed(0, 5, "main") != derive_seed(0, 6, "main")
    True
    """
    digest = hashlib.sha256(":".join(map(str, (seed, *parts))).encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass(frozen=True)
class WeekJob:
    """What every week is made from; plain data that pickles."""

    district: District
    catalog: Catalog
    plan: WeeklyPlan
    seed: int
    end: dt.date
    data_end: dt.datetime
    grid_workers: dict[str, str]
    repeat_contacts: dict[str, str]
    #: week → source → reason → bad rows to insert there
    bad: dict[int, dict[str, dict[str, int]]]
    #: the categories the resource list counts demand of (:func:`~demandlab.synth.resources.resource_categories`)
    resource_categories: frozenset[str]


@dataclass(frozen=True)
class WeekOutput:
    """A week made: each source's chunk of rows, the truth's frames, the planted events' ids, the resource tally."""

    week: int
    chunks: dict[str, Chunk]
    frames: tuple[pa.Table, pa.Table]
    events: dict[str, list[str]]
    tally: DemandTally


def make_week(job: WeekJob, w: int) -> WeekOutput:
    """Week ``w`` of the district, from its own random streams only."""

    def stream(name: str) -> random.Random:
        return random.Random(derive_seed(job.seed, w, name))

    streams = WriterStreams(stream("main"), stream("people"), stream("families"), stream("family-faker"))
    writer = RecordWriter(
        job.district, job.catalog, job.seed, job.data_end, streams, job.grid_workers, job.repeat_contacts
    )
    records, events = draft_records(job.district, job.catalog, job.plan, range(w, w + 1), writer)
    finish_records(records, events, writer, DAILY_IDS, {})
    by_source = {s: [r for r in records if r.source == s] for s in SOURCES}
    bad = {s: job.bad.get(w, {}).get(s, {}) for s in SOURCES}
    chunks = {
        "hotline": hotline_chunk(by_source["hotline"], stream("hotline"), stream("hotline-pii"), bad["hotline"]),
        "snapshot": snapshot_chunk(
            by_source["snapshot"], stream("snapshot"), stream("snapshot-pii"), bad["snapshot"], _s2t()
        ),
        "visit": visit_chunk(by_source["visit"], stream("visit"), bad["visit"]),
    }
    frame, pii = record_frames(records, job.catalog)
    tally = DemandTally(job.catalog, job.end, job.resource_categories).add(records)
    return WeekOutput(w, chunks, (frame.to_arrow(), pii.to_arrow()), event_records(records), tally)


@cache
def _s2t() -> opencc.OpenCC:
    """The converter to traditional script, built once per process (building one takes a tenth of a second)."""
    return opencc.OpenCC("s2t")


# --- period files -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """Weeks written to one file; ``label`` goes into its name ('' for the only file)."""

    label: str
    weeks: range


def _period_keys(monday: dt.date) -> list[str]:
    """The labels of ``monday``'s week from the coarsest period to the finest: all, year, half, quarter, month."""
    year, week, _ = monday.isocalendar()
    thursday = monday + dt.timedelta(days=3)
    return ["", f"{year}", f"{year}H{1 if week <= 26 else 2}", f"{year}Q{min(4, (week - 1) // 13 + 1)}",
            f"{thursday:%Y-%m}"]  # fmt: skip


def periods(week_starts: tuple[dt.date, ...], expected: np.ndarray, limit: int, finest: int) -> list[Period]:
    """The coarsest split of the weeks into periods whose rows stay within ``limit`` (``expected``: rows per
    week on average; a period may hold six standard deviations and its bad rows more), going no finer than
    level ``finest`` (0 all, 1 ISO year, 2 half-year, 3 quarter, 4 month).

    >>> mondays = tuple(dt.date(2025, 12, 1) + dt.timedelta(weeks=i) for i in range(8))
    >>> [p.label for p in periods(mondays, np.full(8, 100.0), 2_000, 1)]
    ['']
    >>> [(p.label, len(p.weeks)) for p in periods(mondays, np.full(8, 300.0), 2_000, 1)]
    [('2025', 4), ('2026', 4)]
    """
    for level in range(finest + 1):
        labels = [_period_keys(m)[level] for m in week_starts]
        found, start = [], 0
        for label, group in itertools.groupby(range(len(labels)), key=lambda i: labels[i]):
            n = len(list(group))
            found.append(Period(label, range(start, start + n)))
            start += n
        totals = [float(expected[p.weeks.start : p.weeks.stop].sum()) for p in found]
        if all(t + 6 * t**0.5 + 50 <= limit for t in totals):
            return found
        if level == finest:
            if finest == 4:
                raise ValueError(f"a month of this district has more reports than a worksheet holds ({limit:,})")
            return found
    raise AssertionError("unreachable")


class ExportFiles:
    """The export files of a district written a week at a time: opens each period's file when its first week
    comes, appends each week's chunk, and keeps each file's truth (:class:`FileTally`)."""

    def __init__(self, folder: Path, periods: dict[str, list[Period]], title: Callable[[Period], str]) -> None:
        self.folder = folder
        self.periods = periods
        self.title = title
        self.files: dict[str, list[FileTally]] = {s: [] for s in periods}
        self.open: dict[str, object] = {}
        self.offset: dict[str, int] = {}

    def path(self, source: str, period: Period) -> Path:
        name = Path(FILES[source])
        return self.folder / (f"{name.stem}_{period.label}{name.suffix}" if period.label else name.name)

    def append(self, source: str, w: int, chunk: Chunk) -> None:
        files = self.files[source]
        period = next(p for p in self.periods[source] if w in p.weeks)
        path = self.path(source, period)
        if not files or files[-1].path != path:
            self._close(source)
            files.append(FileTally(path, source))
            self.offset[source] = 0
            if source == "snapshot":
                self.open[source] = SnapshotBook(path, self.title(period))
            else:
                handle = path.open("wb")
                handle.write(HOTLINE_HEAD if source == "hotline" else b"")
                self.open[source] = handle
        tally, handle = files[-1], self.open[source]
        if source == "snapshot":
            handle.append(chunk)
        else:
            handle.write(chunk.data)
        first_row = self.offset[source] + 1 + HEADER_ROWS[FILES[source]]
        tally.bad += [BadRow(path.name, first_row + i, reason, rid) for i, reason, rid in chunk.bad]
        tally.accepted += chunk.rows - len(chunk.bad)
        self.offset[source] += chunk.rows

    def _close(self, source: str) -> None:
        handle = self.open.pop(source, None)
        if handle is not None:
            handle.close()

    def close(self) -> None:
        for source in list(self.open):
            self._close(source)


def _bad_rows(periods: dict[str, list[Period]], seed: int) -> dict[int, dict[str, dict[str, int]]]:
    """Where each file's bad rows go: week → source → reason → count, drawn from a stream of the seed."""
    rnd = random.Random(derive_seed(seed, "bad-rows"))
    bad: dict[int, dict[str, dict[str, int]]] = {}
    for source, source_periods in periods.items():
        spec = BAD_ROWS[FILES[source]]
        for period in source_periods:
            for reason, count in spec.items():
                for _ in range(count):
                    cell = bad.setdefault(rnd.choice(period.weeks), {}).setdefault(source, {})
                    cell[reason] = cell.get(reason, 0) + 1
    # each week inserts its bad rows reason by reason, in the order of BAD_ROWS
    return {
        w: {s: {r: by_reason[r] for r in BAD_ROWS[FILES[s]] if r in by_reason} for s, by_reason in sources.items()}
        for w, sources in bad.items()
    }


def _weeks(job: WeekJob, weeks: range, workers: int) -> Iterator[WeekOutput]:
    """The weeks made, in order: here, or by ``workers`` processes with at most two weeks each in flight."""
    if workers <= 1:
        for w in weeks:
            yield make_week(job, w)
        return
    # spawned, not forked: the parent's thread pools (polars, BLAS) do not survive a fork
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        todo = iter(weeks)
        pending = deque(pool.submit(make_week, job, w) for w in itertools.islice(todo, 2 * workers))
        while pending:
            done = pending.popleft().result()
            pending.extend(pool.submit(make_week, job, w) for w in itertools.islice(todo, 1))
            yield done


def generate_weekly(
    root: Path, n_records: int, seed: int, end: dt.date, weeks: int, n_grids: int, workers: int, progress=None
):
    """Write a district of ``n_grids`` grids a week at a time into ``root`` (see :func:`demandlab.synth.generate`);
    ``progress`` (a progress factory) is told of each week written."""
    from ..pipeline.reports import silent
    from . import SynthResult, project_truth

    catalog = load_catalog()
    district = build_district(random.Random(seed), n_grids)
    plan = build_weekly_plan(district, catalog, n_records, end, weeks, seed)
    registry = root / "grids.csv"
    district.registry().write_csv(registry)

    people = PeopleFaker(random.Random(derive_seed(seed, "people")))
    grid_workers = draw_grid_workers(random.Random(derive_seed(seed, "grid-workers")), people, district)
    repeat_contacts = {e.event_id: people.mobile() for e in plan.planted if e.kind == "repeat_caller"}

    planted = np.zeros(weeks)
    for event in plan.planted:  # each planted record counted in every source: an upper bound
        planted[list(event.weeks)] += event.counts
    expected = plan.expected() + planted[None, :]
    # a CSV or JSON-lines export of more than FILE_MAX_ROWS rows per ISO year; a workbook as coarse as fits
    limits = {"hotline": (FILE_MAX_ROWS, 1), "snapshot": (SNAPSHOT_MAX_RECORDS, 4), "visit": (FILE_MAX_ROWS, 1)}
    by_source = {s: periods(plan.week_starts, expected[i], *limits[s]) for i, s in enumerate(SOURCES)}
    job = WeekJob(
        district=district,
        catalog=catalog,
        plan=plan,
        seed=seed,
        end=end,
        data_end=dt.datetime.combine(plan.week_starts[-1] + dt.timedelta(days=6), dt.time(23, 59, 59)),
        grid_workers=grid_workers,
        repeat_contacts=repeat_contacts,
        bad=_bad_rows(by_source, seed),
        resource_categories=resource_categories(),
    )

    def title(period: Period) -> str:
        last = min(end, plan.week_starts[period.weeks.stop - 1] + dt.timedelta(days=6))
        return f"{district.name}“随手拍”问题清单（{plan.week_starts[period.weeks.start]} 至 {last}）"

    files = ExportFiles(root / "exports", by_source, title)
    frames = FrameWriter(root / "truth")
    events: dict[str, list[str]] = {}
    tally = DemandTally(catalog, end, job.resource_categories)
    try:
        with (progress or silent)("合成 synth weeks", weeks) as advance:
            for done in _weeks(job, range(weeks), workers):
                for source, chunk in done.chunks.items():
                    files.append(source, done.week, chunk)
                frames.append(done.frames)
                for event_id, ids in done.events.items():
                    events.setdefault(event_id, []).extend(ids)
                tally.merge(done.tally)
                advance(1)
    finally:
        files.close()
        frames.close()

    tallies = [f for s in SOURCES for f in files.files[s]]
    truth = truth_document(district, catalog, plan, tallies, events, seed, n_records, end)
    resources, truth["resources"] = write_resources(tally, root / "lists", seed)
    truth["projects"] = project_truth(plan)
    (root / "truth" / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), "utf-8")
    export_files = {s: tuple(f.path for f in files.files[s]) for s in SOURCES}
    return SynthResult(
        root=root,
        registry=registry,
        exports={s: paths[0] for s, paths in export_files.items()},
        truth=truth,
        lists={"resources": resources},
        export_files=export_files,
    )
