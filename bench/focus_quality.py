"""一老一小 tags: precision, recall and F1 of ``demandlab.text.focus_tags`` on 450 real messages labelled by
hand (``tests/text/focus_labels.tsv``), against single characters of each group as the baseline, in one run.

The labels: 300 messages read while the cues were written (``dev``) and 150 labelled afterwards by
another reader and never looked at while writing them (``heldout``, the honest figure). Two thirds of
each part were drawn from messages holding a cue character, so the rare positives are there to count.
Claim (issue 18): the tags beat the baseline on held-out messages for both groups.

Run: .venv/bin/python -m bench.focus_quality
"""

from __future__ import annotations

import time

import polars as pl
from tests.text.test_focus import evaluate, labelled

from bench._common import write_result
from demandlab.text import focus_tags


def main() -> dict:
    frame = labelled()
    result: dict = {part: evaluate(frame.filter(pl.col("set") == part)) for part in ("dev", "heldout")}
    texts = frame["text"].to_list() * 200
    start = time.perf_counter()
    focus_tags(texts)
    result["texts_per_second"] = round(len(texts) / (time.perf_counter() - start))
    held = result["heldout"]
    result["claims"] = {
        f"{group}_heldout_f1_above_baseline": held[group]["demandlab"]["f1"]
        > held[group]["baseline_single_character"]["f1"]
        for group in ("elderly", "children")
    }
    return write_result("focus_quality", result)


if __name__ == "__main__":
    main()
