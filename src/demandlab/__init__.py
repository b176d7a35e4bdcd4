"""demandlab: make sense of community demand records.

>>> import demandlab as dl
>>> store = dl.connect("data/demo/demandlab.duckdb")   # doctest: +SKIP
>>> dl.marts.grid_theme_week(store, grid_id="DH0101").head()  # doctest: +SKIP

Importing the package is cheap and has no side effects: submodules load on first use
(a segmentation worker process needs only ``demandlab.text``).
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

try:
    __version__ = version("demandlab")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+local"

_SUBMODULES = {
    "charts",
    "marts",
    "text",
    "themes",
    "ingest",
    "report",
    "signals",
    "synth",
    "pipeline",
    "store",
    "config",
    "labels",
    "errors",
    "lists",
}
_NAMES = {
    "Config": "config",
    "load_config": "config",
    "Pipeline": "pipeline",
    "Store": "store",
    "connect": "store",
}

if TYPE_CHECKING:
    from . import charts, lists, marts, text, themes
    from .config import Config, load_config
    from .pipeline import Pipeline
    from .store import Store, connect


def __getattr__(name: str) -> object:
    if name in _NAMES:
        return getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'demandlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_NAMES, *_SUBMODULES])


__all__ = [
    "Config",
    "Pipeline",
    "Store",
    "__version__",
    "charts",
    "connect",
    "lists",
    "load_config",
    "marts",
    "text",
    "themes",
]
