"""Theme model at scale on this 2-core machine.

* fit on 1,000,000 segmented synthetic records: claim under 5 minutes and under 8 GiB peak memory;
* assign 50,000 new records to the fitted model: claim under 10 seconds;
* at 100,000 records, fit time and peak memory side by side with BERTopic 0.17.4 given the same
  tokens and our LSA vectors as embeddings (default UMAP + HDBSCAN): claim demandlab ≥ 5× faster.

Each fit runs in its own process so that its peak memory is its own (``ru_maxrss``); imports and
reading the tokens are outside the timed region for both.

Run: make bench-anchors && .venv/bin/python -m bench.themes_scale   (about 20 minutes)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench._common import write_result

ROOT = Path(__file__).resolve().parents[1]
ANCHOR_PYTHON = ROOT / ".venv-anchors" / "bin" / "python"
N_FIT = 1_000_000
N_NEW = 50_000
N_COMPARE = 100_000

_CORPUS = """
import sys, polars as pl
from pathlib import Path
from demandlab.synth import generate
from demandlab.ingest import read_table
from demandlab.text import Segmenter, clean_text, tokens_frame
out, n = Path(sys.argv[1]), int(sys.argv[2])
result = generate(out / "synth", n_records=n, seed=11)
texts = []
for path in result.export_paths:
    frame = read_table(path, known_headers={"上报编号", "上报时间", "问题描述"}).frame
    column = next(c for c in frame.columns if c in ("诉求内容", "问题描述", "走访情况"))
    texts += frame[column].drop_nulls().to_list()
texts = clean_text(texts)
k = len(texts)
records = pl.DataFrame({"source": ["s"] * k, "record_id": [str(i) for i in range(k)], "content_hash": [""] * k,
                        "title": [None] * k, "text": texts}, schema_overrides={"title": pl.String})
tokens_frame(records, Segmenter(), workers=2).select("tokens").write_parquet(out / "tokens.parquet")
"""

_FIT = """
import json, resource, sys, time
import numpy as np, polars as pl
from demandlab.themes import ThemeModel
tokens, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
docs = pl.read_parquet(tokens)["tokens"].head(n).to_list()
new = pl.read_parquet(tokens)["tokens"].slice(n, 50_000).to_list()
started = time.perf_counter()
model = ThemeModel(random_state=0).fit(docs)
fit = time.perf_counter() - started
started = time.perf_counter()
model.assign(new)
assign = time.perf_counter() - started
result = {"documents": len(docs), "fit_seconds": round(fit, 1), "themes": model.n_themes_,
          "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
          "assign_documents": len(new), "assign_seconds": round(assign, 2)}
if len(sys.argv) > 4:
    np.save(sys.argv[4], model._embed(model._counter(model.vocabulary_).transform(docs).tocsr()))
    json.dump({"docs": docs}, open(sys.argv[5], "w", encoding="utf-8"), ensure_ascii=False)
json.dump(result, open(out, "w"))
"""


def _run(args: list[str]) -> None:
    subprocess.run(args, check=True, cwd=ROOT)


def main() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _run([sys.executable, "-c", _CORPUS, str(tmp), str(N_FIT + N_NEW + 20_000)])
        tokens = tmp / "tokens.parquet"
        _run([sys.executable, "-c", _FIT, str(tokens), str(N_FIT), str(tmp / "fit1m.json")])
        big = json.loads((tmp / "fit1m.json").read_text())
        _run(
            [
                sys.executable,
                "-c",
                _FIT,
                str(tokens),
                str(N_COMPARE),
                str(tmp / "fit100k.json"),
                str(tmp / "emb.npy"),
                str(tmp / "docs.json"),
            ]
        )
        small = json.loads((tmp / "fit100k.json").read_text())
        if ANCHOR_PYTHON.exists():
            _run(
                [
                    str(ANCHOR_PYTHON),
                    str(ROOT / "bench" / "_bertopic_anchor.py"),
                    str(tmp / "docs.json"),
                    str(tmp / "emb.npy"),
                    "0",
                    str(tmp / "bertopic.json"),
                ]
            )
            bt = json.loads((tmp / "bertopic.json").read_text())
            bertopic = {k: bt[k] for k in ("fit_seconds", "peak_rss_mib", "n_topics", "outlier_share")}
        else:
            bertopic = "skipped: run make bench-anchors"
    result = {
        "fit_1m": big,
        "compare_100k": {"demandlab": small, "bertopic": bertopic},
        "claims": {
            "fit_1m_under_5_minutes": big["fit_seconds"] < 300,
            "fit_1m_under_8_gib": big["peak_rss_mib"] < 8 * 1024,
            "assign_50k_under_10_seconds": big["assign_seconds"] < 10,
            "at_least_5x_faster_than_bertopic_at_100k": isinstance(bertopic, dict)
            and bertopic["fit_seconds"] >= 5 * small["fit_seconds"],
        },
    }
    return write_result("themes_scale", result)


if __name__ == "__main__":
    main()
