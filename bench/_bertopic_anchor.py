"""BERTopic run for the theme benchmarks, executed with .venv-anchors/bin/python (see bench/anchors.txt).

Usage: _bertopic_anchor.py DOCS.json EMBEDDINGS.npy SEED OUT.json
DOCS.json holds {"docs": [space-joined tokens]}; BERTopic gets those tokens (a whitespace
CountVectorizer, as Chinese needs) and the embeddings given, with its default UMAP + HDBSCAN.
Writes topics, fit seconds (imports excluded) and peak memory.
"""

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
from bertopic import BERTopic
from sklearn.feature_extraction.text import CountVectorizer
from umap import UMAP


def main() -> None:
    docs_path, emb_path, seed, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    docs = json.loads(Path(docs_path).read_text(encoding="utf-8"))["docs"]
    embeddings = np.load(emb_path)
    umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)  # BERTopic's default
    model = BERTopic(language="multilingual", umap_model=umap, vectorizer_model=CountVectorizer(token_pattern=r"[^ ]+"))
    started = time.perf_counter()
    topics, _ = model.fit_transform(docs, embeddings=embeddings)
    elapsed = time.perf_counter() - started
    topics = np.asarray(topics)
    Path(out_path).write_text(
        json.dumps(
            {
                "topics": topics.tolist(),
                "n_topics": int(len(set(topics.tolist())) - (1 if -1 in topics else 0)),
                "outlier_share": float((topics == -1).mean()),
                "fit_seconds": round(elapsed, 2),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
