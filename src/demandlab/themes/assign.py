"""The assign stage: records' tokens → their theme under the current model (partitioned by rows).

The context carries the model as bytes (:meth:`ThemeModel.to_bytes`), the cluster → theme map
with analysts' merges already applied and what the model keeps out of its features
(:class:`~.boilerplate.Exclusions`: the boilerplate, place phrases and administrative names the fit
stripped, stripped here too so that fit = assign), so a worker needs nothing but the batch and the
context; the model is rebuilt from the bytes once per process.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from .boilerplate import Exclusions
from .model import UNASSIGNED, ThemeModel


@dataclass(frozen=True)
class AssignContext:
    """The model (as bytes), its version, cluster → theme (merges applied) as (cluster, theme) pairs, and
    what the model keeps out of its features (none for a model fitted before exclusions existed)."""

    model: bytes
    version: str
    clusters: tuple[tuple[int, int], ...]
    exclusions: Exclusions = field(default_factory=Exclusions)

    def theme_model(self) -> ThemeModel:
        return model_from_bytes(self.model)


def model_from_bytes(data: bytes) -> ThemeModel:
    """The model :meth:`ThemeModel.to_bytes` wrote, rebuilt once per process (batches share it)."""
    return _model(hashlib.blake2b(data, digest_size=16).hexdigest(), data)


@functools.lru_cache(maxsize=2)
def _model(digest: str, data: bytes) -> ThemeModel:
    return ThemeModel.from_bytes(data)


def assignment_frame(
    frame: pl.DataFrame,
    clusters: np.ndarray,
    scores: np.ndarray,
    reasons: Sequence[str | None],
    version: str,
    final: dict[int, int],
) -> pl.DataFrame:
    """Rows of ``assignments``: each record's cluster, the theme it counts as, its score and reason."""
    cluster = pl.Series("cluster", clusters, dtype=pl.Int32)
    theme = cluster.replace_strict(final, default=UNASSIGNED, return_dtype=pl.Int32).alias("theme_id")
    return frame.select("source", "record_id", "content_hash").with_columns(
        cluster,
        theme,
        pl.Series("score", scores, dtype=pl.Float64).round(4),
        pl.Series("reason", list(reasons), dtype=pl.String),
        pl.lit(version).alias("model_version"),
    )


def assign_themes(tokens: pl.DataFrame, ctx: AssignContext) -> pl.DataFrame:
    """The assign stage: ``source, record_id, content_hash, tokens`` → rows of ``assignments``.

    The tokens are stripped of what the model keeps out (``ctx.exclusions``) before the model reads them.

    >>> model = ThemeModel().fit(["电梯 故障 困人"] * 60)
    >>> ctx = AssignContext(model.to_bytes(), "tm-x", ((0, 7),))
    >>> frame = pl.DataFrame({"source": ["12345"], "record_id": ["1"], "content_hash": ["h"], "tokens": ["电梯 故障"]})
    >>> assign_themes(frame, ctx).select("cluster", "theme_id", "model_version").row(0)
    (0, 7, 'tm-x')
    """
    docs = ctx.exclusions.strip(tokens) if tokens.height else tokens["tokens"]
    clusters, scores, reasons = ctx.theme_model().assign(docs.to_list())
    return assignment_frame(tokens, clusters, scores, reasons, ctx.version, dict(ctx.clusters))
