"""The lists as workbooks for the community office: Chinese headers, widths, a frozen header row, filters
and a print set-up (A4 landscape, one page wide, the header row on every page, page numbers).

A workbook has a summary sheet (汇总) first, then one sheet per community. Sheet names are the
community's name, made valid for Excel (31 characters, none of ``[]:*?/\\``) and unique.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl

from ..dates import day_label
from ..signals.people import BASIS_ZH

#: column → (Chinese header, width in characters, kind: text, int, pct, num, wrap)
DEMAND_COLUMNS: dict[str, tuple[str, int, str]] = {
    "street": ("街道", 10, "text"),
    "community": ("社区", 12, "text"),
    "grid_id": ("网格", 10, "text"),
    "theme_label": ("问题", 18, "text"),
    "category": ("类别", 12, "text"),
    "n": ("件数", 6, "int"),
    "n_people": ("人数", 6, "int"),
    "people_basis": ("人数依据", 14, "wrap"),
    "weeks_active": ("出现周数", 8, "int"),
    "recent": ("近四周", 7, "int"),
    "before": ("前四周", 7, "int"),
    "trend": ("趋势", 6, "text"),
    "unresolved_share": ("未解决占比", 10, "pct"),
    "unsatisfied_share": ("不满意占比", 10, "pct"),
    "elderly_share": ("涉老年人占比", 11, "pct"),
    "children_share": ("涉儿童占比", 10, "pct"),
    "priority": ("优先级", 7, "num"),
    "examples": ("典型诉求（已脱敏）", 60, "wrap"),
}
SUMMARY_COLUMNS: dict[str, tuple[str, int, str]] = {
    "street": ("街道", 10, "text"),
    "community": ("社区", 12, "text"),
    "demands": ("需求条数", 8, "int"),
    "n": ("涉及件数", 8, "int"),
    "n_people": ("涉及人数", 8, "int"),
    "top": ("优先级最高的问题", 40, "text"),
    "elderly": ("涉老年人件数", 11, "int"),
    "children": ("涉儿童件数", 10, "int"),
}
PROJECT_COLUMNS: dict[str, tuple[str, int, str]] = {
    "street": ("街道", 10, "text"),
    "community": ("社区", 12, "text"),
    "theme_label": ("需求（问题）", 18, "text"),
    "priority": ("需求优先级", 9, "num"),
    "provider": ("提供方", 18, "text"),
    "resource_type": ("资源类型", 9, "text"),
    "resource_community": ("报到社区", 12, "text"),
    "description": ("资源描述", 30, "wrap"),
    "score": ("匹配度", 7, "num"),
    "reason": ("匹配理由", 40, "wrap"),
}
GAP_COLUMNS = {k: v for k, v in DEMAND_COLUMNS.items() if k not in ("examples", "people_basis")}
COMMUNITY_COLUMNS: dict[str, tuple[str, int, str]] = {
    "street": ("街道", 10, "text"),
    "community": ("社区", 12, "text"),
    "demands": ("需求条数", 8, "int"),
    "unmet": ("未匹配需求", 9, "int"),
    "unmet_priority": ("未满足优先级合计", 12, "num"),
    "resources": ("报到资源数", 9, "int"),
    "capacity": ("资源容量合计", 10, "int"),
}
REVIEW_COLUMNS: dict[str, tuple[str, int, str]] = {
    "name": ("项目", 18, "text"),
    "street": ("街道", 10, "text"),
    "community": ("社区", 12, "text"),
    "themes": ("针对的问题", 18, "wrap"),
    "start_date": ("开始日期", 11, "text"),
    "weeks_before": ("之前周数", 8, "int"),
    "weeks_after": ("之后周数", 8, "int"),
    "records_before": ("之前件数", 8, "int"),
    "records_after": ("之后件数", 8, "int"),
    "effect": ("每周变化（件，扣除对照）", 12, "num"),
    "low": ("95%区间下限", 10, "num"),
    "high": ("95%区间上限", 10, "num"),
    "relative": ("相对变化", 9, "pct"),
    "comparison_communities": ("对照社区数", 9, "int"),
    "verdict": ("结论", 12, "text"),
}
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
#: how long an example text may be in a cell (the rest is in the database)
EXAMPLE_CHARS = 200


def demand_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """The demand list as the workbook shows it: people's basis in words, examples as one text, Chinese names
    for the columns kept (those of :data:`DEMAND_COLUMNS` the frame has, grid only when filled)."""
    shown = [
        c for c in DEMAND_COLUMNS if c in frame.columns and (c != "grid_id" or frame["grid_id"].is_not_null().any())
    ]
    return frame.with_columns(
        pl.col("people_basis").replace_strict(BASIS_ZH, default=pl.col("people_basis")),
        pl.col("examples").list.eval(pl.element().str.slice(0, EXAMPLE_CHARS)).list.join("\n").alias("examples"),
    ).select(shown)


def summary_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per community: its demands, the records and people behind them, the first by priority."""
    return (
        frame.sort(["priority", "theme_id"], descending=[True, False])
        .group_by("street", "community", maintain_order=True)
        .agg(
            demands=pl.len(),
            n=pl.col("n").sum(),
            n_people=pl.col("n_people").sum(),
            top=pl.col("theme_label").first(),
            elderly=(pl.col("elderly_share") * pl.col("n")).round(0).sum().cast(pl.Int64),
            children=(pl.col("children_share") * pl.col("n")).round(0).sum().cast(pl.Int64),
        )
        .sort(["street", "community"], nulls_last=True)
    )


