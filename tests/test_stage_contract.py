"""Every stage keeps the promise it declares (demandlab.stages): the same result however it is split.

A ``rows`` stage over four Arrow batches, with its context pickled and loaded again for each batch
(as a worker process would receive it), gives the same frame as over the whole input; a ``key``
stage split by its declared key gives the same rows. This is what lets the same functions run in
one process or inside a distributed engine.
"""

from __future__ import annotations

import math
import pickle

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from demandlab import schema
from demandlab.stages import STAGES


@pytest.fixture(scope="module")
def samples(stage_samples) -> dict[str, tuple[pl.DataFrame, object]]:
    return stage_samples


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
