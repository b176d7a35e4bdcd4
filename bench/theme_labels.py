"""Theme labels and category mapping: their cost at 1M records, and what they say on synthetic and real data.

* cost: ``describe_clusters`` on 1,000,000 assigned records (the synthetic district's records repeated
  with jittered scores, each copy a distinct text, so that sorting and sampling see a million rows),
  side by side in one run with the keyword-only description it replaced (keyword label, any-substring
  category mapping); claim: under 15 s;
* synthetic district (20,000 records, seed 0): themes labelled by a phrase, and each planted problem's
  largest theme's label; themes mapped, and mapped to the category of the planted problem most of
  their records come from (claim: every mapped theme right);
* real messages (../shared/data, skipped when absent): taidi2020c (labelled and unlabelled messages
  together) with the shipped categories and with its own three-level ``a1_taxonomy.xlsx``, whose
  一级 level is compared with the 一级分类 most of a theme's labelled messages carry; zjboard with the
  shipped categories: themes labelled by a phrase, themes mapped (and mapped by the old any-substring
  rule on the same terms), and some labels before and after.

Run: .venv/bin/python -m bench.theme_labels   (about three minutes)
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

import demandlab as dl
from bench._common import write_result
from demandlab.config import demo_config
from demandlab.synth import generate
from demandlab.text import Segmenter, clean_text
from demandlab.text.segment import governance_lexicon
from demandlab.themes import ThemeModel, load_taxonomy
from demandlab.themes.registry import describe_clusters
from demandlab.themes.taxonomy import OTHER

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
N_SCALE = 1_000_000


def _old_category(keywords: list[str], weights: list[float], taxonomy) -> str:
    """The mapping before evidence was asked for: any term inside any seed or the reverse, best sum wins."""

    def match(term: str, seed: str) -> bool:
        return seed == term or (len(seed) >= 2 and seed in term) or (len(term) >= 2 and term in seed)

    scores: dict[str, float] = {}
    for rank, (term, weight) in enumerate(zip(keywords, weights, strict=True)):
        for category in taxonomy:
            if any(match(w, s) for w in term.split(" ") for s in category.seed_terms):
                scores[category.name] = scores.get(category.name, 0.0) + weight / (1 + 0.1 * rank)
    return max(scores, key=scores.get) if scores else OTHER


def _keyword_describe(model, texts: pl.DataFrame, taxonomy, prefer) -> pl.DataFrame:
    """The baseline: what describing a fit cost before (representatives, keyword labels, old mapping)."""
    representatives = (
        texts.filter(pl.col("cluster") >= 0)
        .sort(["cluster", "score", "text"], descending=[False, True, False], nulls_last=True)
        .group_by("cluster", maintain_order=True)
        .agg(pl.col("text").drop_nulls().unique(maintain_order=True).head(3))
    )
    labels = [model.label(c, prefer=prefer) for c in range(model.n_themes_)]
    categories = [_old_category(k, w, taxonomy) for k, w in zip(model.keywords_, model.keyword_weights_, strict=True)]
    return pl.DataFrame({"cluster": range(model.n_themes_), "label": labels, "category": categories}).join(
        representatives.with_columns(pl.col("cluster").cast(pl.Int64)), on="cluster", how="left"
    )


def _prefer(taxonomy) -> set[str]:
    return {e.word for e in governance_lexicon()} | {t for c in taxonomy for t in c.seed_terms}


def _is_phrase(label: str) -> bool:
    return " · " not in label


def synthetic() -> tuple[dict, ThemeModel, pl.DataFrame]:
    with tempfile.TemporaryDirectory() as tmp:
        result = generate(Path(tmp) / "synth", n_records=20_000, seed=0)
        cfg = demo_config(Path(tmp) / "data", Path(tmp) / "reports")
        store = dl.connect(cfg.paths.db)
        pipe = dl.Pipeline(store, cfg)
        pipe.load_grids(result.registry)
        for path in result.export_paths:
            pipe.ingest(path)
        pipe.clean()
        pipe.segment()
        frame = store.sql(
            "select t.source, t.record_id, t.tokens, r.text from tokens t join records r using (source, record_id) "
            "order by t.source, t.record_id"
        )
        store.close()
        truth = pl.read_parquet(result.root / "truth" / "records.parquet")
        problems = {p["key"]: p for p in result.truth["problems"]}
    frame = frame.join(truth.select("source", "record_id", "problem"), on=["source", "record_id"], how="left")
    model = ThemeModel(random_state=0).fit(frame["tokens"].to_list())
    frame = frame.with_columns(pl.Series("cluster", model.labels_), pl.Series("score", model.scores_))
    taxonomy = load_taxonomy()
    described = describe_clusters(model, frame, taxonomy, _prefer(taxonomy))
    majority = (
        frame.filter(pl.col("cluster") >= 0)
        .group_by("cluster", "problem")
        .len()
        .sort(["cluster", "len", "problem"], descending=[False, True, False])
        .group_by("cluster", maintain_order=True)
        .first()
    )
    planted = {c: problems[p]["category"] for c, p in majority.select("cluster", "problem").iter_rows()}
    rows = described.select("cluster", "auto_label", "auto_category", "category_score").rows()
    mapped = [(c, category) for c, _, category, score in rows if score is not None]
    out = {
        "records": frame.height,
        "themes": model.n_themes_,
        "phrase_labels": sum(_is_phrase(label) for _, label, _, _ in rows),
        "mapped": len(mapped),
        "mapped_to_the_planted_category": sum(planted[c] == category for c, category in mapped),
        "labels": dict(_named(rows, frame, problems)),
    }
    return out, model, frame


def _named(rows, frame: pl.DataFrame, problems) -> list[tuple[str, str]]:
    """Each planted problem's name beside the label of the largest theme it is the majority of."""
    sizes = frame.filter(pl.col("cluster") >= 0).group_by("cluster").len()
    majority = (
        frame.filter(pl.col("cluster") >= 0)
        .group_by("cluster", "problem")
        .len()
        .sort(["cluster", "len", "problem"], descending=[False, True, False])
        .group_by("cluster", maintain_order=True)
        .first()
        .select("cluster", "problem")
        .join(sizes, on="cluster")
        .sort(["len", "cluster"], descending=[True, False])
        .unique("problem", keep="first", maintain_order=True)
    )
    labels = {c: label for c, label, _, _ in rows}
    return sorted((problems[p]["name"], labels[c]) for c, p, _ in majority.iter_rows())


