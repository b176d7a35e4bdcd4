"""Commands that write data: synth, grids load, ingest, run, purge and the whole demo."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from .. import clock
from ..config import ConfigError, demo_config
from ..errors import EXIT_INPUT, EXIT_USAGE, UsageError
from .app import app, grids_app
from .common import (
    DEFAULT_WAIT,
    ConfigOption,
    DbOption,
    WaitOption,
    config_for,
    err,
    fail,
    guard,
    ingest_files,
    out,
    print_batches,
    progress_bars,
    writing,
)


@app.command()
def synth(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the district into.")] = Path(
        "data/demo/synth"
    ),
    records: Annotated[int, typer.Option("--records", "-n", help="About how many valid records.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Seed; the same seed writes the same bytes.")] = 0,
    end: Annotated[
        str | None, typer.Option(help="Last day of data (YYYY-MM-DD); default: yesterday, so this week has data.")
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Processes making the weeks of a grown district (same bytes whatever the number).")
    ] = 1,
) -> None:
    """Write a synthetic district: grid registry, three exports with planted bad rows, and ground truth.

    The district grows with --records: a grid carries about 800 records a year,
    so there are records ÷ years ÷ 800 grids, never fewer than 120;
    communities hold 3 to 9 grids, streets about 10 communities.

    Up to 191,000 records over 104 weeks: 120 grids, 25 communities, 5 streets,
    the same bytes for a seed as always. 1,000,000 records: 628 grids;
    10,000,000: about 6,270 grids, 1,300 communities, 130 streets.

    A grown district is written a week at a time in bounded memory (ids count
    per day). An export of more than 1,000,000 rows is one file per year
    (hotline_12345_2025.csv); a workbook too big for a sheet is split further.

    Example: demandlab synth --out data/demo/synth --records 50000 --seed 0
    """
    from ..synth import generate

    started = time.perf_counter()
    try:
        with progress_bars() as progress:
            result = generate(
                out_dir,
                n_records=records,
                seed=seed,
                end=dt.date.fromisoformat(end) if end else None,
                workers=workers,
                progress=progress,
            )
    except ValueError as exc:
        err.print(f"[red]synth:[/] {exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    counts = result.truth["counts"]
    out.print(
        f"wrote {counts['records']:,} records ({', '.join(f'{k} {v:,}' for k, v in counts['by_source'].items())}) "
        f"to {result.root} in {time.perf_counter() - started:.1f}s"
    )
    for path in [result.registry, *result.export_paths, result.root / "truth" / "truth.json"]:
        out.print(f"  {path}")


@grids_app.command("load")
def grids_load(
    registry: Annotated[
        Path, typer.Argument(help="Registry CSV/Excel: 街道, 社区, 网格编号, 网格名称, 网格别名, 小区, 楼栋.")
    ],
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Replace the grid registry used to normalise place names and reject unknown grids.

    Example: demandlab grids load data/demo/synth/grids.csv --db data/demo/demandlab.duckdb
    """
    from ..ingest import read_registry
    from ..pipeline import Pipeline

    cfg = config_for(config, db)
    with guard():
        read_registry(registry)  # a registry that cannot be read must not create or touch a database
    with writing(cfg, wait, "grids load") as store:
        n = Pipeline(store, cfg).load_grids(registry)
    out.print(f"网格台账：{n} 个网格，来自 {escape(str(registry))}")


