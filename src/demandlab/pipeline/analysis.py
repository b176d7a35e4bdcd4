"""The analysts' tools over a pipeline's database: theme quality, export, the category classifier,
and the counts a run reports. Each reads through :mod:`.inputs` and calls a pure function of
:mod:`demandlab.themes`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ..store import Store
from ..themes.classify import cross_validate, route_records
from ..themes.evaluate import quality_figures
from . import inputs
from .reports import RunReport

if TYPE_CHECKING:
    from .runner import Pipeline


def evaluate_themes(pipe: Pipeline, label_column: str | None = None, stability_sample: int | None = 5_000) -> dict:
    """Quality figures of the current themes (:func:`demandlab.themes.evaluate.quality_figures`)."""
    current = pipe.current_model()
    if current is None:
        raise ValueError("no theme model yet: run the pipeline first")
    version, model = current
    frame = inputs.evaluate_frame(pipe.store, label_column)
    keywords = inputs.active_keywords(pipe.store)
    return quality_figures(frame, keywords, model, version, pipe.config.themes.seed, stability_sample, label_column)


def export_themes(store: Store, out: str | Path) -> int:
    """Write record_id, source, theme_id, theme_label, category, score, model_version to a Parquet file."""
    frame = inputs.export_themes(store)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(out)
    return frame.height


def cross_validate_categories(pipe: Pipeline, label_column: str, folds: int = 5, source: str | None = None) -> dict:
    """Cross-validated figures of the category classifier on the records that carry ``label_column``."""
    data = inputs.classifier_data(pipe.store, label_column, source).filter(pl.col("label").is_not_null())
    if data.height < folds * 2:
        raise ValueError(f"only {data.height} records carry {label_column!r}; too few to cross-validate")
    docs = list(zip(data["tokens"], data["text"], strict=True))
    figures = cross_validate(docs, data["label"].to_list(), folds, pipe.config.themes.seed)
    return {"label_column": label_column, "source": source, **figures}


def route(pipe: Pipeline, label_column: str = "category", source: str | None = None) -> int:
    """Train on the records that carry ``label_column`` and route those that lack it (``routed_categories``)."""
    data = inputs.classifier_data(pipe.store, label_column, source)
    routed = route_records(data, label_column, pipe.config.themes.seed, pipe.now().replace(microsecond=0))
    if routed.height == 0:
        return 0
    with pipe.store.transaction() as con:
        con.execute("delete from routed_categories where label_column = ?", [label_column])
        Store.insert(con, "routed_categories", routed)
    return routed.height


def signal_counts(store: Store, report: RunReport) -> RunReport:
    """Alerts by kind, repeat groups and hot issues now in the signal marts."""
    report.alerts = dict(store.sql("select kind, count(*) from mart_alerts group by 1 order by 1").rows())
    report.repeat_groups = store.scalar("select count(distinct repeat_group_id) from mart_repeats")
    report.hot_issues = store.count("mart_hot_issues")
    return report


def run_counts(store: Store, report: RunReport) -> RunReport:
    """Records, themes and 未归类 after a run, and why the model was fitted when it was."""
    if report.refit:
        query = "select refit_reason from theme_models where model_version = ?"
        report.refit_reason = store.scalar(query, [report.model_version])
    report.records = store.count("records")
    report.n_themes = store.scalar("select count(*) from themes where theme_id >= 0")
    report.unassigned = store.scalar("select count(*) from assignments where theme_id < 0")
    return report
