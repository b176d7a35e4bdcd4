"""The fit stage (global): learn the themes of a window of records and give every record its theme.

:func:`fit_themes` is a pure function: the window's tokens and texts, the records outside the
window, the themes the records had before (so a refit starts from them and ids do not churn), and
a context of plain data in; a :class:`FitResult` out — the fitted model, its version, every
record's assignment, each theme described (label, keywords, category, representatives) and how the
new clusters map onto the existing theme ids (``new``, ``continued``, ``merged``, ``split``,
``dormant``). The runner saves the model and writes the result in one transaction.

Before the model sees a record, the fit strips what says nothing about the matter
(:mod:`.boilerplate`): each source's boilerplate, found from the window itself and corrected by the
analysts (``[boilerplate]`` in ``themes.toml``), the place phrases of the context, and the tokens
that name administrative areas. What it stripped (:class:`~.boilerplate.Exclusions`) goes with
the model, so that assigning new records strips the same (fit = assign), and no label may hold it.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from dataclasses import dataclass, field

import polars as pl

from ..text.segment import governance_lexicon
from .assign import assignment_frame
from .boilerplate import Exclusions, admin_area_tokens, decide, exclusions_of, find_boilerplate_by_source
from .model import ThemeModel
from .registry import Matching, Overrides, describe_clusters, final_mapping, first_fit, match_clusters
from .taxonomy import Category


@dataclass(frozen=True)
class FitContext:
    """The model's settings, the taxonomy categories map to, the analysts' overrides, the model the
    fit starts from (its version enters the new version: a refit depends on what it started from) and
    the place names to keep out of the features, as token phrases (:func:`~.boilerplate.place_phrases`).

    The analysts' boilerplate phrases (``overrides.boilerplate_keep`` / ``boilerplate_drop``) are
    read as token strings: the pipeline cuts them as it cuts the records.
    """

    min_themes: int = 2
    max_themes: int = 150
    n_components: int = 150
    seed: int = 0
    taxonomy: tuple[Category, ...] = ()
    overrides: Overrides = field(default_factory=Overrides)
    previous_version: str | None = None
    places: tuple[str, ...] = ()


@dataclass(frozen=True)
class Previous:
    """What the registry knew before the fit.

    ``assignments``: source, record_id and the theme id of each record's cluster *before* analysts'
    merges (a merge stays an override that can be taken back, not the new fit's identity);
    ``themes``: theme_id, keywords, status of every known theme.
    """

    assignments: pl.DataFrame
    themes: pl.DataFrame


@dataclass
class FitResult:
    model: ThemeModel
    version: str
    assignments: pl.DataFrame  # rows of ``assignments``
    described: pl.DataFrame  # one row per theme of this fit: theme_id, auto_label, keywords, auto_category …
    matching: Matching
    final: dict[int, int]  # cluster → the theme its records count as, merges applied
    n_window: int
    boilerplate: pl.DataFrame  # rows of ``boilerplate`` (without model_version and found_at)
    exclusions: Exclusions  # what the model keeps out: the assign stage strips the same


def fit_themes(
    window: pl.DataFrame, outside: pl.DataFrame, prior: pl.Series | None, previous: Previous, ctx: FitContext
) -> FitResult:
    """Fit on ``window`` (source, record_id, content_hash, tokens, text), assign ``outside`` (same
    columns) to the fitted themes, and match the clusters to the ids of ``previous``.

    ``prior``: for each window record, the cluster it had in the current model (null: none), which
    seeds the refit (:meth:`ThemeModel.fit`).
    """
    overrides = ctx.overrides
    decided = decide(
        find_boilerplate_by_source(window.select("source", "tokens"), seed=ctx.seed),
        window.select("source", "tokens"),
        overrides.boilerplate_keep,
        overrides.boilerplate_drop,
    )
    exclusions = exclusions_of(decided, ctx.places, overrides.boilerplate_keep, overrides.boilerplate_drop)
    window, outside = _stripped(window, exclusions), _stripped(outside, exclusions)
    model = ThemeModel(
        min_themes=ctx.min_themes, max_themes=ctx.max_themes, n_components=ctx.n_components, random_state=ctx.seed
    )
    seeds = prior.fill_null(-1).to_numpy() if prior is not None and prior.is_not_null().any() else None
    model.fit(window["tokens"].to_list(), prior_labels=seeds)
    version = model_version(model, window["content_hash"].to_list(), ctx.previous_version, exclusions)
    fitted = _with_clusters(window, model.labels_, model.scores_, model.reasons_)
    if outside.height:
        fitted = pl.concat([fitted, _with_clusters(outside, *model.assign(outside["tokens"].to_list()))])
    matching = match_previous(fitted, model, previous)
    prefer = {e.word for e in governance_lexicon()} | {t for c in ctx.taxonomy for t in c.seed_terms}
    exclude = [*exclusions.phrases(), *admin_area_tokens(pl.concat([window["tokens"], outside["tokens"]]))]
    described = _describe(model, fitted, list(ctx.taxonomy), prefer, exclude).with_columns(
        pl.col("cluster").replace_strict(matching.cluster_theme, return_dtype=pl.Int32).alias("theme_id")
    )
    final = final_mapping(matching.cluster_theme, overrides)
    assignments = assignment_frame(
        fitted, fitted["cluster"].to_numpy(), fitted["score"].to_numpy(), fitted["reason"].to_list(), version, final
    )
    return FitResult(model, version, assignments, described, matching, final, window.height, decided, exclusions)


def _stripped(frame: pl.DataFrame, exclusions: Exclusions) -> pl.DataFrame:
    return frame.with_columns(exclusions.strip(frame).alias("tokens")) if frame.height else frame


def _describe(model: ThemeModel, fitted: pl.DataFrame, taxonomy: list, prefer: set[str], exclude: list[str]):
    """:func:`describe_clusters`, told what no label may hold when it takes ``exclude``."""
    if "exclude" in inspect.signature(describe_clusters).parameters:
        return describe_clusters(model, fitted, taxonomy, prefer, exclude=sorted(set(exclude)))
    return describe_clusters(model, fitted, taxonomy, prefer)


def model_version(
    model: ThemeModel, content_hashes: list[str], previous: str | None, exclusions: Exclusions | None = None
) -> str:
    """``tm-`` and a hash of the settings, the records fitted on, the model the fit started from and
    what the fit kept out of the features."""
    digest = hashlib.blake2b(
        json.dumps(model.params_json(), sort_keys=True).encode()
        + "".join(content_hashes).encode()
        + (previous or "").encode()
        + (exclusions.to_json().encode() if exclusions is not None else b""),
        digest_size=6,
    )
    return f"tm-{digest.hexdigest()}"


def match_previous(fitted: pl.DataFrame, model: ThemeModel, previous: Previous) -> Matching:
    """Stable ids for a new fit's clusters, matched against the themes of the previous model."""
    known = previous.themes
    next_id = int(known["theme_id"].max() + 1) if known.height else 0
    if previous.assignments.height == 0 or known.height == 0:
        return first_fit(model.n_themes_, start=next_id)
    shared = previous.assignments.join(
        fitted.filter(pl.col("cluster") >= 0).select("source", "record_id", "cluster"), on=["source", "record_id"]
    )
    return match_clusters(
        shared.select("theme_id", "cluster"),
        [list(k) for k in model.keywords_],
        {t: list(k or []) for t, k in known.select("theme_id", "keywords").iter_rows()},
        dict(known.select("theme_id", "status").iter_rows()),
        next_id,
    )


def _with_clusters(frame: pl.DataFrame, clusters, scores, reasons) -> pl.DataFrame:
    return frame.select("source", "record_id", "content_hash", "text", "tokens").with_columns(
        pl.Series("cluster", clusters, dtype=pl.Int32),
        pl.Series("score", scores, dtype=pl.Float64),
        pl.Series("reason", list(reasons), dtype=pl.String),
    )
