"""The category classifier against the textbook one, on the same folds of every labelled real set.

Sets (../shared/data; a set whose file is absent is skipped and says so):

* taidi2020c ``sample/a2_messages_labeled.xlsx``: 495 messages, label 一级分类, text 留言主题 + 留言详情.
  One 留言编号 appears twice with different labels; neither label can be trusted, both records are
  left out (``conflicting_ids``);
* zjboard ``messages.jsonl``: 1,234 messages, label ``domain``, text title + content;
* and, for fit time at the size the issue was reported at, 16,000 synthetic hotline work orders
  (label 诉求分类; generated, so its macro-F1 says little).

Texts are cleaned and segmented as the pipeline does (``read_table``, ``clean_text``,
``Segmenter``). Baseline: TF-IDF over the same tokens (word 1–2-grams, sublinear tf) →
``LinearSVC(class_weight="balanced")``. Both are fitted on the same 5 stratified folds (seed 0);
each fold's fit is timed three times, interleaved, and the median kept (the machine is shared).
Recorded per set: macro-F1 (mean over folds and per fold), accuracy, fit seconds (sum over folds),
per-class F1 of both; for demandlab, the quality of its out-of-fold probabilities (log loss beside
the class-prior log loss, and expected calibration error over ten bins); and whether
``cross_validate`` reports the same per-fold macro-F1 as this loop.

Claims per set: ``macro_f1_at_least_baseline`` (mean over folds, real sets) and ``fit_within_2x``.

Run: .venv/bin/python -m bench.classify_real   (about two minutes)
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score, log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from bench._common import write_result
from demandlab.ingest import read_table
from demandlab.synth import generate
from demandlab.text import Segmenter, clean_text
from demandlab.themes.classify import CategoryClassifier, cross_validate

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
FOLDS = 5
SEED = 0
REPEAT = 3
N_SYNTHETIC = 29_000  # about 16,000 of them hotline work orders


def _corpus(frame: pl.DataFrame, title: str, body: str, label: str) -> tuple[list[str], list[str], np.ndarray]:
    """Tokens and cleaned text of title + body, as ``bench/themes_quality.py::taidi_corpus`` does."""
    seg = Segmenter()
    texts = clean_text([f"{a or ''} {b or ''}" for a, b in zip(frame[title], frame[body], strict=True)])
    return [" ".join(seg.tokens(t)) for t in texts], [t or "" for t in texts], np.asarray(frame[label].to_list())


def taidi() -> dict:
    frame = read_table(
        DATA / "taidi2020c" / "sample" / "a2_messages_labeled.xlsx", known_headers={"留言编号", "留言详情"}
    ).frame.filter(pl.col("一级分类").is_not_null())
    conflicting = (
        frame.group_by("留言编号").agg(pl.col("一级分类").n_unique().alias("labels")).filter(pl.col("labels") > 1)
    )
    kept = frame.filter(~pl.col("留言编号").is_in(conflicting["留言编号"].implode()))
    docs, texts, y = _corpus(kept, "留言主题", "留言详情", "一级分类")
    return {
        "file": "taidi2020c/sample/a2_messages_labeled.xlsx",
        "label": "一级分类",
        "conflicting_ids": conflicting.height,
        "conflicting_records_left_out": frame.height - kept.height,
        **compare(docs, texts, y),
    }


def zjboard() -> dict:
    frame = read_table(DATA / "zjboard" / "messages.jsonl").frame.filter(pl.col("domain").is_not_null())
    docs, texts, y = _corpus(frame, "title", "content", "domain")
    return {"file": "zjboard/messages.jsonl", "label": "domain", **compare(docs, texts, y)}


def synthetic_hotline() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        result = generate(Path(tmp) / "synth", n_records=N_SYNTHETIC, seed=3, end=dt.date(2025, 6, 1))
        path = next(p for p in result.export_paths if p.name.startswith("hotline"))
        frame = read_table(path, known_headers={"工单编号", "诉求内容"}).frame.filter(pl.col("诉求分类").is_not_null())
    docs, texts, y = _corpus(frame, "诉求标题", "诉求内容", "诉求分类")
    return {"file": f"synthetic hotline_12345.csv (n_records={N_SYNTHETIC}, seed 3)", "label": "诉求分类"} | compare(
        docs, texts, y, check_cross_validate=False
    )


def baseline() -> object:
    return make_pipeline(
        TfidfVectorizer(token_pattern=r"[^ ]+", lowercase=False, ngram_range=(1, 2), sublinear_tf=True),
        LinearSVC(class_weight="balanced"),
    )


def _median_fit(make: Callable[[], object], X: list, y: np.ndarray) -> tuple[object, float]:
    times, model = [], None
    for _ in range(REPEAT):
        started = time.perf_counter()
        model = make().fit(X, y)
        times.append(time.perf_counter() - started)
    return model, float(np.median(times))


def _ece(proba: np.ndarray, right: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of the top probability: |confidence − accuracy| weighted over bins."""
    confidence = proba.max(axis=1)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    return float(
        sum(
            abs(confidence[which == b].mean() - right[which == b].mean()) * (which == b).mean()
            for b in np.unique(which)
        )
    )


