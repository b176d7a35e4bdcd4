"""A fitted theme model on disk and on the wire: plain arrays (``.npz``, no pickle) plus JSON.

On disk a model is ``<path>.npz`` (idf, LSA axes, centres) beside ``<path>.json`` (format,
parameters, vocabulary, keywords, how the fit went); as bytes it is one uncompressed ``.npz`` whose
``meta`` array holds that JSON. :class:`~demandlab.themes.model.ThemeModel` calls these through its
``save`` / ``load`` / ``to_bytes`` / ``from_bytes``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

if TYPE_CHECKING:
    from .model import ThemeModel

    Model = TypeVar("Model", bound=ThemeModel)

FORMAT = "demandlab.ThemeModel/1"


def arrays(model: ThemeModel) -> dict[str, np.ndarray]:
    """The fitted arrays, by the names they are saved under."""
    return {"idf": model.idf_, "components": model.components_, "centers": model.centers_}


def meta(model: ThemeModel) -> dict:
    """Everything else a fitted model holds, as JSON-friendly values."""
    return {
        "format": FORMAT,
        "demandlab_version": model.version_,
        "params": model.params_json(),
        "n_themes": int(model.n_themes_),
        "vocabulary": model.vocabulary_,
        "keywords": model.keywords_,
        "keyword_weights": model.keyword_weights_,
        "merge_trace": getattr(model, "merge_trace_", None),
        "degraded": getattr(model, "degraded_", None),
    }


def restore(cls: type[Model], meta: dict, arrays: np.lib.npyio.NpzFile) -> Model:
    """A fitted ``cls`` from what :func:`meta` and :func:`arrays` gave."""
    params = dict(meta["params"])
    params["ngram_range"] = tuple(params["ngram_range"])
    model = cls(**params)
    model.idf_ = arrays["idf"]
    model.components_ = arrays["components"]
    model.centers_ = arrays["centers"]
    model.vocabulary_ = meta["vocabulary"]
    model.keywords_ = meta["keywords"]
    model.keyword_weights_ = meta["keyword_weights"]
    model.n_themes_ = meta["n_themes"]
    model.merge_trace_ = meta.get("merge_trace")
    model.degraded_ = meta.get("degraded")
    model.version_ = meta["demandlab_version"]
    return model


def save(model: ThemeModel, path: str | Path) -> Path:
    """Write ``<path>.npz`` and ``<path>.json``; returns ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from demandlab.themes import ThemeModel
    >>> model = ThemeModel().fit(["电梯 故障 困人"] * 60)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     sorted(p.name for p in save(model, Path(tmp) / "m").parent.iterdir())
    ['m.json', 'm.npz']
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path.with_suffix(".npz"), **arrays(model))
    path.with_suffix(".json").write_text(json.dumps(meta(model), ensure_ascii=False), encoding="utf-8")
    return path


def load(cls: type[Model], path: str | Path) -> Model:
    """The model :func:`save` wrote at ``path``."""
    path = Path(path)
    found = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    if found.get("format") != FORMAT:
        raise ValueError(f"{path}: not a demandlab theme model")
    with np.load(path.with_suffix(".npz"), allow_pickle=False) as saved:
        return restore(cls, found, saved)


def to_bytes(model: ThemeModel) -> bytes:
    """The model as one byte string: what travels to workers.

    Examples
    --------
    >>> from demandlab.themes import ThemeModel
    >>> to_bytes(ThemeModel().fit(["电梯 故障 困人"] * 60))[:2]
    b'PK'
    """
    buffer = io.BytesIO()
    header = np.frombuffer(json.dumps(meta(model), ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
    np.savez(buffer, meta=header, **arrays(model))  # not compressed: a copy, not a minute of zlib at scale
    return buffer.getvalue()


def from_bytes(cls: type[Model], data: bytes) -> Model:
    """The model :func:`to_bytes` wrote."""
    with np.load(io.BytesIO(data), allow_pickle=False) as saved:
        found = json.loads(saved["meta"].tobytes().decode("utf-8"))
        if found.get("format") != FORMAT:
            raise ValueError("not a demandlab theme model")
        return restore(cls, found, saved)
