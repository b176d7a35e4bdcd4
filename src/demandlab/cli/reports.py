"""Commands that write reports: one report, and the scheduled weekly job."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..errors import EXIT_NO_DATA, EXIT_OK, EXIT_USAGE
from ..options import parse_scope, parse_week
from .app import app
from .common import (
    DEFAULT_WAIT,
    ConfigOption,
    DbOption,
    WaitOption,
    config_for,
    err,
    guard,
    log_to,
    out,
    progress_bars,
    reading,
)


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
    from ..report import ReportError, write_report

    with guard():
        week, _ = parse_week(week), parse_scope(scope)
    cfg = config_for(config, db)
    target = out_file or cfg.paths.reports / f"{week or 'latest'}.html"
    with reading(cfg, wait) as store:
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
    from ..weekly import run_weekly

    with guard():
        week = parse_week(week)
    cfg = config_for(config, db)
    handler = log_to(cfg.paths.logs / "weekly.log")
    try:
        with progress_bars() as progress:
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


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="The deployment folder (created if missing).")] = Path(),
    district: Annotated[str, typer.Option(help="District name for the report's title (区县名).")] = "",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing demandlab.toml.")] = False,
) -> None:
    """Set up a folder for the weekly job: a commented demandlab.toml and its inbox, archive, logs and reports.

    Put the exports into data/inbox, then run the weekly job with the config this writes.

    Example: demandlab init /srv/demandlab --district 西湖区
    """
    from importlib import resources

    target = folder / "demandlab.toml"
    if target.exists() and not force:
        err.print(f"[red]init:[/] {escape(str(target))} 已存在；要覆盖请加 --force")
        raise typer.Exit(EXIT_USAGE)
    for sub in ("data/inbox", "data/archive", "data/logs", "reports"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    template = resources.files("demandlab").joinpath("deploy/demandlab.toml").read_text("utf-8")
    text = template.replace("{folder}", str(folder.resolve())).replace("{district}", district.replace('"', ""))
    target.write_text(text, encoding="utf-8")
    out.print(
        f"已写入 {escape(str(target))} 和 data/inbox、data/archive、data/logs、reports 文件夹。\n"
        f"下一步：把导出文件放进 {escape(str(folder / 'data' / 'inbox'))}，然后运行\n"
        f"  demandlab weekly --config {escape(str(target))}"
    )
