"""What every command shares: the consoles, the options, the error guard, opening the database, progress.

Only light modules are imported here (Typer, rich, the error and option helpers): ``--help`` and
``--version`` must answer at once, so commands import the pipeline, themes and report when they run.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..config import Config, ConfigError, load_config
from ..errors import EXIT_NO_DATA, EXIT_USAGE, DemandlabError, UsageError, describe, exit_code
from ..options import DEFAULT_WAIT

if TYPE_CHECKING:
    import polars as pl

    from ..pipeline import BatchReport, Pipeline
    from ..store import Store

__all__ = ["DEFAULT_WAIT"]

out = Console(width=None if sys.stdout.isatty() else 150)
err = Console(stderr=True, soft_wrap=True)  # one line per message: logs are grepped
log = logging.getLogger("demandlab.cli")

DbOption = Annotated[Path | None, typer.Option("--db", help="DuckDB file (default: the configured one).")]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="demandlab.toml (default: ./demandlab.toml if present).")
]
WaitOption = Annotated[
    float,
    typer.Option("--wait", help="Seconds to wait while another process uses the database (then exit 5).", min=0),
]
FormatOption = Annotated[str, typer.Option("--format", help="table or json.")]


def fail(exc: BaseException) -> typer.Exit:
    """Print ``exc`` as one safe line on stderr and turn it into the exit it calls for."""
    err.print(f"[red]错误：[/]{escape(describe(exc))}")
    return typer.Exit(exit_code(exc))


@contextlib.contextmanager
def guard() -> Iterator[None]:
    """Every command's errors as one line in Chinese and an exit code, never a traceback with data."""
    try:
        yield
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:  # ours carry their message and code; others: type and place only
        if not isinstance(exc, DemandlabError):
            log.debug("unexpected error", exc_info=True)
        raise fail(exc) from exc


def config_for(config: Path | None, db: Path | None) -> Config:
    """The configuration of ``config`` (or the defaults) with ``--db`` applied."""
    try:
        return load_config(config).with_db(db)
    except ConfigError as exc:
        raise fail(exc) from exc


@contextlib.contextmanager
def reading(cfg: Config, wait: float) -> Iterator[Store]:
    """The database opened read-only: refused when it does not exist, waiting while it is written."""
    from ..store import Store

    with guard(), Store(cfg.paths.db, read_only=True, wait=wait, create=False) as store:
        yield store


@contextlib.contextmanager
def writing(cfg: Config, wait: float, command: str, create: bool = True) -> Iterator[Store]:
    """The database opened for writing under its write lock (created when ``create``)."""
    from ..lake import is_lake
    from ..store import Store, writer_lock

    db = Path(cfg.paths.db)
    if is_lake(db):
        with guard():
            raise UsageError(f"{db} 是 Parquet 数据湖（目录），只能读取：demandlab {command} 需要 DuckDB 数据库文件")
    if not create and not db.exists():
        with guard():
            Store(db, create=False)  # raises MissingDatabase with the message users need
    with guard(), writer_lock(db, wait, f"demandlab {command}"), Store(db, wait=wait) as store:
        yield store


#: seconds between progress log lines when stderr is not a terminal
PROGRESS_EVERY = 5.0


@contextlib.contextmanager
def progress_bars() -> Iterator[Callable]:
    """A progress factory for :class:`Pipeline`: rich bars on a terminal; elsewhere (cron, CI, a notebook's
    ``!demandlab run``) log lines on stderr every few seconds, so a scheduler's log shows the run is alive."""
    from ..pipeline.reports import log_progress

    if not err.is_terminal:
        _log_to_stderr(logging.getLogger("demandlab"))
        yield log_progress(every=PROGRESS_EVERY)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:

        @contextlib.contextmanager
        def step(description: str, total: int) -> Iterator[Callable[[int], None]]:
            task = progress.add_task(description, total=total)
            yield lambda n: progress.advance(task, n)
            progress.update(task, completed=total)

        yield step


STATUS_ZH = {"loaded": "已导入", "skipped": "已跳过", "failed": "失败", "archive_failed": "已导入，未归档"}


def print_batches(reports: list[BatchReport]) -> None:
    """The per-file ingest table: rows read, accepted, rejected, new, updated and the reasons."""
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


def ingest_files(
    pipe: Pipeline, files: list[Path], mapping: str | None, sheet: str | None
) -> tuple[list[BatchReport], int]:
    """Load each export; one that fails is named with its reason and never stops the others."""
    return load_files(files, lambda path: pipe.ingest(path, mapping=mapping, sheet=sheet))


def load_files(files: list[Path], load: Callable[[Path], BatchReport]) -> tuple[list[BatchReport], int]:
    """``load`` each file, a report each; a file that cannot be loaded is named with its reason on stderr and
    counted, and never stops the others (an error of demandlab itself, such as a busy database, does)."""
    from ..ingest import IngestError
    from ..pipeline import BatchReport

    reports, failed = [], 0
    for path in files:
        try:
            reports.append(load(path))
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


def log_to(path: Path) -> logging.Handler:
    """Log the demandlab loggers to stderr (once) and to ``path``; returns the file handler."""
    logger = logging.getLogger("demandlab")
    _log_to_stderr(logger)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:  # a read-only log folder must not stop the job: log to stderr only
        logger.warning("cannot write the log file %s: %s", path, describe(exc))
        handler = logging.NullHandler()
    handler.setFormatter(LOG_FORMAT)
    logger.addHandler(handler)
    return handler


LOG_FORMAT = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is logged (a notebook or a test runner swaps it)."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ sets it; the property always answers sys.stderr
        pass


def _log_to_stderr(logger: logging.Logger) -> None:
    """INFO and above of ``logger`` on stderr, with time and level (once, however often it is asked)."""
    logger.setLevel(logging.INFO)
    if not any(isinstance(h, _Stderr) for h in logger.handlers):
        stream = _Stderr()
        stream.setFormatter(LOG_FORMAT)
        logger.addHandler(stream)


def require_mart(store: Store, table: str) -> None:
    """Exit 4 with a clear line when ``table`` has not been built yet."""
    if table not in store.tables():
        err.print(f"[red]数据库中还没有 {table}：[/]请先运行 demandlab run")
        raise typer.Exit(EXIT_NO_DATA)


def print_frame(frame: pl.DataFrame, fmt: str, columns: dict[str, str]) -> None:
    """``frame`` as JSON or as a table with Chinese ``columns`` headers (rates as percentages)."""
    from ..labels import ALERT_KINDS_ZH

    if fmt == "json":
        print(frame.write_json())
        return
    if fmt != "table":
        err.print(f"[red]--format 应为 table 或 json；收到的是 {escape(repr(fmt))}[/]")
        raise typer.Exit(EXIT_USAGE)
    table = Table(show_lines=False)
    for header in columns.values():
        table.add_column(header)
    rates = [c.endswith(("_rate", "_share")) for c in columns]
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
                cells.append(ALERT_KINDS_ZH.get(value, value) if column == "kind" else str(value))
        table.add_row(*cells)
    out.print(table)
