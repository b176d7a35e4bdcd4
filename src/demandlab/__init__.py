"""demandlab: make sense of community demand records.

>>> import demandlab as dl
>>> store = dl.connect("data/demo/demandlab.duckdb")   # doctest: +SKIP
>>> dl.marts.grid_theme_week(store, grid_id="DH0101").head()  # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("demandlab")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+local"

from . import charts, marts, text, themes
from .config import Config, load_config
from .pipeline import Pipeline
from .store import Store, connect

__all__ = [
    "Config",
    "Pipeline",
    "Store",
    "__version__",
    "charts",
    "connect",
    "load_config",
    "marts",
    "text",
    "themes",
]
