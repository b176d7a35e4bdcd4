"""Segmentation speed and sameness: 200,000 synthetic work orders, demandlab's tokens stage on the
machine's two cores against plain ``jieba.lcut`` on one core, in the same run.

Claims (issue 4): at least 20 times the throughput of plain jieba, and at least 99.9 % of documents
token-identical to jieba cutting with the same dictionary and settings.

* anchor: ``jieba.lcut(text)`` — the process-global tokenizer, default dictionary, HMM on — over
  every document, once (it takes about a minute);
* demandlab: ``tokens_frame(records, Segmenter(), workers=2)`` — rjieba with the governance lexicon,
  stopwords and filtering, each distinct text block cut once (median of 3 fresh runs);
* sameness: the tokens of every document against ``Segmenter(backend="jieba", cache=False)``, i.e.
  jieba's own Python cut with the same dictionary, HMM off, same filtering.

Also recorded: how often text blocks repeat (the speed depends on it), and the same measurement on
real messages (../shared/data/taidi2020c) when present.

Run: .venv/bin/python -m bench.segment_speed
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import jieba
import polars as pl

from bench._common import median_time, write_result
from demandlab.ingest import read_table
from demandlab.synth import generate
from demandlab.text import Segmenter, clean_text, tokens_frame

N_DOCS = 200_000
TEXT_COLUMNS = ("诉求内容", "问题描述", "走访情况", "留言详情")


def synthetic_texts() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        result = generate(Path(tmp), n_records=N_DOCS + 2_000, seed=9)
        texts: list[str] = []
        for path in result.export_paths:
            frame = read_table(path, known_headers={"上报编号", "上报时间", "问题描述"}).frame
            column = next(c for c in frame.columns if c in TEXT_COLUMNS)
            texts += frame[column].drop_nulls().to_list()
    return [t for t in clean_text(texts) if t][:N_DOCS]


def real_texts() -> list[str] | None:
    folder = Path(__file__).resolve().parents[2] / "shared" / "data" / "taidi2020c"
    if not folder.exists():
        return None
    texts: list[str] = []
    for path in sorted(folder.glob("*/*.xlsx")):
        frame = read_table(path, known_headers={"留言编号", "留言详情"}).frame
        if "留言详情" in frame.columns:
            texts += frame["留言详情"].drop_nulls().to_list()
    return [t for t in clean_text(texts) if t]


def frame_of(texts: list[str]) -> pl.DataFrame:
    n = len(texts)
    return pl.DataFrame(
        {
            "source": ["b"] * n,
            "record_id": [str(i) for i in range(n)],
            "content_hash": [""] * n,
            "title": [None] * n,
            "text": texts,
        },
        schema={
            "source": pl.String,
            "record_id": pl.String,
            "content_hash": pl.String,
            "title": pl.String,
            "text": pl.String,
        },
    )


def measure(texts: list[str], jieba_docs: int | None = None) -> dict:
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    sample = texts if jieba_docs is None else texts[:jieba_docs]
    sample_mb = sum(len(t.encode()) for t in sample) / 1e6
    jieba.setLogLevel(60)
    jieba.initialize()
    started = time.perf_counter()
    for text in sample:
        jieba.lcut(text)
    jieba_s = time.perf_counter() - started
    frame = frame_of(texts)
    ours_s = median_time(lambda: tokens_frame(frame, Segmenter(), workers=2))
    one_core_s = median_time(lambda: tokens_frame(frame, Segmenter(), workers=1), repeat=1)
    ours = tokens_frame(frame, Segmenter(), workers=2)["tokens"].to_list()
    reference = Segmenter(backend="jieba", cache=False)
    identical = sum(a == " ".join(reference.tokens(t)) for a, t in zip(ours, texts, strict=True))
    blocks = [b for t in texts for b in Segmenter().segment_blocks(t)]
    jieba_mb_s = sample_mb / jieba_s
    ours_mb_s = megabytes / ours_s
    return {
        "documents": len(texts),
        "megabytes": round(megabytes, 1),
        "jieba_lcut_mb_s": round(jieba_mb_s, 2),
        "jieba_documents_timed": len(sample),
        "demandlab_2_workers_mb_s": round(ours_mb_s, 2),
        "demandlab_1_worker_mb_s": round(megabytes / one_core_s, 2),
        "speedup": round(ours_mb_s / jieba_mb_s, 1),
        "identical_to_jieba_same_dictionary": round(identical / len(texts), 5),
        "text_blocks": len(blocks),
        "distinct_blocks": len(set(blocks)),
    }


def main() -> dict:
    synthetic = measure(synthetic_texts())
    real = real_texts()
    result = {
        "synthetic": synthetic,
        "claims": {
            "speedup_at_least_20": synthetic["speedup"] >= 20,
            "identical_at_least_99_9_percent": synthetic["identical_to_jieba_same_dictionary"] >= 0.999,
        },
        "real_messages": measure(real) if real else "skipped: ../shared/data/taidi2020c absent",
    }
    return write_result("segment_speed", result)


if __name__ == "__main__":
    main()
