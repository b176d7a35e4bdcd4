"""The Typer application and its command groups; the commands register themselves on them."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="demandlab",
    help="社区诉求分析 demandlab: load 12345 / 随手拍 / 走访 exports, find recurring themes, "
    "write the weekly report.\n\n"
    "Example: demandlab demo",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"demandlab {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", "-V", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """社区诉求分析 demandlab: load 12345 / 随手拍 / 走访 exports, find recurring themes, write the weekly report.

    Example: demandlab demo
    """


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
lists_app = typer.Typer(
    help="The community's working lists under 双报到: 需求清单 (demands worth a project).", no_args_is_help=True
)
app.add_typer(lists_app, name="lists")
