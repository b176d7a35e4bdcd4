"""Theme quality figures: agreement with labels, diversity, coherence, unassigned share, stability.

* NMI and ARI against a label column (only records that carry a label; 未归类 counts as one more
  cluster, so leaving records out is not free);
* topic diversity (Dieng et al. 2020): the share of distinct words among the top 25 keywords of
  all themes — 1.0 means no two themes share a keyword;
* NPMI coherence (Bouma 2009; Röder et al. 2015, on the corpus itself): for each theme the mean
  normalised pointwise mutual information of its top 10 keywords' document co-occurrence, then
  the mean over themes, in [-1, 1];
* the unassigned share;
* stability: ARI, on the records both hold, between the themes of two fits on two different random
  90 % subsamples. The fit is deterministic (:mod:`demandlab.themes.model`): two seeds give the same
  themes, so what is worth knowing is how much the themes move when the records do. On a sample of
  ``stability_sample`` records by default (two fits of 5,000 records take seconds); every record on
  request (``demandlab themes evaluate --stability-sample 0``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def _words(keywords: Sequence[str], top: int) -> list[str]:
    out: list[str] = []
    for term in keywords:
        for word in term.split(" "):
            if word not in out:
                out.append(word)
    return out[:top]


def topic_diversity(keywords: Sequence[Sequence[str]], top: int = 25) -> float:
    """Share of distinct words among the top ``top`` words of every theme.

    >>> topic_diversity([["电梯", "故障"], ["垃圾", "清运"]], top=2)
    1.0
    """
    words = [w for k in keywords for w in _words(k, top)]
    return len(set(words)) / len(words) if words else 0.0


def npmi_coherence(keywords: Sequence[Sequence[str]], docs: Sequence[str], top: int = 10) -> float:
    """Mean NPMI of each theme's top words over document co-occurrence in ``docs`` (space-joined tokens)."""
    tops = [_words(k, top) for k in keywords]
    vocabulary = sorted({w for t in tops for w in t})
    if not vocabulary:
        return 0.0
    binary = CountVectorizer(token_pattern=r"[^ ]+", lowercase=False, vocabulary=vocabulary, binary=True)
    x = sp.csc_matrix(binary.transform(docs), dtype=np.float64)
    n = x.shape[0]
    index = {w: i for i, w in enumerate(vocabulary)}
    df = np.asarray(x.sum(axis=0)).ravel()
    scores = []
    for words in tops:
        pairs = []
        for a, b in itertools.combinations(words, 2):
            i, j = index[a], index[b]
            joint = x[:, i].multiply(x[:, j]).sum()
            if joint == 0 or df[i] == 0 or df[j] == 0:
                pairs.append(-1.0)
                continue
            p_ij, p_i, p_j = joint / n, df[i] / n, df[j] / n
            pairs.append(1.0 if p_ij == 1 else float(np.log(p_ij / (p_i * p_j)) / -np.log(p_ij)))
        if pairs:
            scores.append(float(np.mean(pairs)))
    return float(np.mean(scores)) if scores else 0.0


def agreement(labels: Sequence[str | None], themes: Sequence[int]) -> dict:
    """NMI and ARI between themes and a label, over the records that have one."""
    pairs = [(y, t) for y, t in zip(labels, themes, strict=True) if y not in (None, "")]
    if not pairs:
        return {"labelled": 0}
    y, t = zip(*pairs, strict=True)
    return {
        "labelled": len(pairs),
        "classes": len(set(y)),
        "nmi": round(float(normalized_mutual_info_score(y, t)), 4),
        "ari": round(float(adjusted_rand_score(y, t)), 4),
    }


def stability(docs: Sequence[str], make_model, seed: int = 0, share: float = 0.9) -> float:
    """ARI, on the documents both hold, between fits of ``make_model()`` on two random ``share`` subsamples.

    >>> from demandlab.themes.model import ThemeModel
    >>> docs = ["电梯 故障 困人", "电梯 故障 维修", "垃圾 清运 臭味", "垃圾 清运 垃圾桶"] * 10
    >>> stability(docs, lambda: ThemeModel(n_themes=2, n_components=2, min_df=1, max_df=1.0))
    1.0
    """
    rng = np.random.default_rng(seed)
    picks = [np.sort(rng.choice(len(docs), max(2, int(share * len(docs))), replace=False)) for _ in range(2)]
    fitted = [
        dict(zip(p.tolist(), make_model().fit([docs[i] for i in p]).labels_.tolist(), strict=True)) for p in picks
    ]
    shared = sorted(fitted[0].keys() & fitted[1].keys())
    return round(float(adjusted_rand_score([fitted[0][i] for i in shared], [fitted[1][i] for i in shared])), 4)


def quality_figures(
    frame,
    keywords: list[list[str]],
    model,
    version: str,
    seed: int = 0,
    stability_sample: int | None = 5_000,
    label_column: str | None = None,
) -> dict:
    """Every quality figure of the current themes, as ``demandlab themes evaluate`` prints them.

    ``frame``: one row per record with ``theme_id``, ``tokens`` (space-joined) and ``label`` (null
    without a label column); ``keywords`` of the active themes; ``model`` the fitted
    :class:`~demandlab.themes.model.ThemeModel` (its parameters are refitted on two subsamples of a
    sample of ``stability_sample`` documents for the stability figure; None or 0: of every document).
    """
    from .model import ThemeModel

    docs = frame["tokens"].to_list()
    if stability_sample and len(docs) > stability_sample:
        docs_sample = [docs[i] for i in np.random.default_rng(seed).choice(len(docs), stability_sample, replace=False)]
    else:
        docs_sample = docs
    params = model.get_params()
    out = {
        "model_version": version,
        "records": frame.height,
        "themes": len(keywords),
        "unassigned_share": round(float((frame["theme_id"] < 0).mean()), 4),
        "topic_diversity": round(topic_diversity(keywords), 4),
        "npmi_coherence": round(npmi_coherence(keywords, docs), 4),
        "stability_ari": stability(docs_sample, lambda: ThemeModel(**params), seed),
        "stability_sample": len(docs_sample),
    }
    if label_column:
        out["against"] = {
            "label_column": label_column,
            **agreement(frame["label"].to_list(), frame["theme_id"].to_list()),
        }
    return out