def scale(model: ThemeModel, frame: pl.DataFrame) -> dict:
    """Describe a million assigned records, repeated from ``frame``, with the new and the old description."""
    copies = -(-N_SCALE // frame.height)
    rng = np.random.default_rng(0)
    big = (
        pl.concat([frame.select("cluster", "score", "text", "tokens")] * copies)
        .head(N_SCALE)
        .with_columns(
            (pl.col("text") + "〔" + pl.int_range(pl.len()).cast(pl.String) + "〕").alias("text"),
            (pl.col("score") - pl.Series(rng.uniform(0, 0.05, N_SCALE))).alias("score"),
        )
    )
    taxonomy = load_taxonomy()
    prefer = _prefer(taxonomy)
    started = time.perf_counter()
    _keyword_describe(model, big, taxonomy, prefer)
    baseline = time.perf_counter() - started
    segmenter = Segmenter()
    _ = segmenter.tokenizer  # built outside the timed region, as the pipeline's is
    started = time.perf_counter()
    described = describe_clusters(model, big, taxonomy, prefer, segmenter=segmenter)
    ours = time.perf_counter() - started
    return {
        "records": big.height,
        "themes": model.n_themes_,
        "describe_seconds": round(ours, 2),
        "keyword_describe_seconds": round(baseline, 2),
        "phrase_labels": int(described["auto_label"].map_elements(_is_phrase, return_dtype=pl.Boolean).sum()),
    }


def _real(name: str, texts: list[str], labels: list[str | None], taxonomies: dict[str, Path | None]) -> dict:
    segmenter = Segmenter()
    tokens = [" ".join(segmenter.tokens(t)) for t in texts]
    model = ThemeModel(random_state=0).fit(tokens)
    frame = pl.DataFrame(
        {"text": texts, "tokens": tokens, "label": labels, "cluster": model.labels_, "score": model.scores_}
    )
    majority = (
        frame.filter(pl.col("label").is_not_null() & (pl.col("cluster") >= 0))
        .group_by("cluster", "label")
        .len()
        .sort(["cluster", "len", "label"], descending=[False, True, False])
        .group_by("cluster", maintain_order=True)
        .first()
    )
    labelled = dict(majority.select("cluster", "label").iter_rows())
    out: dict = {"messages": frame.height, "themes": model.n_themes_}
    for tax_name, path in taxonomies.items():
        taxonomy = load_taxonomy(path)
        prefer = _prefer(taxonomy)
        described = describe_clusters(model, frame, taxonomy, prefer, segmenter=segmenter)
        rows = described.select("cluster", "auto_label", "auto_category", "category_score").rows()
        mapped = [(c, category) for c, _, category, score in rows if score is not None]
        old = [_old_category(k, w, taxonomy) for k, w in zip(model.keywords_, model.keyword_weights_, strict=True)]
        result = {
            "phrase_labels": sum(_is_phrase(label) for _, label, _, _ in rows),
            "mapped": len(mapped),
            "mapped_by_the_old_rule": sum(category != OTHER for category in old),
            "finer_than_top_level": sum(" / " in category for _, category in mapped),
        }
        if path is not None:  # a taxonomy whose top level is the messages' own label
            result["mapped_with_labelled_majority"] = sum(c in labelled for c, _ in mapped)
            result["top_level_is_the_majority_label"] = sum(
                labelled.get(c) == category.split(" / ")[0] for c, category in mapped
            )
        else:
            result["examples"] = [
                {"before": model.label(c, prefer=prefer), "after": label, "category": category, "old_rule": old[c]}
                for c, label, category, _ in rows[:12]
            ]
        out[tax_name] = result
    return out


def real() -> dict:
    out: dict = {}
    taidi = DATA / "taidi2020c"
    if taidi.exists():
        from bench.themes_quality import taidi_corpus

        _, texts, labels = taidi_corpus()
        out["taidi2020c"] = _real(
            "taidi2020c", texts, labels, {"shipped": None, "a1_taxonomy": taidi / "sample" / "a1_taxonomy.xlsx"}
        )
    board = DATA / "zjboard" / "messages.jsonl"
    if board.exists():
        rows = [json.loads(line) for line in board.read_text("utf-8").splitlines() if line.strip()]
        texts = clean_text([f"{r['title'] or ''} {r['content'] or ''}" for r in rows])
        out["zjboard"] = _real("zjboard", [t or "" for t in texts], [r["domain"] for r in rows], {"shipped": None})
    return out or {"skipped": "../shared/data absent"}


def main() -> dict:
    synth, model, frame = synthetic()
    result = {"synthetic": synth, "scale": scale(model, frame), "real": real()}
    result["claims"] = {
        "describe_1m_under_15_seconds": result["scale"]["describe_seconds"] < 15,
        "synthetic_mapped_themes_all_right": synth["mapped_to_the_planted_category"] == synth["mapped"],
    }
    return write_result("theme_labels", result)


if __name__ == "__main__":
    main()