def sheet_names(names: list[str]) -> list[str]:
    """Excel sheet names for ``names``: valid and unique, in order.

    >>> sheet_names(["翠竹社区", "a/b", "翠竹社区", "汇总"])
    ['翠竹社区', 'a_b', '翠竹社区 (2)', '汇总 (2)']
    """
    taken, out = {"汇总"}, []
    for name in names:
        base = (_BAD_SHEET.sub("_", name or "未知社区").strip("'") or "未知社区")[:31]
        candidate, k = base, 2
        while candidate in taken:
            suffix = f" ({k})"
            candidate, k = base[: 31 - len(suffix)] + suffix, k + 1
        taken.add(candidate)
        out.append(candidate)
    return out


def write_demand(frame: pl.DataFrame, path: str | Path, *, title: str, as_of: dt.date, weeks: int) -> Path:
    """Write the demand list ``frame`` (:func:`demandlab.lists.demand`) as a workbook at ``path``."""
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    period = _period(as_of, weeks)
    rows = demand_rows(frame)
    with xlsxwriter.Workbook(str(path)) as book:
        formats = _formats(book)
        _sheet(book, formats, "汇总", f"{title}（{period}）", summary_rows(frame), SUMMARY_COLUMNS)
        communities = frame.select("street", "community").unique(maintain_order=True)
        names = sheet_names(communities["community"].to_list())
        for (street, community), name in zip(communities.iter_rows(), names, strict=True):
            part = rows.filter((pl.col("community") == community) & (pl.col("street").eq_missing(street)))
            heading = f"{community}需求清单（{period}）"
            _sheet(book, formats, name, heading, part, DEMAND_COLUMNS)
    return path


def write_matching(matching, path: str | Path, *, title: str, as_of: dt.date, weeks: int) -> Path:
    """Write a :class:`~demandlab.lists.match.Matching` as a workbook: 项目清单 (each demand with the resources
    proposed and why), 资源缺口 (demands nothing fits) and 社区排序 (most unmet demand, fewest resources first)."""
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    period = _period(as_of, weeks)
    with xlsxwriter.Workbook(str(path)) as book:
        formats = _formats(book)
        _sheet(book, formats, "项目清单", f"{title}项目清单（需求 {period}）", matching.projects, PROJECT_COLUMNS)
        _sheet(book, formats, "资源缺口", f"{title}资源缺口：没有资源匹配的需求", matching.gaps, GAP_COLUMNS)
        _sheet(book, formats, "社区排序", f"{title}社区排序：未满足需求多、报到资源少的在前", matching.communities,
               COMMUNITY_COLUMNS)  # fmt: skip
    return path


def write_review(review: pl.DataFrame, path: str | Path, *, title: str) -> Path:
    """Write the project review (:func:`demandlab.lists.review`) as a workbook: one row per project."""
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    shown = review.with_columns(pl.col("start_date").cast(pl.String))
    with xlsxwriter.Workbook(str(path)) as book:
        heading = f"{title}项目评议：项目开始前后的需求变化（与没有项目的社区对照）"
        _sheet(book, _formats(book), "项目评议", heading, shown, REVIEW_COLUMNS)
    return path


def _formats(book) -> dict:
    base = {"font_name": "Microsoft YaHei", "font_size": 10, "valign": "top"}
    return {
        "title": book.add_format({**base, "bold": True, "font_size": 13}),
        "header": book.add_format({**base, "bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True}),
        "text": book.add_format({**base, "border": 1}),
        "wrap": book.add_format({**base, "border": 1, "text_wrap": True}),
        "int": book.add_format({**base, "border": 1, "num_format": "0"}),
        "num": book.add_format({**base, "border": 1, "num_format": "0.00"}),
        "pct": book.add_format({**base, "border": 1, "num_format": "0.0%"}),
    }


def _sheet(book, formats: dict, name: str, heading: str, frame: pl.DataFrame, columns: dict) -> None:
    """One sheet: a title row, the header row (frozen, filtered, repeated on every printed page), the rows."""
    sheet = book.add_worksheet(name)
    shown = [c for c in columns if c in frame.columns]
    sheet.write(0, 0, heading, formats["title"])
    for j, column in enumerate(shown):
        header, width, kind = columns[column]
        sheet.set_column(j, j, width)
        sheet.write(1, j, header, formats["header"])
    for i, row in enumerate(frame.select(shown).iter_rows(), start=2):
        for j, value in enumerate(row):
            kind = columns[shown[j]][2]
            if value is None:
                sheet.write_blank(i, j, None, formats[kind])
            else:
                sheet.write(i, j, value, formats[kind])
    sheet.freeze_panes(2, 0)
    if frame.height:
        sheet.autofilter(1, 0, frame.height + 1, len(shown) - 1)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)  # one page wide, as many long as needed
    sheet.repeat_rows(1)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_header(f'&L&"Microsoft YaHei"{_escape(heading)}')
    sheet.set_footer("&C第 &P 页，共 &N 页")


def _period(as_of: dt.date, weeks: int) -> str:
    """The ``weeks`` weeks ending with ``as_of``'s, as a title says them: ``2026年9月14日至2026年12月6日``."""
    monday = as_of - dt.timedelta(days=as_of.weekday())
    first, last = monday - dt.timedelta(weeks=weeks - 1), monday + dt.timedelta(days=6)
    return f"{day_label(first, year=True)}至{day_label(last, year=True)}"


def _escape(text: str) -> str:
    """``text`` for an Excel page header, where ``&`` starts a code."""
    return text.replace("&", "&&")
