"""Commands over the themes and the category classifier: list, evaluate, export, cv, route."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..errors import EXIT_NO_DATA
from .app import classify_app, themes_app
from .common import DEFAULT_WAIT, ConfigOption, DbOption, WaitOption, config_for, err, out, reading, writing


@themes_app.command("list")
def themes_list(
    all_themes: Annotated[bool, typer.Option("--all", help="Also dormant and merged themes.")] = False,
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """The themes, largest first: id, label, category (其他（未映射） with its best candidates when no category
    had the evidence), size, status, keywords.

    Example: demandlab themes list --db data/demo/demandlab.duckdb
    """
    from .. import marts

    cfg = config_for(config, db)
    with reading(cfg, wait) as store:
        themes = marts.themes(store, status=None if all_themes else "active")
    table = Table(show_lines=False)
    for column in ("id", "label", "category", "size", "status", "keywords"):
        table.add_column(column, justify="right" if column in ("id", "size") else "left")
    for row in themes.iter_rows(named=True):
        table.add_row(
            str(row["theme_id"]),
            row["label"],
            category_cell(row),
            str(row["size"] or 0),
            row["status"] or "",
            " ".join((row["keywords"] or [])[:6]),
        )
    out.print(table)


def category_cell(row: dict) -> str:
    """A theme's category as ``themes list`` shows it: 其他（未映射） with the best candidates when the fit
    found no category with the evidence (and no analyst chose one).

    >>> candidates = [{"category": "停车", "score": 0.12}, {"category": "物业服务", "score": 0.05}]
    >>> category_cell({"theme_id": 4, "category": "其他", "auto_category": "其他", "category_score": None,
    ...                "category_candidates": candidates})
    '其他（未映射）：停车 0.12、物业服务 0.05'
    """
    from ..themes.taxonomy import OTHER, UNMAPPED_ZH

    category = row["category"] or ""
    unmapped = (
        row["theme_id"] >= 0
        and category == OTHER
        and row.get("auto_category") == OTHER
        and row.get("category_score") is None
        and row.get("category_candidates") is not None  # fitted since the evidence is kept
    )
    if not unmapped:
        return category
    candidates = "、".join(f"{c['category']} {c['score']:.2f}" for c in row["category_candidates"])
    return f"{UNMAPPED_ZH}：{candidates}" if candidates else UNMAPPED_ZH


@themes_app.command("evaluate")
def themes_evaluate(
    label_column: Annotated[str | None, typer.Option(help="A records column to compare with (NMI, ARI).")] = None,
    stability_sample: Annotated[
        int, typer.Option(help="Records the stability figure refits on (0: every record, slower).", min=0)
    ] = 5_000,
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Print theme quality as JSON: NMI/ARI against a label column, topic diversity, NPMI coherence,
    unassigned share and stability (ARI between fits on two 90 % subsamples of a sample of records).

    Example: demandlab themes evaluate --label-column category --db data/demo/demandlab.duckdb
    """
    from ..pipeline import Pipeline

    cfg = config_for(config, db)
    with reading(cfg, wait) as store:
        try:
            figures = Pipeline(store, cfg).evaluate_themes(label_column, stability_sample or None)
        except ValueError as exc:
            err.print(f"[red]themes evaluate:[/] {exc}")
            raise typer.Exit(EXIT_NO_DATA) from exc
    print(json.dumps(figures, ensure_ascii=False, indent=2))


@themes_app.command("export")
def themes_export(
    out_file: Annotated[Path, typer.Option("--out", help="Parquet file to write.")],
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Write each record's theme: record_id, source, theme_id, theme_label, category, score.

    Example: demandlab themes export --out data/themes.parquet --db data/demo/demandlab.duckdb
    """
    from ..pipeline import Pipeline

    cfg = config_for(config, db)
    with reading(cfg, wait) as store:
        n = Pipeline(store, cfg).export_themes(out_file)
    out.print(f"{n:,} records written to {out_file}")


@classify_app.command("cv")
def classify_cv(
    label_column: Annotated[str, typer.Option(help="The records column to learn (category, kind …).")] = "category",
    folds: Annotated[int, typer.Option(help="Cross-validation folds.")] = 5,
    source: Annotated[str | None, typer.Option(help="Only records of this source (12345, snapshot …).")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Print cross-validated macro-F1 and per-class figures of the category classifier as JSON.

    Example: demandlab classify cv --label-column category --folds 5 --db data/demo/demandlab.duckdb
    """
    from ..pipeline import Pipeline

    cfg = config_for(config, db)
    with reading(cfg, wait) as store:
        try:
            figures = Pipeline(store, cfg).cross_validate_categories(label_column, folds, source)
        except ValueError as exc:
            err.print(f"[red]classify cv:[/] {exc}")
            raise typer.Exit(EXIT_NO_DATA) from exc
    print(json.dumps(figures, ensure_ascii=False, indent=2))


@classify_app.command("route")
def classify_route(
    label_column: Annotated[str, typer.Option(help="The records column to learn and fill in.")] = "category",
    source: Annotated[str | None, typer.Option(help="Only records of this source.")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Train on records that carry the label and route those that lack it (table routed_categories).

    Example: demandlab classify route --label-column category --source message_board
    """
    from ..pipeline import Pipeline

    cfg = config_for(config, db)
    with writing(cfg, wait, "classify route", create=False) as store:
        n = Pipeline(store, cfg).route(label_column, source)
    out.print(f"{n:,} records routed (see table routed_categories)")