def compare(docs: list[str], texts: list[str], y: np.ndarray, check_cross_validate: bool = True) -> dict:
    values, counts = np.unique(y, return_counts=True)
    keep = ~np.isin(y, values[counts < FOLDS])  # as cross_validate does: a class must be in every fold
    docs = [d for d, k in zip(docs, keep, strict=True) if k]
    texts = [t for t, k in zip(texts, keep, strict=True) if k]
    y = y[keep]
    pairs = list(zip(docs, texts, strict=True))
    classes, sizes = np.unique(y, return_counts=True)
    pred = {"demandlab": np.empty_like(y), "baseline": np.empty_like(y)}
    fold_f1 = {"demandlab": [], "baseline": []}
    fold_acc = {"demandlab": [], "baseline": []}
    seconds = {"demandlab": 0.0, "baseline": 0.0}
    proba = np.zeros((len(y), len(classes)))
    splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for train, test in splitter.split(np.zeros(len(y)), y):
        base, base_s = _median_fit(baseline, [docs[i] for i in train], y[train])
        ours, ours_s = _median_fit(lambda: CategoryClassifier(random_state=SEED), [pairs[i] for i in train], y[train])
        seconds["baseline"] += base_s
        seconds["demandlab"] += ours_s
        pred["baseline"][test] = base.predict([docs[i] for i in test])
        pred["demandlab"][test] = ours.predict([pairs[i] for i in test])
        fold_proba = ours.predict_proba([pairs[i] for i in test])
        proba[np.ix_(test, np.searchsorted(classes, ours.classes_))] = fold_proba
        for name in pred:
            fold_f1[name].append(f1_score(y[test], pred[name][test], average="macro"))
            fold_acc[name].append(accuracy_score(y[test], pred[name][test]))
    out = {
        "records": len(y),
        "classes": len(classes),
        "class_sizes": {str(c): int(n) for c, n in zip(classes, sizes, strict=True)},
        "left_out_rare_classes": sorted(str(c) for c in values[counts < FOLDS]),
    }
    for name in ("demandlab", "baseline"):
        out[name] = {
            "macro_f1_mean": round(float(np.mean(fold_f1[name])), 4),
            "macro_f1_folds": [round(float(f), 4) for f in fold_f1[name]],
            "accuracy": round(float(np.mean(fold_acc[name])), 4),
            "fit_seconds": round(seconds[name], 3),
            "per_class_f1": {
                str(c): round(float(f), 4)
                for c, f in zip(classes, f1_score(y, pred[name], labels=classes, average=None), strict=True)
            },
        }
    prior = np.tile(sizes / len(y), (len(y), 1))
    out["demandlab"]["probabilities"] = {
        "log_loss": round(float(log_loss(y, proba, labels=classes)), 4),
        "log_loss_of_class_prior": round(float(log_loss(y, prior, labels=classes)), 4),
        "expected_calibration_error": round(_ece(proba, classes[proba.argmax(axis=1)] == y), 4),
    }
    out["fit_time_ratio"] = round(seconds["demandlab"] / seconds["baseline"], 3)
    if check_cross_validate:
        figures = cross_validate(pairs, y, folds=FOLDS, random_state=SEED)
        out["cross_validate_agrees"] = figures["macro_f1_folds"] == out["demandlab"]["macro_f1_folds"]
    out["claims"] = {
        "macro_f1_at_least_baseline": out["demandlab"]["macro_f1_mean"] >= out["baseline"]["macro_f1_mean"],
        "fit_within_2x": seconds["demandlab"] <= 2 * seconds["baseline"],
    }
    return out


def main() -> dict:
    sets = {
        "taidi2020c": (DATA / "taidi2020c" / "sample" / "a2_messages_labeled.xlsx", taidi),
        "zjboard": (DATA / "zjboard" / "messages.jsonl", zjboard),
    }
    result: dict = {"folds": FOLDS, "seed": SEED, "fit_timing": f"median of {REPEAT} fits per fold, summed over folds"}
    claims = {}
    for name, (path, run) in sets.items():
        if not path.exists():
            result[name] = f"skipped: {path.relative_to(DATA.parent)} absent"
            continue
        result[name] = run()
        claims |= {f"{name}_{k}": v for k, v in result[name]["claims"].items()}
    result["synthetic_hotline"] = synthetic_hotline()
    claims["synthetic_hotline_fit_within_2x"] = result["synthetic_hotline"]["claims"]["fit_within_2x"]
    result["claims"] = claims
    return write_result("classify_real", result)


if __name__ == "__main__":
    main()
