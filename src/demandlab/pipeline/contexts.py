"""The contexts stages run with, built from the database and the configuration.

A context is plain data that pickles (see :mod:`demandlab.stages`): settings, word lists, a model
as bytes. Building one may read the database or files; running a stage with it never does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from ..config import Config
from ..signals.stage import SignalsContext
from ..store import Store
from ..text.clean import CleanContext
from ..text.segment import SegmentContext, Segmenter, read_user_words
from ..themes.assign import AssignContext
from ..themes.boilerplate import Exclusions, place_phrases
from ..themes.fit import FitContext
from ..themes.model import ThemeModel
from ..themes.registry import Overrides, final_mapping
from ..themes.taxonomy import load_taxonomy
from . import inputs


def cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def workers(config: Config) -> int:
    """Processes for the rows stages: ``text.workers``, else one per core (at most 4)."""
    return config.text.workers or max(1, min(4, cpu_count()))


def clean(config: Config, now: dt.datetime) -> CleanContext:
    return CleanContext(salt=config.salt(), cleaned_at=now)


def segment(store: Store, config: Config) -> SegmentContext:
    """The shipped lexicon plus the user's words and stopwords, and the registry's place names."""
    text = config.text
    user = tuple(read_user_words(str(text.user_words))) if text.user_words else ()
    stop = tuple(Path(text.stopwords).read_text("utf-8").split()) if text.stopwords else ()
    places = tuple(inputs.place_names(store))
    return SegmentContext(user_words=user, stopwords=stop, places=places, workers=workers(config))


def assign(store: Store, config: Config, version: str, model: ThemeModel, overrides: Overrides) -> AssignContext:
    final = final_mapping(inputs.cluster_themes(store, version), overrides)
    return AssignContext(
        model=model.to_bytes(),
        version=version,
        clusters=tuple(sorted(final.items())),
        exclusions=exclusions(config, version),
    )


def exclusions_path(config: Config, version: str) -> Path:
    """Where a model's :class:`~demandlab.themes.boilerplate.Exclusions` are saved, beside its files."""
    return config.paths.models / version / "exclusions.json"


def exclusions(config: Config, version: str) -> Exclusions:
    """What the model ``version`` keeps out of its features (none for a model saved without)."""
    return Exclusions.load(exclusions_path(config, version))


def fit(store: Store, config: Config, overrides: Overrides, previous_version: str | None) -> FitContext:
    """The model's settings, the taxonomy, the overrides with their boilerplate phrases cut as the records
    are, and the place names of the registry and the place finder as phrases."""
    cfg, cut = config.themes, segment(store, config).segmenter()
    return FitContext(
        min_themes=cfg.min_themes,
        max_themes=cfg.max_themes,
        n_components=cfg.n_components,
        seed=cfg.seed,
        taxonomy=tuple(load_taxonomy(cfg.taxonomy)),
        overrides=cut_decisions(overrides, cut),
        previous_version=previous_version,
        places=place_phrases(inputs.strip_place_names(store), cut.tokens),
    )


def cut_decisions(overrides: Overrides, segmenter: Segmenter) -> Overrides:
    """The overrides with the analysts' boilerplate phrases as token strings (a phrase cut to nothing,
    all stopwords, is left out: there is nothing of it in the tokens)."""

    def cut(phrases: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for t in (" ".join(segmenter.tokens(p)) for p in phrases) if t))

    return dataclasses.replace(
        overrides, boilerplate_keep=cut(overrides.boilerplate_keep), boilerplate_drop=cut(overrides.boilerplate_drop)
    )


def signals(config: Config, model: ThemeModel | None, since: dt.datetime | None) -> SignalsContext:
    return SignalsContext(config=config.signals, model=model.to_bytes() if model else None, since=since)
