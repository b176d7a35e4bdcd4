"""Themes on real exports, side by side with the textbook methods in one run (issue 14).

Real sets (../shared/data, skipped when absent):

* taidi2020c — the labelled sample and the unlabelled file fitted together (3,296 citizen messages);
  494 carry the official 7-class 一级分类;
* zjboard — 1,234 messages to Zhejiang and Hangzhou leaders against their 12-value ``domain``.

Each is segmented as the pipeline does (``clean_text`` → ``Segmenter``). Methods, each fitted on
seeds 0 and 1:

* demandlab — ``ThemeModel()`` with its defaults (the number of themes is its own);
* k-means — the plain baseline: TF-IDF (the same tokens, words and word pairs, sublinear, min_df 3,
  max_df 0.5) → LSA (150 axes, randomized SVD) → k-means (n_init 4) with demandlab's number of themes,
  and with the number of classes;
* LDA — scikit-learn's, on counts of the same tokens, at demandlab's number of themes;
* BERTopic 0.17.4 — its default UMAP + HDBSCAN on our LSA vectors (``make bench-anchors``).

Figures: NMI and ARI against the labels (labelled records only), seed stability (ARI between the
two seeds' partitions of all records), subsample stability for demandlab and k-means (ARI, on the
records both share, between fits on two different 90 % subsamples: what moves when the data moves),
unassigned share, number of themes, fit seconds, peak traced memory (numpy included).

Synthetic district: 2,000 and 50,000 records: number of themes (claim: at most 45 at 2,000), NMI
against the planted problems (claim ≥ 0.9) and whether every planted problem is the majority of one
theme.

Claims per real set: demandlab's NMI ahead of every anchor's, and seed stability ≥ 0.9.

Run: make bench-anchors && .venv/bin/python -m bench.themes_real
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.cluster import KMeans
from sklearn.decomposition import LatentDirichletAllocation, TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.preprocessing import normalize

from bench._common import write_result
from demandlab.ingest import read_table
from demandlab.text import Segmenter, clean_text
from demandlab.themes import ThemeModel

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
ANCHOR_PYTHON = ROOT / ".venv-anchors" / "bin" / "python"
SEEDS = (0, 1)
TOKENS = r"[^ ]+"


def taidi() -> tuple[list[str], list[str | None]] | None:
    folder = DATA / "taidi2020c"
    if not folder.exists():
        return None
    frames = []
    for name in ("sample/a2_messages_labeled.xlsx", "unlabeled/test_messages_unlabeled.xlsx"):
        frame = read_table(folder / name, known_headers={"留言编号", "留言详情"}).frame
        if "一级分类" not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias("一级分类"))
        frames.append(frame.select("留言主题", "留言详情", "一级分类"))
    frame = pl.concat(frames)
    return _segmented(list(zip(frame["留言主题"], frame["留言详情"], strict=True))), frame["一级分类"].to_list()


def zjboard() -> tuple[list[str], list[str | None]] | None:
    path = DATA / "zjboard" / "messages.jsonl"
    if not path.exists():
        return None
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return _segmented([(r.get("title"), r.get("content")) for r in rows]), [r.get("domain") for r in rows]


def _segmented(parts: list[tuple[str | None, str | None]]) -> list[str]:
    segmenter = Segmenter()
    texts = clean_text([f"{a or ''} {b or ''}" for a, b in parts])
    return [" ".join(segmenter.tokens(t)) for t in texts]


def _measured(fit: Callable[[], np.ndarray]) -> tuple[np.ndarray, float, float]:
    """Labels, seconds and peak traced MiB of one fit."""
    tracemalloc.start()
    started = time.perf_counter()
    labels = np.asarray(fit())
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return labels, round(seconds, 2), round(peak, 1)


def demandlab(docs: list[str], seed: int = 0) -> np.ndarray:
    return ThemeModel(random_state=seed).fit(docs).labels_


def lsa_kmeans(docs: list[str], k: int, seed: int) -> np.ndarray:
    weighted = TfidfVectorizer(
        token_pattern=TOKENS, lowercase=False, ngram_range=(1, 2), min_df=3, max_df=0.5, sublinear_tf=True
    ).fit_transform(docs)
    axes = min(150, weighted.shape[1] - 1)
    vectors = normalize(TruncatedSVD(axes, random_state=seed).fit_transform(weighted))
    return KMeans(k, n_init=4, random_state=seed).fit_predict(vectors)


def lda(docs: list[str], k: int, seed: int) -> np.ndarray:
    counts = CountVectorizer(token_pattern=TOKENS, lowercase=False, min_df=3, max_df=0.5).fit_transform(docs)
    return LatentDirichletAllocation(k, random_state=seed).fit_transform(counts).argmax(axis=1)


def bertopic(docs: list[str], seed: int) -> tuple[np.ndarray, float, float] | None:
    if not ANCHOR_PYTHON.exists():
        return None
    model = ThemeModel().fit(docs)  # its LSA vectors are BERTopic's embeddings, as in bench/themes_quality.py
    embeddings = model._embed(model._counts(docs))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "docs.json").write_text(json.dumps({"docs": docs}, ensure_ascii=False), encoding="utf-8")
        np.save(folder / "emb.npy", embeddings)
        script = ROOT / "bench" / "_bertopic_anchor.py"
        args = [str(folder / "docs.json"), str(folder / "emb.npy"), str(seed), str(folder / "out.json")]
        subprocess.run([str(ANCHOR_PYTHON), str(script), *args], check=True, capture_output=True)
        run = json.loads((folder / "out.json").read_text("utf-8"))
    return np.asarray(run["topics"]), run["fit_seconds"], run["peak_rss_mib"]


def _subsample_stability(fit: Callable[[list[str]], np.ndarray], docs: list[str]) -> float:
    """ARI between fits on two different 90 % subsamples, on the records both hold."""
    rng = np.random.default_rng(0)
    picks = [np.sort(rng.choice(len(docs), int(0.9 * len(docs)), replace=False)) for _ in range(2)]
    fitted = [dict(zip(p.tolist(), fit([docs[i] for i in p]).tolist(), strict=True)) for p in picks]
    shared = sorted(fitted[0].keys() & fitted[1].keys())
    return round(float(adjusted_rand_score([fitted[0][i] for i in shared], [fitted[1][i] for i in shared])), 4)


def _summary(runs: list[tuple[np.ndarray, float, float]], labels: list[str | None]) -> dict:
    labelled = np.array([i for i, y in enumerate(labels) if y])
    truth = [labels[i] for i in labelled]
    first = runs[0][0]
    return {
        "nmi": round(float(normalized_mutual_info_score(truth, first[labelled])), 4),
        "ari": round(float(adjusted_rand_score(truth, first[labelled])), 4),
        "nmi_by_seed": [round(float(normalized_mutual_info_score(truth, r[0][labelled])), 4) for r in runs],
        "seed_stability_ari": round(float(adjusted_rand_score(runs[0][0], runs[1][0])), 4),
        "themes": len(set(first.tolist()) - {-1}),
        "unassigned_share": round(float((first < 0).mean()), 4),
        "fit_seconds": runs[0][1],
        "peak_mib": runs[0][2],
    }


def real_set(docs: list[str], labels: list[str | None]) -> dict:
    ours = [_measured(lambda s=s: demandlab(docs, s)) for s in SEEDS]
    k = len(set(ours[0][0].tolist()) - {-1})
    classes = len({y for y in labels if y})
    out: dict = {"records": len(docs), "labelled": sum(1 for y in labels if y), "classes": classes}
    out["demandlab"] = _summary(ours, labels) | {"subsample_stability_ari": _subsample_stability(demandlab, docs)}
    out["kmeans_same_k"] = _summary([_measured(lambda s=s: lsa_kmeans(docs, k, s)) for s in SEEDS], labels) | {
        "subsample_stability_ari": _subsample_stability(lambda d: lsa_kmeans(d, k, 0), docs)
    }
    out["kmeans_classes_k"] = _summary([_measured(lambda s=s: lsa_kmeans(docs, classes, s)) for s in SEEDS], labels)
    out["lda_same_k"] = _summary([_measured(lambda s=s: lda(docs, k, s)) for s in SEEDS], labels)
    topics = [bertopic(docs, s) for s in SEEDS]
    out["bertopic"] = _summary(topics, labels) if all(topics) else "skipped: run make bench-anchors"
    anchors = [v["nmi"] for key, v in out.items() if isinstance(v, dict) and key != "demandlab"]
    out["claims"] = {
        "nmi_ahead_of_every_anchor": out["demandlab"]["nmi"] > max(anchors),
        "seed_stability_at_least_0_9": out["demandlab"]["seed_stability_ari"] >= 0.9,
    }
    return out


def synthetic(n: int) -> dict:
    os.environ.setdefault("DEMANDLAB_NOW", "2026-11-16T09:00:00")
    import demandlab as dl
    from demandlab.config import demo_config
    from demandlab.synth import generate

    with tempfile.TemporaryDirectory() as tmp:
        result = generate(Path(tmp) / "synth", n_records=n, seed=0)
        cfg = demo_config(Path(tmp) / "data", Path(tmp) / "reports")
        with dl.connect(cfg.paths.db) as store:
            pipe = dl.Pipeline(store, cfg)
            pipe.load_grids(result.registry)
            for path in result.export_paths:
                pipe.ingest(path)
            pipe.clean()
            pipe.segment()
            frame = store.sql("select source, record_id, tokens from tokens order by source, record_id")
        truth = pl.read_parquet(result.root / "truth" / "records.parquet")
    frame = frame.join(truth.select("source", "record_id", "problem"), on=["source", "record_id"], how="left")
    problem = np.array([p or "" for p in frame["problem"].to_list()])
    labels, seconds, peak = _measured(lambda: demandlab(frame["tokens"].to_list(), 0))
    majority = 0
    planted = sorted(set(problem) - {""})
    for p in planted:
        theme = np.bincount(labels[problem == p] + 1).argmax() - 1
        values, counts = np.unique(problem[labels == theme], return_counts=True)
        majority += int(theme >= 0 and values[counts.argmax()] == p)
    return {
        "records": len(problem),
        "planted_problems": len(planted),
        "themes": len(set(labels.tolist()) - {-1}),
        "nmi": round(float(normalized_mutual_info_score(problem[problem != ""], labels[problem != ""])), 4),
        "problems_majority_of_one_theme": majority,
        "fit_seconds": seconds,
        "peak_mib": peak,
    }


def main() -> dict:
    result: dict = {}
    for name, load in (("taidi2020c", taidi), ("zjboard", zjboard)):
        corpus = load()
        result[name] = real_set(*corpus) if corpus else f"skipped: {DATA.name}/{name} absent"
        print(name, json.dumps(result[name], ensure_ascii=False), flush=True)
    small, large = synthetic(2_000), synthetic(50_000)
    result["synthetic_2000"], result["synthetic_50000"] = small, large
    result["claims"] = {
        "synthetic_2000_at_most_45_themes": small["themes"] <= 45,
        "synthetic_nmi_at_least_0_9": min(small["nmi"], large["nmi"]) >= 0.9,
        "every_planted_problem_majority_of_one_theme": all(
            s["problems_majority_of_one_theme"] == s["planted_problems"] for s in (small, large)
        ),
    }
    return write_result("themes_real", result)


if __name__ == "__main__":
    main()
