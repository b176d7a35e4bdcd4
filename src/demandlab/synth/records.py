"""Concrete records from a plan: the record, the writer that fills it in, and the plan turned into records.

:class:`RecordWriter` owns the random streams and hands each job to its module: the wording to
:mod:`.compose`, personal data to :mod:`.personal`, the structured fields and timing to
:mod:`.fields`. The streams and the order of their draws are what makes the generator a
deterministic function of its seed, so each job draws from the stream it always drew from.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from .compose import TextComposer
from .district import District, Grid
from .fields import FieldWriter
from .grammar import Catalog, strip_focus
from .people import FamilyFaker, PeopleFaker
from .personal import FamilyPlanter, pii_sentence
from .plan import SOURCES, Plan, Planted


@dataclass
class SynthRecord:
    """One generated record with everything the exports and the ground truth need."""

    source: str
    problem: str
    grid: Grid
    compound: str
    building: int
    created_at: dt.datetime
    text: str = ""
    event_id: str | None = None
    record_id: str = ""
    fields: dict = field(default_factory=dict)
    #: personal data planted in the exports: (column, type, value as written)
    pii: list[tuple[str, str, str]] = field(default_factory=list)
    #: 一老一小 groups the record concerns, as its writer meant them (the marks of the catalog's templates)
    focus: set[str] = field(default_factory=set)

    @property
    def floors(self) -> int:
        """How many floors the record's compound has."""
        return next(c.floors for c in self.grid.compounds if c.name == self.compound)


@dataclass(frozen=True)
class WriterStreams:
    """The record writer's random streams: text and fields, people's data, the families of issue 11."""

    main: random.Random
    people: random.Random
    families: random.Random
    family_faker: random.Random

    @classmethod
    def of_seed(cls, seed: int) -> WriterStreams:
        """The streams of a district drawn at once (:func:`write_records`)."""
        return cls(
            random.Random(seed * 104729 + 17),
            random.Random(seed * 15485863 + 3),
            random.Random(seed * 7368787 + 29),
            random.Random(seed * 2750159 + 31),
        )


class RecordWriter:
    """Writes the text and fields of records. Holds the only random streams it uses.

    Examples
    --------
    >>> from demandlab.synth.district import build_district
    >>> from demandlab.synth.grammar import load_catalog
    >>> district = build_district(random.Random(0), n_grids=4)
    >>> writer = RecordWriter(district, load_catalog(), seed=1, data_end=dt.datetime(2026, 11, 15))
    >>> grid = district.grids[0]
    >>> rec = SynthRecord("hotline", "parking", grid, grid.compounds[0].name, 1, dt.datetime(2026, 11, 10, 9))
    >>> writer.hotline_fields(rec)["accepted_at"] > rec.created_at
    True
    """

    def __init__(
        self,
        district: District,
        catalog: Catalog,
        seed: int,
        data_end: dt.datetime,
        streams: WriterStreams | None = None,
        grid_workers: dict[str, str] | None = None,
        repeat_contacts: dict[str, str] | None = None,
    ) -> None:
        self.district = district
        self.catalog = catalog
        streams = streams or WriterStreams.of_seed(seed)
        self.rnd = streams.main
        self.people = PeopleFaker(streams.people)
        # the families of issue 11 come from their own streams, so the text, fields and bad rows written
        # before them stay as they were
        self.pii_rnd = streams.families
        self.faker = FamilyFaker(streams.family_faker)
        self.data_end = data_end
        self.composer = TextComposer(self.rnd, catalog)
        self.families = FamilyPlanter(self.pii_rnd, self.faker, catalog)
        self.field_writer = FieldWriter(self.rnd, self.people, catalog, district, data_end, grid_workers)
        self.field_writer.repeat_contacts.update(repeat_contacts or {})

    def text(self, rec: SynthRecord, event: Planted | None = None) -> str:
        """The free text of ``rec`` (about ``event`` when it belongs to a planted one), personal data included."""
        problem = self.catalog.by_key(rec.problem)
        slots = self.composer.event_place(problem, rec, event)
        opening = self.composer.opening(rec)
        parts = self.composer.body(rec, problem, event, slots)
        personal = pii_sentence(self.rnd, self.people, rec, problem)
        if personal:
            parts.insert(self.rnd.randint(0, len(parts)), personal)
        family = self._family_sentence(rec, slots)
        if family:
            parts.insert(self.pii_rnd.randint(0, len(parts)), family)
        parts += self.composer.ending(rec, problem, slots)
        text, groups = strip_focus(opening + "".join(parts))
        rec.focus |= groups
        return text

    def _family_sentence(self, rec: SynthRecord, slots: dict[str, str]) -> str:
        return self.families.sentence(rec, slots)

    def other_columns(self, rec: SynthRecord) -> None:
        """Title and reply of work orders, the unit, the grid worker, the building: with personal data in some."""
        self.families.other_columns(rec)

    # --- structured fields and timing (fields.py) -------------------------------------
    def hotline_fields(self, rec: SynthRecord) -> dict:
        return self.field_writer.hotline(rec)

    def snapshot_fields(self, rec: SynthRecord) -> dict:
        return self.field_writer.snapshot(rec)

    def visit_fields(self, rec: SynthRecord) -> dict:
        return self.field_writer.visit(rec)

    def contact(self, rec: SynthRecord, event: Planted | None) -> str | None:
        return self.field_writer.contact(rec, event)

    def created_at(self, source: str, problem: str, monday: dt.date) -> dt.datetime:
        return self.field_writer.created_at(source, problem, monday)


