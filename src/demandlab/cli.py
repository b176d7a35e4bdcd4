"""The ``demandlab`` command line (Typer). Every command has ``--help`` with an example.

Exit codes, for schedulers (see :mod:`demandlab.errors`): 0 done; 1 unexpected error, full disk
or broken database; 2 bad usage or configuration, or a database that does not exist; 3 an input
file could not be loaded (the others were); 4 nothing to report for the asked week or scope;
5 the database stayed busy for ``--wait`` seconds.

Commands that write (``ingest``, ``run``, ``weekly``, ``grids load``, ``classify route``,
``purge``, ``demo``) take the database's write lock; commands that read open it read-only and
refuse a database that does not exist. Both wait for a busy database (``--wait``). Messages
name files, rows, columns and reasons, never a value from a record.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import clock, marts
from .config import Config, ConfigError, demo_config, load_config
from .errors import (
    EXIT_BUSY,
    EXIT_ERROR,
    EXIT_INPUT,
    EXIT_NO_DATA,
    EXIT_OK,
    EXIT_USAGE,
    DemandlabError,
    UsageError,
    describe,
    exit_code,
)
from .ingest import IngestError
from .options import parse_scope, parse_week
from .pipeline import BatchReport, Pipeline, runs
from .report import ReportError, write_report
from .store import DEFAULT_WAIT, Store, writer_lock

__all__ = [
    "EXIT_BUSY",
    "EXIT_ERROR",
    "EXIT_INPUT",
    "EXIT_NO_DATA",
    "EXIT_OK",
    "EXIT_USAGE",
    "app",
    "demo_config",
    "main",
]

app = typer.Typer(
    name="demandlab",
    help="社区诉求分析 demandlab: load 12345 / 随手拍 / 走访 exports, find recurring themes, "
    "write the weekly report.\n\n"
    "Example: demandlab demo",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
grids_app = typer.Typer(help="The grid registry (街道 / 社区 / 网格 / 楼栋).", no_args_is_help=True)
app.add_typer(grids_app, name="grids")
themes_app = typer.Typer(help="Themes: list, evaluate, export.", no_args_is_help=True)
app.add_typer(themes_app, name="themes")
classify_app = typer.Typer(
    help="The category classifier: cross-validate, route records without a category.", no_args_is_help=True
)
app.add_typer(classify_app, name="classify")
signals_app = typer.Typer(help="Signals: alerts, hot issues, closed-loop KPIs.", no_args_is_help=True)
app.add_typer(signals_app, name="signals")

out = Console(width=None if sys.stdout.isatty() else 150)
err = Console(stderr=True, soft_wrap=True)  # one line per message: logs are grepped

DbOption = Annotated[Path | None, typer.Option("--db", help="DuckDB file (default: the configured one).")]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="demandlab.toml (default: ./demandlab.toml if present).")
]
WaitOption = Annotated[
    float,
    typer.Option("--wait", help="Seconds to wait while another process uses the database (then exit 5).", min=0),
]
log = logging.getLogger("demandlab.cli")


def _fail(exc: BaseException) -> typer.Exit:
    """Print ``exc`` as one safe line on stderr and turn it into the exit it calls for."""
    err.print(f"[red]错误：[/]{escape(describe(exc))}")
    return typer.Exit(exit_code(exc))


@contextlib.contextmanager
def _guard() -> Iterator[None]:
    """Every command's errors as one line in Chinese and an exit code, never a traceback with data."""
    try:
        yield
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except IngestError as exc:
        err.print(f"[red]错误：[/]{escape(str(exc))}")
        raise typer.Exit(EXIT_INPUT) from exc
    except (DemandlabError, ConfigError, ReportError) as exc:
        raise _fail(exc) from exc
    except Exception as exc:  # unexpected: type and place only (its text may quote a record)
        log.debug("unexpected error", exc_info=True)
        raise _fail(exc) from exc


def _config(config: Path | None, db: Path | None) -> Config:
    try:
        return load_config(config).with_db(db)
    except ConfigError as exc:
        raise _fail(exc) from exc


@contextlib.contextmanager
def _reading(cfg: Config, wait: float) -> Iterator[Store]:
    """The database opened read-only: refused when it does not exist, waiting while it is written."""
    with _guard(), Store(cfg.paths.db, read_only=True, wait=wait, create=False) as store:
        yield store


