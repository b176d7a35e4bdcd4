"""What names a theme: class-based TF-IDF keywords, and the label made from its own text or its keywords.

A theme's label is a short phrase its people wrote (夜间施工噪音, 电动车飞线充电, 拖欠农民工工资), taken
from a bounded sample of its records, those closest to the theme's centre (:func:`phrase_labels`):

* a candidate is a stretch of one to :data:`LABEL_TOKENS` tokens that stand next to each other in a
  record's text (nothing dropped between them: no stopword, punctuation, number or place name), of
  :data:`LABEL_CHARS` characters, shown as the text wrote it; the same words cut another way in
  another sentence (夜间 | 施工噪音, 夜间施工 | 噪音) are the same candidate;
* it must recur: in at least :data:`LABEL_MIN_SHARE` of the sampled records and in two of them;
* it must be the theme's own: at least :data:`LABEL_LIFT` times as common among the theme's sampled
  records as among the other themes' (a call-taker template, a sign-off or a city name that every
  theme repeats fails here), hold none of the ``exclude`` phrases (boilerplate and place names
  found elsewhere) and no word the dictionary tags as a place name (杭州市, 萧山区, 中路; words of
  ``prefer`` aside), and not end on a word that leaves it dangling (an adverb, a conjunction …);
* it must carry what sets the theme apart: one of its :data:`LABEL_TOP_KEYWORDS` best keywords as
  one of its words;
* the score is √(share of sampled records holding it) × (the share of the theme's keyword weight
  whose keywords are among its words, keywords of ``prefer`` — the governance lexicon, the
  taxonomy's terms — counted :data:`PREFER_WEIGHT` times): a longer phrase wins when the keywords
  it adds are worth the records it loses.

Two themes never get the same phrase: themes take their best phrase in the order of their best
score, the later one its next best. A theme with no candidate keeps the keyword label
(:func:`readable_label`: 电瓶车 · 飞线充电 · 楼道). Everything is ordered by value, so the same
records give the same labels whatever their row order.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

#: Records per theme a phrase label is chosen from (the closest to the theme's centre).
LABEL_SAMPLE = 200
#: Characters of a phrase label, least and most.
LABEL_CHARS = (3, 10)
#: Tokens a phrase label spans at most.
LABEL_TOKENS = 4
#: Share of the theme's sampled records (and at least two) a phrase must appear in.
LABEL_MIN_SHARE = 0.05
#: How many times more common among the theme's sampled records than among the other themes' a phrase must be.
LABEL_LIFT = 3.0
#: A phrase holds one of the theme's this many best keywords.
LABEL_TOP_KEYWORDS = 3
#: How much more a keyword of ``prefer`` (the governance lexicon, the taxonomy's terms) counts in a phrase.
PREFER_WEIGHT = 2.0
#: Part-of-speech tags (jieba's) of a place name, and of words a phrase cannot end on (adverb, conjunction,
#: preposition, particle, pronoun, numeral, measure word: 违建未经, 狗主人从来).
PLACE_TAG = "ns"
DANGLING_TAGS = frozenset({"d", "c", "p", "u", "r", "m", "q"})


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


Phrase = tuple[str, ...]


def _adjacent_runs(text: str, tokens: Sequence[str], blocked: Set[int]) -> list[list[tuple[str, int, int]]]:
    """Runs of tokens that stand next to each other in ``text``: (token, start, end) each, in text order.

    Tokens are found from the end of the text backwards (the segmenter lowercases, so the search is on
    the lowercased text): a record's tokens are its title's followed by its text's, and the text's,
    found last to first, are all found before the title's are looked for. A token not found, one at a
    ``blocked`` position, or anything left between two tokens ends a run.
    """
    lowered = text.lower()
    runs: list[list[tuple[str, int, int]]] = []
    run: list[tuple[str, int, int]] = []
    cursor = len(lowered)
    for i in range(len(tokens) - 1, -1, -1):
        token = tokens[i]
        at = lowered.rfind(token, 0, cursor) if token else -1
        if at < 0 or i in blocked:
            if run:
                runs.append(run[::-1])
                run = []
            if at >= 0:
                cursor = at
            continue
        if run and run[-1][1] != at + len(token):
            runs.append(run[::-1])
            run = []
        run.append((token, at, at + len(token)))
        cursor = at
    if run:
        runs.append(run[::-1])
    return runs[::-1]


def _blocked(tokens: Sequence[str], exclude: dict[str, list[Phrase]]) -> set[int]:
    """Positions of ``tokens`` covered by an excluded phrase."""
    out: set[int] = set()
    for i, token in enumerate(tokens):
        for phrase in exclude.get(token, ()):
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                out.update(range(i, i + len(phrase)))
    return out


def record_phrases(
    text: str,
    tokens: Sequence[str],
    exclude: dict[str, list[Phrase]] | None = None,
    anchor: Callable[[str], bool] | None = None,
) -> dict[str, tuple[str, Phrase]]:
    """The candidate phrases of one record (module docstring): by their lowercased text, the text as
    written and the tokens it was cut into.

    ``exclude``: excluded phrases by their first token; their tokens break the runs. ``anchor``: when
    given, only phrases with a token it accepts (a label must hold a top keyword; the rest is work saved).

    Examples
    --------
    >>> sorted(record_phrases("楼道里有人飞线充电，夜间施工噪音", ["楼道", "飞线充电", "夜间", "施工", "噪音"]))
    ['夜间施工', '夜间施工噪音', '施工噪音', '飞线充电']
    >>> sorted(record_phrases("楼道里有人飞线充电，夜间施工噪音", ["楼道", "飞线充电", "夜间", "施工", "噪音"],
    ...                       anchor=lambda token: token == "噪音"))
    ['夜间施工噪音', '施工噪音']
    """
    lo, hi = LABEL_CHARS
    found: dict[str, tuple[str, Phrase]] = {}
    blocked = _blocked(tokens, exclude) if exclude else set()
    lowered = text.lower()
    for run in _adjacent_runs(text, tokens, blocked):
        words = [t for t, _, _ in run]
        # next_anchor[i]: the first position at or after i whose token is an anchor
        next_anchor, upcoming = [len(run)] * len(run), len(run)
        for i in range(len(run) - 1, -1, -1):
            if anchor is None or anchor(words[i]):
                upcoming = i
            next_anchor[i] = upcoming
        for i in range(len(run)):
            start = run[i][1]
            for j in range(next_anchor[i], min(len(run), i + LABEL_TOKENS)):
                end = run[j][2]
                if end - start > hi:
                    break
                key = lowered[start:end]
                if end - start >= lo and key not in found:
                    found[key] = (text[start:end], tuple(words[i : j + 1]))
    return found


@dataclass(frozen=True)
class _Excluded:
    """The ``exclude`` phrases, ready to look up: by first token (to cut them out of records), their
    texts (two characters or more), the one-character ones, and every token they hold."""

    by_first: dict[str, list[Phrase]]
    texts: frozenset[str]
    singles: frozenset[str]
    parts: frozenset[str]

    @classmethod
    def of(cls, exclude: Iterable[str]) -> _Excluded:
        by_first: dict[str, list[Phrase]] = {}
        for entry in sorted(set(exclude)):
            phrase = tuple(entry.lower().split())
            if phrase:
                by_first.setdefault(phrase[0], []).append(phrase)
        phrases = [p for group in by_first.values() for p in group]
        joined = {"".join(p) for p in phrases}
        return cls(
            by_first,
            frozenset(j for j in joined if len(j) >= 2),
            frozenset(j for j in joined if len(j) < 2),
            frozenset(t for p in phrases for t in p),
        )

    def held_by(self, text: str) -> bool:
        """Whether ``text`` holds one of the phrases (every stretch of it looked up: texts are short)."""
        return bool(self.texts) and any(
            text[i:j] in self.texts for i in range(len(text)) for j in range(i + 2, len(text) + 1)
        )


def excluded_keyword(exclude: Iterable[str]) -> Callable[[str], bool]:
    """Whether a keyword (a word or a space-joined pair) has no place in a keyword label: it holds one of
    the ``exclude`` phrases (space-joined tokens), or each of its words is a token of one.

    >>> excluded = excluded_keyword(["职能局 规定 处置", "萧山区"])
    >>> excluded("规定"), excluded("萧山区 噪音"), excluded("噪音")
    (True, True, False)
    """
    excluded = _Excluded.of(exclude)

    def test(keyword: str) -> bool:
        words = keyword.lower().split()
        return (
            excluded.held_by("".join(words))
            or bool(excluded.singles & set(words))
            or all(w in excluded.parts for w in words)
        )

    return test


@dataclass
class _Candidates:
    """Phrases counted over the sampled records of every theme."""

    counts: list[Counter] = field(default_factory=list)  # per theme: records holding each phrase
    sizes: list[int] = field(default_factory=list)  # per theme: records sampled
    everywhere: Counter = field(default_factory=Counter)
    written: dict[str, str] = field(default_factory=dict)  # as first seen, in sample order
    cuts: dict[str, Phrase] = field(default_factory=dict)  # the tokens of the first cut seen
    words: dict[str, set[str]] = field(default_factory=dict)  # the tokens of every cut seen

    def add(self, records: Sequence[tuple[str, Sequence[str]]], exclude: dict, anchor: Callable[[str], bool]) -> None:
        theme: Counter = Counter()
        n = 0
        for text, tokens in records:
            if not text or not tokens:
                continue
            found = record_phrases(text, tokens, exclude, anchor)
            for key, (shown, cut) in found.items():
                if key not in self.written:
                    self.written[key], self.cuts[key], self.words[key] = shown, cut, set(cut)
                else:
                    self.words[key].update(cut)
            theme.update(found.keys())
            n += 1
        self.counts.append(theme)
        self.sizes.append(n)
        self.everywhere.update(theme)

    def ranked(
        self,
        t: int,
        keywords: list[str],
        weights: list[float],
        prefer: Set[str],
        rejected: Callable[[Phrase, str], bool],
    ) -> list[tuple[float, str]]:
        """Theme ``t``'s qualifying phrases as (score, text), best first (module docstring)."""
        n, total = self.sizes[t], sum(weights)
        if n == 0 or total <= 0:
            return []
        worth = [
            (set(k.split(" ")), w / total * (PREFER_WEIGHT if k in prefer else 1.0))
            for k, w in zip(keywords, weights, strict=True)
        ]
        top = {word for k in keywords[:LABEL_TOP_KEYWORDS] for word in k.split(" ")}
        n_all = sum(self.sizes)
        least = max(2, math.ceil(LABEL_MIN_SHARE * n))
        out = []
        for key, df in self.counts[t].items():
            if df < least:
                continue
            words = self.words[key]
            if not words & top:
                continue
            carried = sum(w for needed, w in worth if needed <= words)
            share = df / n
            rest = (self.everywhere[key] - df) / (n_all - n) if n_all > n else 0.0
            if carried <= 0 or share < LABEL_LIFT * rest or rejected(self.cuts[key], key):
                continue
            out.append((math.sqrt(share) * carried, self.written[key]))
        return sorted(out, key=lambda c: (-c[0], len(c[1]), c[1]))


