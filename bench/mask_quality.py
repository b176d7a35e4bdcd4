"""Masking quality: recall and precision of personal-data masking on a labelled corpus.

The corpus: every valid record of a 50,000-record synthetic district (the generator writes each
planted phone, ID, name, plate and room number to truth/pii.parquet) plus the hand-written hard
cases and look-alikes of tests/text/pii_cases.tsv. Claims (issue 4): recall ≥ 99.5 %, precision
≥ 98 %. Also recorded: masking throughput (normalise + mask, texts per second, one core).

Run: .venv/bin/python -m bench.mask_quality
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from tests.text.test_mask_quality import CASES, planted_texts

from bench._common import write_result
from demandlab.synth import generate
from demandlab.text import mask, normalize
from demandlab.text.evaluate import score_cases, score_planted


def main() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        district = generate(Path(tmp), n_records=50_000, seed=21)
        texts, values = planted_texts(district)
    started = time.perf_counter()
    mask(normalize(texts))
    elapsed = time.perf_counter() - started
    synthetic = score_planted(texts, values)
    hand = score_cases(CASES)
    both = synthetic.add(hand)
    return write_result(
        "mask_quality",
        {
            "synthetic_records": len(texts),
            "synthetic": synthetic.as_dict(),
            "hand_written_cases": {"cases": len(CASES), **hand.as_dict()},
            "overall": {"recall": round(both.recall, 5), "precision": round(both.precision, 5)},
            "claims": {"recall_at_least_99_5": both.recall >= 0.995, "precision_at_least_98": both.precision >= 0.98},
            "texts_per_second": round(len(texts) / elapsed),
        },
    )


if __name__ == "__main__":
    main()