@app.command()
def ingest(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Exports to load (CSV, XLSX, XLS, JSONL, Parquet).")
    ] = None,
    mapping: Annotated[
        str | None, typer.Option(help="Mapping preset name or a mapping TOML file; default: chosen from the headers.")
    ] = None,
    sheet: Annotated[
        str | None, typer.Option(help="Excel sheet to read (default: every sheet that holds records).")
    ] = None,
    inbox: Annotated[
        bool, typer.Option("--inbox", help="Load every file in the configured inbox and archive what loaded.")
    ] = False,
    grids: Annotated[Path | None, typer.Option(help="Load this grid registry first.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the per-file results as JSON.")] = False,
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Load exports; print rows read / accepted / rejected per file. Loading a file twice changes nothing.

    A file that cannot be loaded at all (unknown format, no mapping fits, binary or truncated)
    is named with the reason, leaves the database unchanged, and makes the exit code 3; the
    other files are loaded all the same.

    Example: demandlab ingest data/inbox/12345_2026-11.csv --db data/demandlab.duckdb
    """
    from ..pipeline import Pipeline

    cfg = config_for(config, db)
    if bool(files) == inbox:
        raise fail(UsageError("ingest：请给出要导入的文件，或者使用 --inbox（二者取其一）"))
    with writing(cfg, wait, "ingest") as store:
        pipe = Pipeline(store, cfg)
        if grids is not None:
            pipe.load_grids(grids)
        if inbox:
            reports = pipe.ingest_inbox()
            failed = sum(r.status in ("failed", "archive_failed") for r in reports)
            for r in reports:
                if r.status == "failed":
                    name = escape(Path(r.path).name)
                    err.print(f"[red]无法导入[/] {name}：{escape(r.message)}（已在收件箱留下 .error.txt）")
                elif r.status == "archive_failed":
                    err.print(f"[yellow]未归档[/] {escape(Path(r.path).name)}：{escape(r.message)}")
        else:
            reports, failed = ingest_files(pipe, files or [], mapping, sheet)
    if as_json:
        out.print_json(json.dumps([r.as_dict() for r in reports], ensure_ascii=False))
    else:
        print_batches(reports)
    if failed:
        raise typer.Exit(EXIT_INPUT)


@app.command()
def run(
    refit: Annotated[
        bool, typer.Option(help="Fit the theme model again instead of assigning to the current one.")
    ] = False,
    engine: Annotated[
        str | None,
        typer.Option(help="Where the rows stages run: duckdb (this machine) or spark (engine.name for this run)."),
    ] = None,
    spark_master: Annotated[
        str | None, typer.Option(help="With --engine spark: the Spark master, e.g. local[2] or yarn.")
    ] = None,
    lake: Annotated[
        Path | None,
        typer.Option(help="Then write the database as a folder of Parquet (paths.lake; marts by Spark with spark)."),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Every stage after ingest, incrementally: clean + mask, segment, themes, marts, signals.

    With --lake (or paths.lake), the run ends by writing the database as a folder of Parquet files that
    demandlab report --db FOLDER and dl.connect(FOLDER) read: the records by year=…/week=… folders, and under
    --engine spark the marts built by Spark from them.

    Example: demandlab run --db data/demandlab.duckdb
    Example: demandlab run --engine spark --spark-master local[2] --lake data/lake --db data/demandlab.duckdb
    """
    import dataclasses

    from ..pipeline import Pipeline

    cfg = config_for(config, db)
    if engine is not None or spark_master is not None:
        chosen = {"name": engine} if engine is not None else {}
        chosen |= {"spark_master": spark_master} if spark_master is not None else {}
        try:
            cfg = dataclasses.replace(cfg, engine=dataclasses.replace(cfg.engine, **chosen))
        except ConfigError as exc:
            raise typer.BadParameter(str(exc), param_hint="--engine") from None
    if lake is not None:
        cfg = dataclasses.replace(cfg, paths=dataclasses.replace(cfg.paths, lake=lake))
    with writing(cfg, wait, "run", create=False) as store, progress_bars() as progress:
        report = Pipeline(store, cfg, progress=progress).run(refit=refit)
    out.print(
        f"records {report.records:,}: cleaned {report.cleaned:,}, segmented {report.segmented:,}, "
        f"assigned {report.assigned:,}{' (model fitted)' if report.refit else ''}; "
        f"{report.n_themes} themes, {report.unassigned:,} unassigned; model {report.model_version}"
    )
    alerts = ", ".join(f"{k} {v}" for k, v in sorted(report.alerts.items())) or "none"
    out.print(f"alerts: {alerts}; repeat groups {report.repeat_groups:,}; hot issues {report.hot_issues:,}")
    out.print("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items()))


@app.command()
def purge(
    before: Annotated[str, typer.Option("--before", help="Delete personal data of files loaded before this day.")],
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Retention: delete the raw rows (numbers and names in clear) of files loaded before a day.

    Only the restricted file (<db>.restricted.duckdb) is touched, and it is rewritten so the
    deleted rows are gone from disk; masked records, themes and trends stay.

    Example: demandlab purge --before 2024-01-01 --db data/demandlab.duckdb
    """
    from ..pipeline import Pipeline

    try:
        day = dt.date.fromisoformat(before)
    except ValueError as exc:
        raise fail(UsageError(f"--before 的格式应为 YYYY-MM-DD，例如 2024-01-01；收到的是 {before!r}")) from exc
    if day > clock.today():
        raise fail(UsageError(f"--before {day} 在今天之后：这会删除全部原始数据，已拒绝"))
    cfg = config_for(config, db)
    with writing(cfg, wait, "purge", create=False) as store:
        counts = Pipeline(store, cfg).purge(day)
    out.print(
        f"已删除 {day} 之前导入的原始数据：原始记录 {counts['raw_records']:,} 行，"
        f"拒收原值 {counts['reject_values']:,} 行，警告原值 {counts['warning_values']:,} 行"
    )


@app.command()
def demo(
    records: Annotated[int, typer.Option("--records", "-n", help="About how many synthetic records.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic district.")] = 0,
    weeks: Annotated[int, typer.Option(help="How many of the latest weeks get a report file.")] = 4,
    data_dir: Annotated[Path, typer.Option("--data", help="Where the demo data and database go.")] = Path("data/demo"),
    reports_dir: Annotated[Path, typer.Option("--reports", help="Where the reports go.")] = Path("reports/demo"),
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """synth → ingest → run → report, into data/demo/ and reports/demo/ (latest.html plus a file per week).

    The synthetic district ends yesterday, so the latest report is this week's.

    Example: demandlab demo --records 50000
    """
    from ..lists.load import load_list
    from ..marts import read
    from ..pipeline import Pipeline
    from ..report import write_report
    from ..synth import generate

    started = time.perf_counter()
    cfg = demo_config(data_dir, reports_dir)
    err.print(f"[bold]1/4[/] synthetic district → {escape(str(data_dir / 'synth'))}")
    result = generate(data_dir / "synth", n_records=records, seed=seed)
    with writing(cfg, wait, "demo") as store, progress_bars() as progress:
        pipe = Pipeline(store, cfg, progress=progress)
        err.print("[bold]2/4[/] ingest")
        pipe.load_grids(result.registry)
        reports, failed = ingest_files(pipe, result.export_paths, None, None)
        # the district's 资源清单 too, so that demandlab lists match has something to match
        reports.append(load_list(store, result.lists["resources"], cfg, clock.now().replace(microsecond=0)))
        print_batches(reports)
        err.print("[bold]3/4[/] clean, segment, themes, marts")
        summary = pipe.run()
        err.print(f"    {summary.records:,} records, {summary.n_themes} themes, model {summary.model_version}")
        err.print("[bold]4/4[/] reports")
        recent = read.weeks(store)["iso_week"].tail(weeks).to_list()
        written = [write_report(store, reports_dir / f"{w}.html", week=w, config=cfg) for w in recent]
    latest = reports_dir / "latest.html"
    shutil.copyfile(written[-1], latest)
    out.print(f"demo done in {time.perf_counter() - started:.0f}s: open {escape(str(latest))}")
    if failed:
        raise typer.Exit(EXIT_INPUT)
