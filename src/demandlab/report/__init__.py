"""The weekly HTML report: one self-contained Chinese page that works offline."""

from __future__ import annotations

from pathlib import Path

from ..config import Config
from ..store import Store
from .data import ReportData, ReportError, collect
from .render import render, write


def write_report(
    store: Store, out: str | Path, week: str | None = None, scope: str | None = None, config: Config | None = None
) -> Path:
    """Collect and write the report for ``week`` (default: the latest week) to ``out``.

    Examples
    --------
    >>> store = dl.connect("data/demo/demandlab.duckdb")  # doctest: +SKIP
    >>> write_report(store, "reports/2026-W46.html", week="2026-W46")  # doctest: +SKIP
    """
    return write(collect(store, week=week, scope=scope, config=config), out)


__all__ = ["ReportData", "ReportError", "collect", "render", "write", "write_report"]
