"""Every stage keeps the promise it declares (demandlab.stages): the same result however it is split.

A ``rows`` stage over four Arrow batches, with its context pickled and loaded again for each batch
(as a worker process would receive it), gives the same frame as over the whole input; a ``key``
stage split by its declared key gives the same rows. This is what lets the same functions run in
one process or inside a distributed engine.
"""

from __future__ import annotations

import datetime as dt
import math
import pickle

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from demandlab import schema
from demandlab.pipeline import inputs
from demandlab.signals.people import with_people
from demandlab.signals.places import LocateContext, learn_compounds
from demandlab.signals.stage import SignalsContext, repeats_stage
from demandlab.stages import STAGES
from demandlab.text.clean import CleanContext
from demandlab.text.segment import SegmentContext
from demandlab.themes.assign import AssignContext
from demandlab.themes.registry import final_mapping

SAMPLE = 1_500


@pytest.fixture(scope="module")
def samples(demo_run) -> dict[str, tuple[pl.DataFrame, object]]:
    """For each stage, an input drawn from the session district and the context it runs with."""
    store, pipe = demo_run["store"], demo_run["pipeline"]
    raw = store.sql(
        "select * from restricted.raw_records qualify row_number() over "
        "(partition by source, record_id order by version desc) = 1 order by source, record_id limit ?",
        [SAMPLE],
    )
    records = store.sql(
        "select source, record_id, content_hash, title, text, address, building from records "
        "order by source, record_id limit ?",
        [SAMPLE],
    )
    tokens = store.sql("select source, record_id, content_hash, tokens from tokens order by all limit ?", [SAMPLE])
    version, model = pipe.current_model()
    clusters = tuple(sorted(final_mapping(inputs.cluster_themes(store, version), pipe.overrides()).items()))
    compounds = tuple(inputs.compounds(store))
    signal = pipe.signal_records()
    with_tokens = pipe.signal_records(text=True).drop("title", "text")
    signals_ctx = SignalsContext(
        config=demo_run["config"].signals, model=model.to_bytes(), last_week=signal["week_start"].max()
    )
    # the alert stages read people as the signals stage gives them: contacts, else near-duplicate groups
    people = with_people(signal, repeats_stage(with_tokens, signals_ctx))
    return {
        "clean": (raw, CleanContext(b"contract-salt", dt.datetime(2026, 11, 16, 9))),
        "segment": (records, SegmentContext(places=tuple(inputs.place_names(store)), workers=1)),
        "assign": (tokens, AssignContext(model.to_bytes(), version, clusters)),
        "locate": (records, LocateContext(compounds, learn_compounds(records, compounds))),
        "crowd": (people, signals_ctx),
        "repeat_callers": (people, signals_ctx),
        "repeats": (with_tokens, signals_ctx),
    }


def test_every_declared_stage_is_checked(samples):
    assert set(samples) == set(STAGES)
    for stage in STAGES.values():
        assert stage.partition in ("rows", "key", "global")
        assert stage.partition != "key" or stage.key


@pytest.mark.parametrize("name", [n for n, s in STAGES.items() if s.partition == "rows"])
def test_a_rows_stage_gives_the_same_rows_over_four_batches_with_a_pickled_context(samples, name):
    stage = STAGES[name]
    frame, ctx = samples[name]
    assert isinstance(ctx, stage.context)
    whole = stage.fn(frame, ctx)
    table = frame.to_arrow()
    batches = table.to_batches(max_chunksize=math.ceil(table.num_rows / 4))
    assert len(batches) == 4
    parts = [stage.fn(pl.from_arrow(batch), pickle.loads(pickle.dumps(ctx))) for batch in batches]
    assert_frame_equal(pl.concat(parts), whole)
    assert whole.height == frame.height and whole.select(schema.KEY).equals(frame.select(schema.KEY))


@pytest.mark.parametrize("name", [n for n, s in STAGES.items() if s.partition == "key"])
def test_a_key_stage_gives_the_same_rows_split_by_its_key(samples, name):
    stage = STAGES[name]
    frame, ctx = samples[name]
    whole = stage.fn(frame, ctx)
    assert whole.height > 0, f"the district gives {name} nothing to find: the test would prove nothing"
    group = pl.struct([pl.col(k) for k in stage.key]).hash(seed=7) % 3
    parts = [
        stage.fn(part, pickle.loads(pickle.dumps(ctx))) for part in frame.with_columns(_g=group).partition_by("_g")
    ]
    together = pl.concat([p for p in parts if p.height], how="vertical_relaxed")
    columns = [c for c in whole.columns if whole.schema[c] != pl.List]
    assert_frame_equal(together.sort(columns), whole.sort(columns), check_row_order=True, check_dtypes=False)


def test_contexts_are_plain_data_that_pickle_small(samples):
    """A context carries settings, words and model bytes, never a tokenizer or a connection."""
    for name, (_, ctx) in samples.items():
        data = pickle.dumps(ctx)
        assert pickle.loads(data) == ctx, name
        assert len(data) < 50_000_000, name
