"""Every stage of the data flow, with how it may be split across workers.

A stage is ``fn(batch, ctx) -> frame``: a polars frame in, a frame out, and a context — a frozen
dataclass of plain data that survives ``pickle`` (models travel as bytes, heavy objects such as
the segmenter or the fitted model are rebuilt from it once per process). Each declares its
partitioning, which ``tests/test_stage_contract.py`` holds it to:

* ``rows`` — any split of the rows gives the same rows (clean, segment, assign, locate);
* ``key`` — any split that keeps each value of ``key`` together gives the same result
  (crowd alerts by place × theme, repeat callers by person, repeats by block);
* ``global`` — needs every row at once (the theme fit, surge scoring, hot issues).

The same functions run in one process (:mod:`demandlab.pipeline`) or inside a distributed
engine (a Spark ``mapInArrow`` for rows stages, ``groupBy(key).applyInArrow`` for key stages).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from .signals.places import LocateContext, locate_records
from .signals.stage import SignalsContext, crowd_stage, repeat_caller_stage, repeats_stage
from .text.clean import CleanContext, clean_stage
from .text.segment import SegmentContext, segment_stage
from .themes.assign import AssignContext, assign_themes

Partition = Literal["rows", "key", "global"]


@dataclass(frozen=True)
class Stage:
    name: str
    fn: Callable[[pl.DataFrame, Any], pl.DataFrame]
    context: type
    partition: Partition
    key: tuple[str, ...] = ()
    description: str = ""


STAGES: dict[str, Stage] = {
    s.name: s
    for s in (
        Stage("clean", clean_stage, CleanContext, "rows", description="raw rows → masked records"),
        Stage("segment", segment_stage, SegmentContext, "rows", description="records → space-joined tokens"),
        Stage("assign", assign_themes, AssignContext, "rows", description="tokens → theme of each record"),
        Stage("locate", locate_records, LocateContext, "rows", description="records → the place each names"),
        Stage("crowd", crowd_stage, SignalsContext, "key", ("place_key", "theme_id"), "多人同诉"),
        Stage("repeat_callers", repeat_caller_stage, SignalsContext, "key", ("person_key",), "一人多诉"),
        Stage("repeats", repeats_stage, SignalsContext, "key", ("theme_id", "place_key"), "重复诉求"),
    )
}
#: Stages that need every row at once; they run on one machine (the driver) whatever the engine.
GLOBAL = ("fit", "surges", "hot_issues")

#: How the pipeline runs a key stage over a frame of whole values of its key: ``run(name, frame, ctx)`` —
#: :func:`in_process`, or in Spark (:func:`demandlab.spark.stages.key_runner`, ``engine.name = "spark"``).
KeyRunner = Callable[[str, pl.DataFrame, Any], pl.DataFrame]


def in_process(name: str, frame: pl.DataFrame, ctx: Any) -> pl.DataFrame:
    """The stage ``name`` over ``frame`` in this process."""
    return STAGES[name].fn(frame, ctx)


__all__ = ["GLOBAL", "STAGES", "KeyRunner", "Partition", "Stage", "in_process"]
