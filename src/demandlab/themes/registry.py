"""The theme registry: stable theme ids across refits, their lineage, and analysts' overrides.

A fit produces clusters numbered 0..k-1 in whatever order k-means found them. The registry
turns them into theme ids that keep their meaning from week to week:

* each new cluster is matched to the existing theme it shares most records with (records
  that both the old and the new model assigned), one to one, by the Hungarian method on the
  Ochiai overlap ``n_ij / sqrt(n_i · n_j)``; a match needs an overlap of at least 0.3 →
  ``continued``;
* an unmatched cluster whose keywords are those of a dormant theme revives it (``continued``);
  one drawn mostly (≥ 50 %) from a theme that continued elsewhere is a ``split`` of it; the
  rest are ``new``;
* an unmatched old theme whose records went mostly (≥ 50 %, at least five) to one cluster is
  ``merged`` into that cluster's theme; one whose records went nowhere in particular, or that
  had none in the new window, becomes ``dormant`` (its id is kept and may come back).

Analysts' overrides live in ``themes.toml`` and are applied after every fit and every weekly
assignment, so they survive refits::

    [[theme]]
    id = 12
    label = "电瓶车飞线充电"      # rename (this label is kept whatever the keywords become)
    category = "电动车充电"       # move to another category

    [[theme]]
    id = 17
    merge_into = 12              # records of 17 count as 12

    [[theme]]
    id = 3
    pin_label = true             # keep the label it has now
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from scipy.optimize import linear_sum_assignment

MIN_OVERLAP = 0.3
SPLIT_SHARE = 0.5
REVIVE_JACCARD = 0.5
MIN_RECORDS = 5  # fewer shared records than this say nothing about where a theme went
EVENTS = ("new", "continued", "merged", "split", "dormant")


class OverridesError(ValueError):
    """themes.toml cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Overrides:
    """What analysts decided about themes (from ``themes.toml``).

    Besides the ``[[theme]]`` entries (module docstring), a ``[boilerplate]`` table corrects the
    boilerplate a fit finds (:mod:`demandlab.themes.boilerplate`, table ``boilerplate``)::

        [boilerplate]
        keep = ["飞线 充电"]              # content, not boilerplate: never stripped
        drop = ["感谢 您 的 来电"]        # boilerplate the fit missed: stripped from every source

    Phrases are written as the ``boilerplate`` table shows them (tokens separated by spaces) or as
    plain text (cut into tokens like the records). They take effect at the next fit; the pipeline
    fits again when they change.
    """

    labels: dict[int, str] = field(default_factory=dict)
    categories: dict[int, str] = field(default_factory=dict)
    merges: dict[int, int] = field(default_factory=dict)
    pinned: frozenset[int] = frozenset()
    source: str | None = None
    boilerplate_keep: tuple[str, ...] = ()
    boilerplate_drop: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: str | Path | None) -> Overrides:
        """Read ``path``; a missing file means no overrides."""
        if path is None or not Path(path).exists():
            return cls()
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise OverridesError(f"{path}: not valid TOML: {exc}") from exc
        labels, categories, merges, pinned = {}, {}, {}, set()
        for n, entry in enumerate(raw.get("theme", []), start=1):
            where = f"{path}: [[theme]] #{n}"
            if not isinstance(entry.get("id"), int):
                raise OverridesError(f"{where}: needs an integer id")
            unknown = set(entry) - {"id", "label", "category", "merge_into", "pin_label", "note"}
            if unknown:
                raise OverridesError(f"{where}: unknown key(s) {sorted(unknown)}")
            theme = entry["id"]
            if "label" in entry:
                labels[theme] = str(entry["label"])
            if "category" in entry:
                categories[theme] = str(entry["category"])
            if "merge_into" in entry:
                if not isinstance(entry["merge_into"], int) or entry["merge_into"] == theme:
                    raise OverridesError(f"{where}: merge_into must be another theme's integer id")
                merges[theme] = entry["merge_into"]
            if entry.get("pin_label"):
                pinned.add(theme)
        keep, drop = _boilerplate_decisions(raw.get("boilerplate", {}), path)
        overrides = cls(labels, categories, merges, frozenset(pinned), str(path), keep, drop)
        overrides.check_cycles()
        return overrides

    def resolve(self, theme: int) -> int:
        """Follow merges to the theme a record finally counts as."""
        seen = [theme]
        while theme in self.merges:
            theme = self.merges[theme]
            if theme in seen:
                raise OverridesError(
                    f"{self.source}: merge_into forms a cycle: {' -> '.join(map(str, [*seen, theme]))}"
                )
            seen.append(theme)
        return theme

    def check_cycles(self) -> None:
        for theme in self.merges:
            self.resolve(theme)