#: how record ids begin, by source: a date format (strftime) after a letter code, then a counter of 5 digits
MONTHLY_IDS = {"hotline": "GD%Y%m%d", "snapshot": "SSP%y%m", "visit": "ZF%Y%m"}
#: a district drawn a week at a time counts every source per day, so that each week numbers its own
DAILY_IDS = {"hotline": "GD%Y%m%d", "snapshot": "SSP%y%m%d", "visit": "ZF%Y%m%d"}


def write_records(district: District, catalog: Catalog, plan: Plan, seed: int) -> list[SynthRecord]:
    """Every record of the plan, sorted by time, with ids assigned per source."""
    data_end = dt.datetime.combine(plan.week_starts[-1] + dt.timedelta(days=6), dt.time(23, 59, 59))
    writer = RecordWriter(district, catalog, seed, data_end)
    records, events = draft_records(district, catalog, plan, range(len(plan.week_starts)), writer)
    return finish_records(records, events, writer, MONTHLY_IDS, {})


def draft_records(
    district: District, catalog: Catalog, plan, weeks: range, writer: RecordWriter
) -> tuple[list[SynthRecord], dict[int, Planted]]:
    """The records of ``weeks``: problem, place and time, sorted by time, before their text is written.

    Background first (by source, grid, problem, week), then each planted event's; returns the records and
    the event of each planted one (by ``id``).
    """
    rnd = writer.rnd
    grids_by_id = {g.grid_id: g for g in district.grids}
    records: list[SynthRecord] = []

    def pick_compound(grid: Grid) -> tuple[str, int]:
        compound = rnd.choices(grid.compounds, weights=[c.buildings for c in grid.compounds])[0]
        return compound.name, rnd.randint(1, compound.buildings)

    counts = plan.counts(weeks.start, weeks.stop)
    s_idx, g_idx, p_idx, w_idx = counts.nonzero()
    for s, g, p, w in zip(s_idx, g_idx, p_idx, w_idx, strict=True):
        grid, problem = district.grids[g], catalog.problems[p].key
        monday = plan.week_starts[weeks.start + w]
        for _ in range(int(counts[s, g, p, w])):
            compound, building = pick_compound(grid)
            created = writer.created_at(SOURCES[s], problem, monday)
            records.append(SynthRecord(SOURCES[s], problem, grid, compound, building, created))
    events: dict[int, Planted] = {}
    for event in plan.planted:
        grid = grids_by_id[event.grid_id]
        for w, count in zip(event.weeks, event.counts, strict=True):
            if w not in weeks:
                continue
            for _ in range(count):
                source = rnd.choices(SOURCES, weights=event.sources)[0]
                compound = event.compound
                building = event.building or next(
                    rnd.randint(1, c.buildings) for c in grid.compounds if c.name == compound
                )
                created = writer.created_at(source, event.problem, plan.week_starts[w])
                rec = SynthRecord(source, event.problem, grid, compound, building, created, event_id=event.event_id)
                events[id(rec)] = event
                records.append(rec)
    records.sort(key=lambda r: (r.created_at, r.source, r.grid.grid_id, r.problem))
    return records, events


def finish_records(
    records: list[SynthRecord],
    events: dict[int, Planted],
    writer: RecordWriter,
    ids: dict[str, str],
    counters: dict[str, int],
) -> list[SynthRecord]:
    """Write the text, fields and personal data of drafted ``records`` in their order, and number them.

    ``ids`` gives each source's id prefix (:data:`MONTHLY_IDS`, :data:`DAILY_IDS`); ``counters`` the last
    number given per prefix, updated.
    """
    fields = {"hotline": writer.hotline_fields, "snapshot": writer.snapshot_fields, "visit": writer.visit_fields}
    for rec in records:
        event = events.get(id(rec))
        rec.text = writer.text(rec, event)
        rec.fields = fields[rec.source](rec)
        rec.fields["contact"] = writer.contact(rec, event)
        writer.other_columns(rec)
        contact = rec.fields["contact"]
        if contact:
            kind = "account" if contact.startswith("U") else "landline" if contact.startswith("0") else "mobile"
            rec.pii.append(("contact", kind, contact))
        prefix = rec.created_at.strftime(ids[rec.source])
        counters[prefix] = counters.get(prefix, 0) + 1
        rec.record_id = f"{prefix}{counters[prefix]:05d}"
    return records