@contextlib.contextmanager
def _writing(cfg: Config, wait: float, command: str, create: bool = True) -> Iterator[Store]:
    """The database opened for writing under its write lock (created when ``create``)."""
    db = Path(cfg.paths.db)
    if not create and not db.exists():
        with _guard():
            Store(db, create=False)  # raises MissingDatabase with the message users need
    with _guard(), writer_lock(db, wait, f"demandlab {command}"), Store(db, wait=wait) as store:
        yield store


@contextlib.contextmanager
def _progress_bars() -> Iterator[Callable]:
    """A progress factory for :class:`Pipeline` drawing rich bars on stderr."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    ) as progress:

        @contextlib.contextmanager
        def step(description: str, total: int) -> Iterator[Callable[[int], None]]:
            task = progress.add_task(description, total=total)
            yield lambda n: progress.advance(task, n)
            progress.update(task, completed=total)

        yield step


STATUS_ZH = {"loaded": "已导入", "skipped": "已跳过", "failed": "失败", "archive_failed": "已导入，未归档"}


def _print_batches(reports: list[BatchReport]) -> None:
    table = Table(title="导入 ingest", show_lines=False)
    headers = {"file": "文件", "status": "状态", "mapping": "映射", "read": "读取", "accepted": "接收",
               "rejected": "拒收", "new": "新增", "updated": "更新", "reasons": "原因 / 说明"}  # fmt: skip
    for key, header in headers.items():
        table.add_column(
            header, justify="right" if key in ("read", "accepted", "rejected", "new", "updated") else "left"
        )
    for r in reports:
        reasons = ", ".join(f"{k} {v}" for k, v in r.reasons.items()) or r.message
        table.add_row(
            escape(Path(r.path).name),
            STATUS_ZH.get(r.status, r.status),
            r.mapping or "",
            str(r.rows_read),
            str(r.rows_accepted),
            str(r.rows_rejected),
            str(r.rows_new),
            str(r.rows_updated),
            escape(reasons),
        )
    out.print(table)


def _ingest_files(
    pipe: Pipeline, files: list[Path], mapping: str | None, sheet: str | None
) -> tuple[list[BatchReport], int]:
    """Load each file; one that fails is named with its reason and never stops the others."""
    reports, failed = [], 0
    for path in files:
        try:
            reports.append(pipe.ingest(path, mapping=mapping, sheet=sheet))
        except IngestError as exc:
            failed += 1
            err.print(f"[red]无法导入[/] {escape(str(exc))}  [dim]（代码 {exc.reason}；该文件未写入数据库）[/]")
            reports.append(BatchReport(str(path), "failed", message=str(exc), failure=exc.reason))
        except DemandlabError:
            raise
        except Exception as exc:
            failed += 1
            err.print(f"[red]无法导入[/] {escape(str(path))}：{escape(describe(exc))}")
            reports.append(BatchReport(str(path), "failed", message=describe(exc), failure="unexpected"))
    return reports, failed


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
) -> None:
    """Write a synthetic district: grid registry, three exports with planted bad rows, and ground truth.

    Example: demandlab synth --out data/demo/synth --records 50000 --seed 0
    """
    from .synth import generate

    started = time.perf_counter()
    try:
        result = generate(out_dir, n_records=records, seed=seed, end=dt.date.fromisoformat(end) if end else None)
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
    from .ingest import read_registry

    cfg = _config(config, db)
    with _guard():
        read_registry(registry)  # a registry that cannot be read must not create or touch a database
    with _writing(cfg, wait, "grids load") as store:
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
    cfg = _config(config, db)
    if bool(files) == inbox:
        raise _fail(UsageError("ingest：请给出要导入的文件，或者使用 --inbox（二者取其一）"))
    with _writing(cfg, wait, "ingest") as store:
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
            reports, failed = _ingest_files(pipe, files or [], mapping, sheet)
    if as_json:
        out.print_json(json.dumps([r.as_dict() for r in reports], ensure_ascii=False))
    else:
        _print_batches(reports)
    if failed:
        raise typer.Exit(EXIT_INPUT)


@app.command()
def run(
    refit: Annotated[
        bool, typer.Option(help="Fit the theme model again instead of assigning to the current one.")
    ] = False,
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Every stage after ingest, incrementally: clean + mask, segment, themes, marts, signals.

    Example: demandlab run --db data/demandlab.duckdb
    """
    cfg = _config(config, db)
    with _writing(cfg, wait, "run", create=False) as store, _progress_bars() as progress:
        run_id, started = uuid.uuid4().hex[:12], clock.now()
        runs.start(store, run_id, "run", started)
        try:
            report = Pipeline(store, cfg, progress=progress).run(refit=refit)
        except Exception as exc:
            runs.finish(store, run_id, clock.now(), "failed", {"error": describe(exc)})
            raise
        runs.finish(store, run_id, clock.now(), "done", report.as_dict())
    out.print(
        f"records {report.records:,}: cleaned {report.cleaned:,}, segmented {report.segmented:,}, "
        f"assigned {report.assigned:,}{' (model fitted)' if report.refit else ''}; "
        f"{report.n_themes} themes, {report.unassigned:,} unassigned; model {report.model_version}"
    )
    alerts = ", ".join(f"{k} {v}" for k, v in sorted(report.alerts.items())) or "none"
    out.print(f"alerts: {alerts}; repeat groups {report.repeat_groups:,}; hot issues {report.hot_issues:,}")
    out.print("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items()))


@app.command()
def report(
    week: Annotated[
        str | None, typer.Option(help="ISO week such as 2026-W47 (default: the latest week with data).")
    ] = None,
    scope: Annotated[
        str | None, typer.Option(help="Limit to a street, community or grid: street=东湖街道, community=…, grid=….")
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="HTML file to write (default: <reports>/<week>.html).")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Write the self-contained Chinese HTML weekly report (reads the database, never writes it).

    Example: demandlab report --week 2026-W46 --out reports/2026-W46.html
    """
    with _guard():
        week, _ = parse_week(week), parse_scope(scope)
    cfg = _config(config, db)
    target = out_file or cfg.paths.reports / f"{week or 'latest'}.html"
    with _reading(cfg, wait) as store:
        try:
            path = write_report(store, target, week=week, scope=scope, config=cfg)
        except ReportError as exc:
            err.print(f"[red]report:[/] {escape(str(exc))}")
            raise typer.Exit(EXIT_NO_DATA) from exc
    out.print(f"报告已写入 {escape(str(path))}（{path.stat().st_size / 1e6:.1f} MB）")


@app.command()
def weekly(
    config: ConfigOption = None,
    week: Annotated[
        str | None, typer.Option(help="ISO week such as 2026-W47 (default: the last complete week with data).")
    ] = None,
    per_street: Annotated[bool, typer.Option("--per-street", help="Also one report per street.")] = False,
    wait: Annotated[
        float,
        typer.Option(
            help="Seconds to wait for a run in progress or a reader holding the database (then exit 5).", min=0
        ),
    ] = DEFAULT_WAIT,
    refit: Annotated[bool, typer.Option(help="Fit the theme model again (the refit pipeline).")] = False,
    db: DbOption = None,
) -> None:
    """The scheduled job: ingest the inbox, run every stage, write the report(s) and a run summary.

    Exit codes: 0 done, 1 unexpected error, 2 bad usage or configuration, 3 an inbox file failed (the
    rest was processed), 4 no data for the week, 5 the database stayed busy for --wait seconds. Log
    lines go to stderr and to <logs>/weekly.log; the summary to <reports>/<week>/run-summary.json
    and the runs table.

    Example: demandlab weekly --config demandlab.toml --week 2026-W46 --per-street
    """
    from .weekly import run_weekly

    with _guard():
        week = parse_week(week)
    cfg = _config(config, db)
    handler = _log_to(cfg.paths.logs / "weekly.log")
    try:
        with _progress_bars() as progress:
            summary = run_weekly(cfg, week=week, per_street=per_street, wait=wait, refit=refit, progress=progress)
    finally:
        logging.getLogger("demandlab").removeHandler(handler)
        handler.close()
    colour = "green" if summary.exit_code == EXIT_OK else "red"
    out.print(
        f"[{colour}]{summary.status}[/] week {summary.week or '—'}: {summary.rows_accepted:,} rows accepted, "
        f"{summary.rows_rejected:,} rejected; reports: {escape(', '.join(summary.reports)) or 'none'}"
    )
    if summary.error:
        err.print(f"[{colour}]weekly:[/] {escape(summary.error)}")
    raise typer.Exit(summary.exit_code)


def _log_to(path: Path) -> logging.Handler:
    """Log the demandlab loggers to stderr (once) and to ``path``; returns the file handler."""
    logger = logging.getLogger("demandlab")
    logger.setLevel(logging.INFO)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    if not any(getattr(h, "_demandlab_stderr", False) for h in logger.handlers):
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(formatter)
        stream._demandlab_stderr = True  # type: ignore[attr-defined]
        logger.addHandler(stream)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:  # a read-only log folder must not stop the job: log to stderr only
        logger.warning("cannot write the log file %s: %s", path, describe(exc))
        handler = logging.NullHandler()
    handler.setFormatter(formatter)
    logger.addHandler(handler)
    return handler


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
    from .synth import generate

    started = time.perf_counter()
    cfg = demo_config(data_dir, reports_dir)
    err.print(f"[bold]1/4[/] synthetic district → {escape(str(data_dir / 'synth'))}")
    result = generate(data_dir / "synth", n_records=records, seed=seed)
    with _writing(cfg, wait, "demo") as store, _progress_bars() as progress:
        pipe = Pipeline(store, cfg, progress=progress)
        err.print("[bold]2/4[/] ingest")
        pipe.load_grids(result.registry)
        reports, failed = _ingest_files(pipe, result.export_paths, None, None)
        _print_batches(reports)
        err.print("[bold]3/4[/] clean, segment, themes, marts")
        summary = pipe.run()
        err.print(f"    {summary.records:,} records, {summary.n_themes} themes, model {summary.model_version}")
        err.print("[bold]4/4[/] reports")
        recent = store.sql("select iso_week from mart_weeks order by week_start desc limit ?", [weeks])[
            "iso_week"
        ].to_list()
        written = [write_report(store, reports_dir / f"{w}.html", week=w, config=cfg) for w in reversed(recent)]
    latest = reports_dir / "latest.html"
    shutil.copyfile(written[-1], latest)
    out.print(f"demo done in {time.perf_counter() - started:.0f}s: open {escape(str(latest))}")
    if failed:
        raise typer.Exit(EXIT_INPUT)


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
    try:
        day = dt.date.fromisoformat(before)
    except ValueError as exc:
        raise _fail(UsageError(f"--before 的格式应为 YYYY-MM-DD，例如 2024-01-01；收到的是 {before!r}")) from exc
    if day > clock.today():
        raise _fail(UsageError(f"--before {day} 在今天之后：这会删除全部原始数据，已拒绝"))
    cfg = _config(config, db)
    with _writing(cfg, wait, "purge", create=False) as store:
        counts = Pipeline(store, cfg).purge(day)
    out.print(
        f"已删除 {day} 之前导入的原始数据：原始记录 {counts['raw_records']:,} 行，"
        f"拒收原值 {counts['reject_values']:,} 行，警告原值 {counts['warning_values']:,} 行"
    )


@themes_app.command("list")
def themes_list(
    all_themes: Annotated[bool, typer.Option("--all", help="Also dormant and merged themes.")] = False,
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """The themes, largest first: id, label, category, size, status, keywords.

    Example: demandlab themes list --db data/demo/demandlab.duckdb
    """
    cfg = _config(config, db)
    with _reading(cfg, wait) as store:
        where = "" if all_themes else "where status = 'active'"
        themes = store.sql(
            f"select theme_id, label, category, size, status, keywords from themes {where} "
            "order by theme_id < 0, size desc nulls last"
        )
    table = Table(show_lines=False)
    for column in ("id", "label", "category", "size", "status", "keywords"):
        table.add_column(column, justify="right" if column in ("id", "size") else "left")
    for t, label, category, size, status, keywords in themes.iter_rows():
        table.add_row(str(t), label, category or "", str(size or 0), status or "", " ".join((keywords or [])[:6]))
    out.print(table)


@themes_app.command("evaluate")
def themes_evaluate(
    label_column: Annotated[str | None, typer.Option(help="A records column to compare with (NMI, ARI).")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Print theme quality as JSON: NMI/ARI against a label column, topic diversity, NPMI coherence,
    unassigned share and stability (ARI between two seeds).

    Example: demandlab themes evaluate --label-column category --db data/demo/demandlab.duckdb
    """
    cfg = _config(config, db)
    with _reading(cfg, wait) as store:
        try:
            figures = Pipeline(store, cfg).evaluate_themes(label_column)
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
    cfg = _config(config, db)
    with _reading(cfg, wait) as store:
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
    cfg = _config(config, db)
    with _reading(cfg, wait) as store:
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
    cfg = _config(config, db)
    with _writing(cfg, wait, "classify route", create=False) as store:
        n = Pipeline(store, cfg).route(label_column, source)
    out.print(f"{n:,} records routed (see table routed_categories)")


FormatOption = Annotated[str, typer.Option("--format", help="table or json.")]


def _signal_mart(store: Store, table: str) -> None:
    if table not in store.tables():
        err.print(f"[red]数据库中还没有 {table}：[/]请先运行 demandlab run")
        raise typer.Exit(EXIT_NO_DATA)


def _print_frame(frame: pl.DataFrame, fmt: str, columns: dict[str, str]) -> None:
    if fmt == "json":
        print(frame.write_json())
        return
    if fmt != "table":
        err.print(f"[red]--format must be table or json, got {fmt!r}[/]")
        raise typer.Exit(EXIT_USAGE)
    table = Table(show_lines=False)
    for header in columns.values():
        table.add_column(header)
    rates = [c.endswith(("_rate", "_share")) for c in columns]
    kinds = {"surge": "激增", "crowd": "多人同诉", "repeat_caller": "一人多诉"}
    for row in frame.select(list(columns)).iter_rows():
        cells = []
        for value, rate, column in zip(row, rates, columns, strict=True):
            if value is None:
                cells.append("")
            elif rate:
                cells.append(f"{value:.1%}")
            elif isinstance(value, float):
                cells.append(f"{value:.3g}")
            else:
                cells.append(kinds.get(value, value) if column == "kind" else str(value))
        table.add_row(*cells)
    out.print(table)


@signals_app.command("hot")
def signals_hot(
    top: Annotated[int, typer.Option("--top", help="How many hot issues.")] = 10,
    fmt: FormatOption = "table",
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Hot issues (热点问题): place × theme groups ranked by the heat index, as of the latest week.

    Example: demandlab signals hot --top 5 --db data/demo/demandlab.duckdb
    """
    cfg = _config(config, db)
    with _reading(cfg, wait) as store:
        _signal_mart(store, "mart_hot_issues")
        hot = marts.hot_issues(store, top=top)
    if fmt == "json":
        print(hot.drop("records").write_json())
        return
    columns = {
        "rank": "#", "place": "地点", "theme_label": "问题", "n": "件数", "n_contacts": "人数", "likes": "点赞",
        "first_at": "首次", "last_at": "最近", "heat": "热度",
    }  # fmt: skip
    _print_frame(hot.with_columns(pl.col("first_at", "last_at").dt.strftime("%Y-%m-%d")), fmt, columns)


@signals_app.command("alerts")
def signals_alerts(
    week: Annotated[str | None, typer.Option("--week", help="ISO week, e.g. 2026-W46 (default: all).")] = None,
    kind: Annotated[str | None, typer.Option(help="surge, crowd or repeat_caller.")] = None,
    fmt: FormatOption = "table",
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Alerts with their evidence: surges (激增), 多人同诉, 一人多诉.

    Example: demandlab signals alerts --week 2026-W46 --db data/demo/demandlab.duckdb
    """
    with _guard():
        week = parse_week(week)
        if kind is not None and kind not in ("surge", "crowd", "repeat_caller"):
            raise UsageError(f"--kind 应为 surge、crowd 或 repeat_caller；收到的是 {kind!r}")
    cfg = _config(config, db)
    with _reading(cfg, wait) as store:
        _signal_mart(store, "mart_alerts")
        found = marts.alerts(store, iso_week=week, kind=kind)
    columns = {
        "iso_week": "周", "kind": "类型", "grid_id": "网格", "place": "地点", "theme_label": "问题",
        "n": "件数", "evidence": "依据",
    }  # fmt: skip
    _print_frame(found, fmt, columns)


@signals_app.command("kpi")
def signals_kpi(
    level: Annotated[str, typer.Option(help="total, street, community, grid, dept, theme, week or street_week.")] = (
        "street"
    ),
    fmt: FormatOption = "table",
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Closed-loop KPIs (响应率, 解决率, 满意率, on time, 网格内办结, durations) per unit.

    Example: demandlab signals kpi --level dept --db data/demo/demandlab.duckdb
    """
    cfg = _config(config, db)
    with _reading(cfg, wait) as store:
        _signal_mart(store, "mart_kpi")
        try:
            frame = marts.kpi(store, level)
        except ValueError as exc:
            err.print(f"[red]signals kpi:[/] {exc}")
            raise typer.Exit(EXIT_USAGE) from exc
    unit = {"total": "level", "week": "iso_week", "street_week": "iso_week", "theme": "theme_label"}.get(level, level)
    unit = {"grid": "grid_id"}.get(unit, unit)
    columns = {
        unit: "单位", "n": "件数", "response_rate": "响应率", "resolution_rate": "解决率",
        "satisfaction_rate": "满意率", "ontime_rate": "按期率", "grid_closed_share": "网格内办结",
        "hours_to_close_median": "办结中位(时)", "overdue_open": "逾期未结",
    }  # fmt: skip
    _print_frame(frame, fmt, columns)


def main() -> None:
    """Console entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("已中断")
        sys.exit(130)


if __name__ == "__main__":
    main()