def _boilerplate_decisions(table: object, path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``keep`` and ``drop`` of the ``[boilerplate]`` table: lists of phrases, none in both."""
    where = f"{path}: [boilerplate]"
    if not isinstance(table, dict):
        raise OverridesError(f"{where}: must be a table with keep and drop lists")
    unknown = set(table) - {"keep", "drop"}
    if unknown:
        raise OverridesError(f"{where}: unknown key(s) {sorted(unknown)}")
    lists = []
    for key in ("keep", "drop"):
        phrases = table.get(key, [])
        if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
            raise OverridesError(f"{where}: {key} must be a list of non-empty phrases")
        lists.append(tuple(dict.fromkeys(" ".join(p.split()) for p in phrases)))
    both = sorted(set(lists[0]) & set(lists[1]))
    if both:
        raise OverridesError(f"{where}: {both} both kept and dropped")
    return lists[0], lists[1]


@dataclass
class Matching:
    """How a fit's clusters map onto stable theme ids, and what happened to each theme."""

    cluster_theme: dict[int, int]
    events: list[tuple[int, str, str]]  # (theme id, event, detail)
    status: dict[int, str]  # theme id → active | dormant | merged


def _jaccard(a: list[str], b: list[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def first_fit(n_clusters: int, start: int = 0) -> Matching:
    """Ids for the clusters of the first fit: ``start`` onwards, every theme ``new``."""
    mapping = {c: start + c for c in range(n_clusters)}
    return Matching(
        mapping, [(t, "new", "first fit") for t in mapping.values()], dict.fromkeys(mapping.values(), "active")
    )


def match_clusters(
    shared: pl.DataFrame,
    new_keywords: list[list[str]],
    old_keywords: dict[int, list[str]],
    old_status: dict[int, str],
    next_id: int,
) -> Matching:
    """Map new clusters onto existing theme ids (see the module docstring).

    Parameters
    ----------
    shared : one row per record both models assigned: ``theme_id`` (old), ``cluster`` (new).
    new_keywords : keywords of each new cluster, by cluster number.
    old_keywords : keywords of each existing theme, by id.
    old_status : status of each existing theme (active, dormant, merged).
    next_id : the first unused theme id.

    Examples
    --------
    >>> shared = pl.DataFrame({"theme_id": [5, 5, 5, 9, 9], "cluster": [1, 1, 1, 0, 0]})
    >>> m = match_clusters(shared, [["噪音"], ["漏水"]], {5: ["漏水"], 9: ["噪音"]}, {5: "active", 9: "active"}, 10)
    >>> dict(sorted(m.cluster_theme.items()))
    {0: 9, 1: 5}
    """
    k = len(new_keywords)
    old_ids = sorted(old_keywords)
    index = {t: i for i, t in enumerate(old_ids)}
    counts = np.zeros((len(old_ids), k))
    if shared.height:
        grouped = shared.group_by("theme_id", "cluster").len()
        for theme, cluster, n in grouped.iter_rows():
            if theme in index and 0 <= cluster < k:
                counts[index[theme], cluster] += n
    old_total, new_total = counts.sum(axis=1), counts.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        overlap = np.nan_to_num(counts / np.sqrt(np.outer(old_total, new_total)))
    rows, cols = linear_sum_assignment(-overlap) if overlap.size else ([], [])
    mapping: dict[int, int] = {}
    events: list[tuple[int, str, str]] = []
    status = dict(old_status)
    for r, c in zip(rows, cols, strict=True):
        if overlap[r, c] >= MIN_OVERLAP:
            theme = old_ids[r]
            mapping[int(c)] = theme
            status[theme] = "active"
            events.append((theme, "continued", f"overlap {overlap[r, c]:.2f}"))
    dormant = [t for t in old_ids if old_status.get(t) == "dormant"]
    for c in range(k):
        if c in mapping:
            continue
        revived = max(dormant, key=lambda t: _jaccard(old_keywords[t], new_keywords[c]), default=None)
        if (
            revived is not None
            and revived not in mapping.values()
            and _jaccard(old_keywords[revived], new_keywords[c]) >= REVIVE_JACCARD
        ):
            mapping[c] = revived
            status[revived] = "active"
            events.append((revived, "continued", "revived from dormant by its keywords"))
            continue
        theme = next_id
        next_id += 1
        mapping[c] = theme
        status[theme] = "active"
        source = int(counts[:, c].argmax()) if new_total[c] else None
        if (
            source is not None
            and counts[source, c] >= MIN_RECORDS
            and counts[source, c] / new_total[c] >= SPLIT_SHARE
            and old_ids[source] in mapping.values()
        ):
            events.append((theme, "split", f"from theme {old_ids[source]}"))
            events.append((old_ids[source], "split", f"part became theme {theme}"))
        else:
            events.append((theme, "new", ""))
    for r, theme in enumerate(old_ids):
        if theme in mapping.values() or old_status.get(theme) != "active":
            continue
        target = int(counts[r].argmax()) if old_total[r] else None
        if target is not None and counts[r, target] >= MIN_RECORDS and counts[r, target] / old_total[r] >= SPLIT_SHARE:
            status[theme] = "merged"
            events.append((theme, "merged", f"into theme {mapping[target]}"))
        else:
            status[theme] = "dormant"
            events.append((theme, "dormant", "no records of its own in this fit"))
    return Matching(mapping, events, status)


def describe_clusters(
    model, texts: pl.DataFrame, taxonomy, prefer: set[str], exclude=(), segmenter=None
) -> pl.DataFrame:
    """Label, keywords, category (with its evidence) and three representative texts for each cluster of a fitted model.

    Parameters
    ----------
    model : the fitted :class:`~demandlab.themes.model.ThemeModel`.
    texts : ``cluster``, ``score`` (similarity to the cluster centre) and ``text`` (masked) of records the
        model assigned; with a ``tokens`` column (the space-joined tokens the model was fitted on) the
        labels use those, else the sampled texts are cut by ``segmenter``.
    taxonomy : the categories themes map onto (:func:`~demandlab.themes.taxonomy.categorize`).
    prefer : words that name matters (the governance lexicon, the taxonomy's terms); labels favour them.
    exclude : phrases, tokens joined by single spaces (boilerplate, place names), that no label may hold.
    segmenter : the :class:`~demandlab.text.Segmenter` that cuts the sample and tags place names;
        a default one when None.

    Returns one row per cluster: ``cluster``, ``auto_label`` (a phrase from the theme's own records,
    :func:`~demandlab.themes.keywords.phrase_labels`, else the keyword label), ``keywords``,
    ``auto_category`` (其他 when no category has the evidence), ``category_score`` (null then),
    ``category_candidates`` (the best categories and their scores) and ``representatives``.

    Representatives and the label's sample are the closest texts, equally close ones (the same words in
    another order, a repeated message) in the order of the text itself, so that a refit of the same
    records names the same ones.
    """
    from ..text import Segmenter
    from .keywords import LABEL_SAMPLE, excluded_keyword, phrase_labels, readable_label, word_tagger
    from .taxonomy import categorize

    columns = ["cluster", "text", *(["tokens"] if "tokens" in texts.columns else [])]
    ranked = (
        texts.filter((pl.col("cluster") >= 0) & pl.col("text").is_not_null())
        .sort(["cluster", "score", "text"], descending=[False, True, False], nulls_last=True)
        .select(columns)
        .unique(["cluster", "text"], keep="first", maintain_order=True)
    )
    representatives = ranked.group_by("cluster", maintain_order=True).agg(
        pl.col("text").head(3).alias("representatives")
    )
    sample = ranked.group_by("cluster", maintain_order=True).head(LABEL_SAMPLE)
    segmenter = segmenter or Segmenter()
    if "tokens" in sample.columns:
        tokens = [t.split() if isinstance(t, str) else list(t or ()) for t in sample["tokens"].to_list()]
    else:
        tokens = [segmenter.tokens(t) for t in sample["text"].to_list()]
    samples: list[list[tuple[str, list[str]]]] = [[] for _ in range(model.n_themes_)]
    for cluster, text, toks in zip(sample["cluster"].to_list(), sample["text"].to_list(), tokens, strict=True):
        if cluster < model.n_themes_:
            samples[cluster].append((text, toks))
    exclude = sorted(set(exclude))
    phrases = phrase_labels(
        samples, model.keywords_, model.keyword_weights_, prefer, exclude, tags=word_tagger(segmenter)
    )
    labels, excluded = [], excluded_keyword(exclude)
    for cluster, phrase in enumerate(phrases):
        kept = [k for k in model.keywords_[cluster] if not excluded(k)]
        labels.append(phrase or readable_label(kept, prefer=prefer) or model.label(cluster, prefer=prefer))
    matches = categorize(model.keywords_, model.keyword_weights_, taxonomy)
    rows = pl.DataFrame(
        {
            "cluster": list(range(model.n_themes_)),
            "auto_label": labels,
            "keywords": list(model.keywords_),
            "auto_category": [m.category for m in matches],
            "category_score": [m.score for m in matches],
            "category_candidates": [[{"category": c, "score": s} for c, s in m.candidates] for m in matches],
        },
        schema={
            "cluster": pl.Int32,
            "auto_label": pl.String,
            "keywords": pl.List(pl.String),
            "auto_category": pl.String,
            "category_score": pl.Float64,
            "category_candidates": pl.List(pl.Struct({"category": pl.String, "score": pl.Float64})),
        },
    )
    return rows.join(representatives.with_columns(pl.col("cluster").cast(pl.Int32)), on="cluster", how="left")


def final_mapping(cluster_theme: dict[int, int], overrides: Overrides) -> dict[int, int]:
    """Cluster → the theme its records count as, analysts' merges applied."""
    return {c: overrides.resolve(t) for c, t in cluster_theme.items()}


def apply_overrides(themes: pl.DataFrame, overrides: Overrides) -> pl.DataFrame:
    """The themes as analysts decided (``themes.toml``): status, label, label source and category.

    A pure function of the fitted rows (``fit_status``, ``auto_label``, ``auto_category``) and the
    overrides, so applying it again changes nothing and removing an override takes it back:

    * status: the fit's, or ``merged`` for a theme merged into another;
    * label: the analyst's (``label_source`` ``analyst``); else the label at the time it was
      pinned (``pinned``: a refit keeps it); else the fit's own (``auto``);
    * category: the analyst's, else the fit's.

    Rows of the 未归类 theme (-1) keep what they have unless an override names them.

    >>> themes = pl.DataFrame({
    ...     "theme_id": [-1, 0, 1], "status": ["active"] * 3, "fit_status": [None, "active", "dormant"],
    ...     "label": ["未归类", "旧", None], "auto_label": [None, "电梯 · 故障", "噪音"],
    ...     "label_source": ["auto", "auto", None],
    ...     "category": ["其他", None, None], "auto_category": [None, "电梯", "噪音扰民"]})
    >>> out = apply_overrides(themes, Overrides(labels={1: "夜间施工噪音"}, merges={0: 1}))
    >>> for row in out.select("theme_id", "status", "label", "label_source", "category").rows():
    ...     print(row)
    (-1, 'active', '未归类', 'auto', '其他')
    (0, 'merged', '电梯 · 故障', 'auto', '电梯')
    (1, 'dormant', '夜间施工噪音', 'analyst', '噪音扰民')
    """
    theme, source = pl.col("theme_id"), pl.col("label_source")
    fitted = theme >= 0
    labelled, pinned = list(overrides.labels), list(overrides.pinned)
    status = pl.when(fitted).then(pl.coalesce("fit_status", "status")).otherwise("status")
    status = pl.when(theme.is_in(list(overrides.merges))).then(pl.lit("merged")).otherwise(status)
    reset = fitted & (
        source.is_null()
        | (source == "auto")
        | ((source == "analyst") & ~theme.is_in(labelled))
        | ((source == "pinned") & ~theme.is_in(pinned))
    )
    out = themes.with_columns(
        status.alias("status"),
        pl.when(reset).then("auto_label").otherwise("label").alias("label"),
        pl.when(reset).then(pl.lit("auto")).otherwise(source).alias("label_source"),
    )
    named = theme.is_in(labelled)
    out = out.with_columns(
        pl.when(named).then(theme.replace_strict(overrides.labels, default=None, return_dtype=pl.String))
        .otherwise("label").alias("label"),
        pl.when(named).then(pl.lit("analyst"))
        .when(theme.is_in(sorted(overrides.pinned - set(labelled))) & (source == "auto")).then(pl.lit("pinned"))
        .otherwise(source).alias("label_source"),
    )  # fmt: skip
    category = pl.when(fitted).then("auto_category").otherwise("category")
    given = theme.replace_strict(overrides.categories, default=None, return_dtype=pl.String)
    return out.with_columns(
        pl.when(theme.is_in(list(overrides.categories))).then(given).otherwise(category).alias("category")
    )
