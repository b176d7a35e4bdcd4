"""What names a theme: class-based TF-IDF keywords and the short label made from them."""

from __future__ import annotations

from collections.abc import Set

import numpy as np
import scipy.sparse as sp


def class_keywords(
    counts: sp.csr_matrix, labels: np.ndarray, k: int, vocabulary: list[str], n_keywords: int
) -> tuple[list[list[str]], list[list[float]]]:
    """Class-based TF-IDF: the terms that set each of the ``k`` themes apart, and their weights.

    A theme's term frequencies are weighted by log(1 + mean theme size / the term's frequency over
    all themes); a word pair whose two words are both chosen already is skipped.

    Examples
    --------
    >>> counts = sp.csr_matrix(np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 2.0]]))
    >>> keywords, weights = class_keywords(counts, np.array([0, 1]), 2, ["电梯", "小区", "垃圾"], n_keywords=1)
    >>> keywords == [["电梯"], ["垃圾"]]
    True
    """
    rows = labels >= 0
    membership = sp.csr_matrix(
        (np.ones(rows.sum(), dtype=np.float32), (labels[rows], np.flatnonzero(rows))), shape=(k, counts.shape[0])
    )
    per_theme = np.asarray((membership @ counts).todense())
    tf = per_theme / np.maximum(per_theme.sum(axis=1, keepdims=True), 1)
    average = per_theme.sum() / max(k, 1)
    idf = np.log(1 + average / np.maximum(per_theme.sum(axis=0), 1))
    weights = tf * idf
    vocab = np.array(vocabulary)
    keywords, kw_weights = [], []
    for t in range(k):
        top = np.argsort(-weights[t], kind="stable")[: n_keywords * 3]
        chosen: list[str] = []
        chosen_w: list[float] = []
        for j in top:
            term = vocab[j]
            if weights[t, j] <= 0:
                break
            # a pair whose words are both chosen adds nothing to a label
            if " " in term and all(part in chosen for part in term.split(" ")):
                continue
            chosen.append(term)
            chosen_w.append(float(weights[t, j]))
            if len(chosen) == n_keywords:
                break
        keywords.append(chosen)
        kw_weights.append(chosen_w)
    return keywords, kw_weights


def readable_label(keywords: list[str], n: int = 3, prefer: Set[str] = frozenset()) -> str:
    """A short label such as ``电瓶车 · 飞线充电 · 楼道`` from a theme's keywords, best first.

    Terms in ``prefer`` (the governance lexicon, say) come first among the top keywords, so that
    a label names the matter rather than a turn of phrase; a word inside a longer one gives way.

    Examples
    --------
    >>> readable_label(["停车", "乱停车 小区", "门口"], n=2)
    '乱停车 · 小区'
    >>> readable_label(["停车", "乱停车 小区", "门口"], n=2, prefer={"门口"})
    '乱停车 · 门口'
    """
    candidates: list[str] = []
    for term in keywords[: max(n * 2, 6)]:
        candidates += [part for part in term.split(" ") if part not in candidates]
    # 停车 says less than 乱停车 when both are there
    candidates = [c for c in candidates if not any(c != other and c in other for other in candidates)]
    chosen = ([c for c in candidates if c in prefer] + [c for c in candidates if c not in prefer])[:n]
    return " · ".join(sorted(chosen, key=candidates.index))