def phrase_labels(
    samples: Sequence[Sequence[tuple[str, Sequence[str]]]],
    keywords: list[list[str]],
    weights: list[list[float]],
    prefer: Set[str] = frozenset(),
    exclude: Iterable[str] = (),
    tags: Callable[[str], tuple[str, ...]] = lambda word: (),
) -> list[str | None]:
    """A phrase label for each theme from its sampled records (module docstring); None where none qualifies.

    Parameters
    ----------
    samples : per theme, its sampled records as (text, tokens), closest to the centre first.
    keywords, weights : each theme's keywords and class-based TF-IDF weights (:func:`class_keywords`).
    prefer : words that name matters (the governance lexicon, the taxonomy's terms).
    exclude : phrases (tokens joined by single spaces) that must not appear in a label.
    tags : the part-of-speech tags of a word's pieces (:func:`word_tagger`); none known by default.

    Examples
    --------
    >>> noise = [("夜间施工噪音太大", ["夜间", "施工", "噪音"]),
    ...          ("工地夜间施工噪音扰民", ["工地", "夜间施工", "噪音", "扰民"])]
    >>> leak = [("楼上漏水，卫生间渗水", ["楼上", "漏水", "卫生间", "渗水"])] * 2
    >>> phrase_labels([noise, leak], [["噪音", "施工", "夜间"], ["漏水", "渗水"]], [[0.5, 0.3, 0.2], [0.6, 0.4]])
    ['夜间施工噪音', '楼上漏水']
    """
    excluded = _Excluded.of(exclude)

    def rejected(tokens: Phrase, key: str) -> bool:
        if excluded.held_by(key) or excluded.singles & set(tokens):
            return True
        if any(PLACE_TAG in tags(token) for token in tokens if token not in prefer):
            return True
        last = tags(tokens[-1])
        return bool(last) and last[-1] in DANGLING_TAGS

    # only phrases that hold some theme's top keyword can become a label; counting those alone, in every
    # theme's sample, keeps the comparison between themes exact
    anchors = {word for theme in keywords for k in theme[:LABEL_TOP_KEYWORDS] for word in k.split(" ")}
    found = _Candidates()
    for records in samples:
        found.add(records, excluded.by_first, anchors.__contains__)
    candidates = [found.ranked(t, keywords[t], weights[t], prefer, rejected) for t in range(len(samples))]
    # the theme with the strongest claim to a phrase keeps it; the other takes its next best
    order = sorted(range(len(samples)), key=lambda t: (-candidates[t][0][0] if candidates[t] else 0.0, t))
    labels: list[str | None] = [None] * len(samples)
    taken: set[str] = set()
    for t in order:
        label = next((text for _, text in candidates[t] if text not in taken), None)
        if label is not None:
            taken.add(label)
            labels[t] = label
    return labels


def word_tagger(segmenter) -> Callable[[str], tuple[str, ...]]:
    """The part-of-speech tags the segmenter's dictionary gives the pieces of a word (cached).

    Examples
    --------
    >>> from demandlab.text import Segmenter
    >>> tags = word_tagger(Segmenter())
    >>> tags("萧山区"), tags("停车位"), tags("未经")
    (('ns',), ('n',), ('d',))
    """
    if segmenter.backend == "rjieba":

        def cut(word: str) -> tuple[str, ...]:
            return tuple(tag for _, tag in segmenter.tokenizer.tag(word, False))

    else:
        import jieba.posseg

        pos = jieba.posseg.POSTokenizer(segmenter.tokenizer)

        def cut(word: str) -> tuple[str, ...]:
            return tuple(pair.flag for pair in pos.lcut(word, HMM=False))

    known: dict[str, tuple[str, ...]] = {}

    def tags(word: str) -> tuple[str, ...]:
        if word not in known:
            known[word] = cut(word)
        return known[word]

    return tags
