"""``demandlab lists``: the community's working lists under 双报到 (需求清单 so far)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import EXIT_NO_DATA, UsageError
from .app import lists_app
from .common import (
    DEFAULT_WAIT,
    ConfigOption,
    DbOption,
    WaitOption,
    config_for,
    err,
    fail,
    load_files,
    out,
    print_batches,
    reading,
    require_mart,
    writing,
)


@lists_app.command("demand")
def lists_demand(
    community: Annotated[str | None, typer.Option("--community", help="Only this community (社区).")] = None,
    street: Annotated[str | None, typer.Option("--street", help="Only this street (街道).")] = None,
    grid: Annotated[
        bool, typer.Option("--grid", help="One row per grid × theme instead of community × theme.")
    ] = False,
    weeks: Annotated[int, typer.Option("--weeks", min=4, help="Weeks of records, ending with the latest.")] = 12,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write a workbook (.xlsx: a summary sheet and one per community).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="Without --out: table or json.")] = "table",
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """需求清单: per community the recurring demands worth a project, with records, people, weeks active,
    trend, unresolved and unsatisfied shares, 一老一小 shares, masked examples and a priority.

    The priority and every column are defined in demandlab.lists.demand (docs/design.md points there).

    Example: demandlab lists demand --community 翠竹社区 --out 需求清单.xlsx --db data/demandlab.duckdb
    """
    from .. import lists
    from ..marts import read

    _check_output(fmt, out_file)
    cfg = config_for(config, db)
    with reading(cfg, wait) as store:
        require_mart(store, "mart_records")
        as_of = read.latest_week_start(store)
        frame = lists.demand(
            store, community=community, street=street, level="grid" if grid else "community", weeks=weeks
        )
    if frame.height == 0:
        where = "".join(f"（{k} {v}）" for k, v in (("社区", community), ("街道", street)) if v)
        err.print(f"没有反复出现的需求{where}：近 {weeks} 周没有至少两人、两周提出的问题")
        return
    if out_file is not None:
        from ..lists.xlsx import write_demand

        title = f"{cfg.report.district or ''}需求清单".strip()
        write_demand(frame, out_file, title=title, as_of=as_of, weeks=weeks)
        err.print(
            f"已写出需求清单：{frame['community'].n_unique()} 个社区，{frame.height} 条需求 → {escape(str(out_file))}"
        )
        return
    if fmt == "json":
        print(frame.write_json())
        return
    table = Table(title=f"需求清单（近 {weeks} 周，{frame.height} 条）")
    for header in (
        "社区",
        *(["网格"] if grid else []),
        "问题",
        "件数",
        "人数",
        "周数",
        "趋势",
        "未解决",
        "涉老",
        "涉儿童",
        "优先级",
    ):
        table.add_column(header)
    for r in frame.iter_rows(named=True):
        table.add_row(
            escape(r["community"] or ""),
            *([escape(r["grid_id"] or "")] if grid else []),
            escape(r["theme_label"] or ""),
            str(r["n"]),
            str(r["n_people"]),
            str(r["weeks_active"]),
            r["trend"],
            _pct(r["unresolved_share"]),
            _pct(r["elderly_share"]),
            _pct(r["children_share"]),
            f"{r['priority']:.2f}",
        )
    out.print(table)


def _check_output(fmt: str, out_file: Path | None) -> None:
    """Exit 2 with one Chinese line unless ``fmt`` is table or json and ``out_file`` (if any) a workbook."""
    if fmt not in ("table", "json"):
        raise fail(UsageError(f"--format 应为 table 或 json；收到的是 {fmt!r}"))
    if out_file is not None and out_file.suffix.lower() != ".xlsx":
        raise fail(UsageError(f"--out 应为 .xlsx 文件；收到的是 {out_file.name}"))


def _pct(value: float | None) -> str:
    return "未知" if value is None else f"{value:.0%}"


@lists_app.command("match")
def lists_match(
    weeks: Annotated[int, typer.Option("--weeks", min=4, help="Weeks of records for the demands.")] = 12,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write a workbook (.xlsx): 项目清单, 资源缺口, 社区排序.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="Without --out: table or json.")] = "table",
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """项目清单: each demand of the 需求清单 with the resources of the 资源清单 that fit it (type, keywords,
    target group, same or neighbouring community), within each resource's capacity, and why; the demands
    nothing fits (资源缺口); the communities with most unmet demand and fewest resources first.

    Example: demandlab lists match --out 项目清单.xlsx --db data/demandlab.duckdb
    """
    from .. import lists
    from ..marts import read

    _check_output(fmt, out_file)
    cfg = config_for(config, db)
    with reading(cfg, wait) as store:
        require_mart(store, "mart_records")
        if not store.scalar("select count(*) from resources"):
            err.print(
                "还没有资源清单：先用 demandlab lists template resources 生成模板，填好后 demandlab lists load 导入"
            )
            raise typer.Exit(EXIT_NO_DATA)
        as_of = read.latest_week_start(store)
        matching = lists.match(store, weeks=weeks)
    projects, gaps = matching.projects, matching.gaps
    summary = f"{projects.height} 项匹配，{gaps.height} 条需求没有资源（资源缺口）"
    if out_file is not None:
        from ..lists.xlsx import write_matching

        write_matching(matching, out_file, title=cfg.report.district or "", as_of=as_of, weeks=weeks)
        err.print(f"已写出项目清单：{summary} → {escape(str(out_file))}")
        return
    if fmt == "json":
        print(projects.write_json())
        return
    table = Table(title=f"项目清单：{summary}")
    for header in ("社区", "需求", "提供方", "资源类型", "匹配度", "理由"):
        table.add_column(header)
    for r in projects.iter_rows(named=True):
        table.add_row(escape(r["community"] or ""), escape(r["theme_label"] or ""), escape(r["provider"] or ""),
                      r["resource_type"], f"{r['score']:.2f}", escape(r["reason"]))  # fmt: skip
    out.print(table)


@lists_app.command("review")
def lists_review(
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write a workbook (.xlsx), one row per project.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="Without --out: table or json.")] = "table",
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """双向评议 with numbers: for each project, its demand (its themes in its community) in the 12 weeks before
    and after its start against the same themes in communities without a project — a difference in differences
    with a 95 % interval — and a verdict: 需求下降, 未见明显变化, 需求上升, 为时尚早 or 数据不足.

    Projects come from a filled-in 项目清单 (demandlab lists load) or dl.lists.add_projects.

    Example: demandlab lists review --out 项目评议.xlsx --db data/demandlab.duckdb
    """
    from .. import lists

    _check_output(fmt, out_file)
    cfg = config_for(config, db)
    with reading(cfg, wait) as store:
        require_mart(store, "mart_records")
        review = lists.review(store)
    if review.height == 0:
        err.print("还没有项目：填好项目清单（项目名称、社区、问题、开始日期）后用 demandlab lists load 导入")
        raise typer.Exit(EXIT_NO_DATA)
    if out_file is not None:
        from ..lists.xlsx import write_review

        write_review(review, out_file, title=cfg.report.district or "")
        err.print(f"已写出项目评议：{review.height} 个项目 → {escape(str(out_file))}")
        return
    if fmt == "json":
        print(review.write_json())
        return
    table = Table(title=f"项目评议（{review.height} 个项目）")
    for header in ("项目", "社区", "问题", "之前", "之后", "每周变化", "95%区间", "相对", "结论"):
        table.add_column(header)
    for r in review.iter_rows(named=True):
        interval = "" if r["low"] is None else f"{r['low']:+.2f} ~ {r['high']:+.2f}"
        table.add_row(
            escape(r["name"] or ""), escape(r["community"] or ""), escape(r["themes"] or ""),
            str(r["records_before"]), str(r["records_after"]),
            "" if r["effect"] is None else f"{r['effect']:+.2f}", interval,
            "" if r["relative"] is None else f"{r['relative']:+.0%}", r["verdict"],
        )  # fmt: skip
    out.print(table)


TEMPLATES = ("resources", "projects")


@lists_app.command("template")
def lists_template(
    kind: Annotated[str, typer.Argument(help="Which list: resources (资源清单) or projects (项目清单).")],
    out_file: Annotated[Path | None, typer.Option("--out", help="Where to write the workbook.")] = None,
) -> None:
    """A blank list to fill in (资源清单 or 项目清单): the header row with drop-downs or date cells and a 说明 sheet
    saying what each column takes.

    Example: demandlab lists template resources --out 资源清单.xlsx
    """
    from ..lists import projects, resources

    if kind not in TEMPLATES:
        raise fail(UsageError(f"没有 {kind!r} 模板；可用的有：{'、'.join(TEMPLATES)}"))
    name = {"resources": "资源清单", "projects": "项目清单"}[kind]
    out_file = out_file or Path(f"{name}模板.xlsx")
    _check_output("table", out_file)
    (resources if kind == "resources" else projects).write_template(out_file)
    err.print(f"已写出{name}模板：{escape(str(out_file))}（填好后用 demandlab lists load 导入）")


@lists_app.command("load")
def lists_load(
    files: Annotated[list[Path], typer.Argument(help="Filled-in resource or project lists (xlsx, csv …).")],
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Load 资源清单 (what reporting units and party members offer) into resources, and 项目清单 (项目名称, 社区,
    问题, 开始日期, 结束日期) into projects: checked row by row like an export (rejects with reasons, rows read =
    accepted + rejected), the same file never twice, a member's name kept only as a pseudonym and phone
    numbers only as a key. Each sheet is told by its header.

    Example: demandlab lists load 资源清单.xlsx --db data/demandlab.duckdb
    """
    from .. import clock
    from ..errors import EXIT_INPUT
    from ..lists.load import load_list

    cfg = config_for(config, db)
    with writing(cfg, wait, "lists load") as store:
        reports, failed = load_files(
            files, lambda path: load_list(store, path, cfg, clock.now().replace(microsecond=0))
        )
    print_batches(reports)
    if failed:
        raise typer.Exit(EXIT_INPUT)
