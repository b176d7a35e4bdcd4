"""项目清单 as carried out: the projects a community runs on its demands, for the review (双向评议).

A project names its community, the themes (the 需求清单's 问题, by label or id) it addresses, and a start
date (an end date when it ended). It comes from a sheet (``demandlab lists load``: headers 项目名称, 社区,
问题, 开始日期, 结束日期) or from Python (:func:`demandlab.lists.add_projects`). Rows that cannot be
used are rejected with a reason like any export's: ``missing_community``, ``unknown_community``,
``unknown_theme``, ``bad_date``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import polars as pl

from ..ingest.parse import parse_datetime_columns
from ..ingest.table import ROW
from .resources import matching_headers

HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("项目名称", "项目"),
    "community": ("社区", "实施社区", "报到社区"),
    "themes": ("问题", "需求", "主题"),
    "start_date": ("开始日期", "开始时间", "启动日期"),
    "end_date": ("结束日期", "结束时间"),
    "resources": ("资源编号",),
}
REQUIRED = ("name", "community", "themes", "start_date")
REASONS = ("missing_community", "unknown_community", "unknown_theme", "bad_date")
_SPLIT = re.compile(r"[、,，;；/\s]+")


def is_project_list(headers: list[str]) -> bool:
    """Whether a sheet with ``headers`` is a project list (名称, 社区, 问题, 开始日期)."""
    return all(c in matching_headers(headers, HEADERS) for c in REQUIRED)


def project_id(name: str, community: str, start: dt.date) -> str:
    return "p" + hashlib.sha256(f"{name}|{community}|{start.isoformat()}".encode()).hexdigest()[:12]


def prepare_projects(
    frame: pl.DataFrame, communities: dict[str, str | None], themes: dict[str, int]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Projects (``project_id``, ``name``, ``street``, ``community``, ``theme_ids``, ``start_date``, ``end_date``,
    ``resource_ids``) and rejected rows of one sheet read as strings. ``themes``: label or id (as text) → id."""
    found = matching_headers([c for c in frame.columns if c != ROW], HEADERS)
    empty = pl.Series([None] * frame.height, dtype=pl.String)
    col = {c: frame[found[c]].cast(pl.String).str.strip_chars() if c in found else empty for c in HEADERS}
    dates = parse_datetime_columns(pl.DataFrame({"start": col["start_date"], "end": col["end_date"]}), ["start", "end"])
    rows = frame[ROW].to_list() if ROW in frame.columns else list(range(2, frame.height + 2))
    good, bad = [], []
    for i, row_number in enumerate(rows):
        name, community, named = col["name"][i], col["community"][i], col["themes"][i]
        start, end = dates["start"][i], dates["end"][i]
        ids = [themes.get(t) for t in _SPLIT.split(named or "") if t]
        problem = None
        if not community:
            problem = ("missing_community", "community", "社区为空")
        elif communities and community not in communities:
            problem = ("unknown_community", "community", "不在网格登记表的社区中")
        elif not ids or None in ids:
            problem = ("unknown_theme", "themes", "问题应为需求清单中的问题名称或编号（多个用、分隔）")
        elif start is None or (col["end_date"][i] and end is None):
            problem = ("bad_date", "start_date" if start is None else "end_date", "无法识别的日期")
        if problem:
            reason, column, text = problem
            header = found.get(column, HEADERS[column][0])
            bad.append({"row_number": row_number, "column_name": header, "reason": reason,
                        "message": f"{header}：{text}", "value": col[column][i]})  # fmt: skip
            continue
        start_day = start.date()
        good.append({
            "project_id": project_id(name or "", community, start_day), "name": name or f"{community}项目",
            "street": (communities or {}).get(community), "community": community,
            "theme_ids": sorted(set(ids)), "start_date": start_day, "end_date": end.date() if end else None,
            "resource_ids": [r for r in _SPLIT.split(col["resources"][i] or "") if r],
        })  # fmt: skip
    rejects = pl.DataFrame(bad, schema={"row_number": pl.Int64, "column_name": pl.String, "reason": pl.String,
                                        "message": pl.String, "value": pl.String})  # fmt: skip
    return pl.DataFrame(good, schema=SCHEMA), rejects


SCHEMA = {
    "project_id": pl.String, "name": pl.String, "street": pl.String, "community": pl.String,
    "theme_ids": pl.List(pl.Int32), "start_date": pl.Date, "end_date": pl.Date, "resource_ids": pl.List(pl.String),
}  # fmt: skip


def write_template(path) -> Path:
    """The project list template: the header row (date cells formatted) and a 说明 sheet with an example."""
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    headers = [names[0] for names in HEADERS.values()]
    notes = [
        ("项目名称", "项目的名称"),
        ("社区", "实施项目的社区，须与网格登记表一致"),
        ("问题", "项目针对的需求清单中的问题（名称或编号），多个用、分隔"),
        ("开始日期", "如 2026-09-01"),
        ("结束日期", "项目结束的日期；仍在进行则留空"),
        ("资源编号", "用到的资源清单资源编号（可选），多个用、分隔"),
    ]
    with xlsxwriter.Workbook(str(path)) as book:
        header = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "font_name": "Microsoft YaHei"})
        cell = book.add_format({"font_name": "Microsoft YaHei", "text_wrap": True, "valign": "top"})
        day = book.add_format({"font_name": "Microsoft YaHei", "num_format": "yyyy-mm-dd"})
        sheet = book.add_worksheet("项目清单")
        for j, (name, width) in enumerate(zip(headers, [22, 12, 30, 12, 12, 20], strict=True)):
            sheet.set_column(j, j, width, day if name in ("开始日期", "结束日期") else cell)
            sheet.write(0, j, name, header)
        sheet.data_validation(1, 3, 500, 4, {"validate": "date", "criteria": ">", "value": dt.date(2000, 1, 1)})
        sheet.freeze_panes(1, 0)
        guide = book.add_worksheet("说明")
        guide.set_column(0, 0, 12)
        guide.set_column(1, 1, 70)
        for i, (name, note) in enumerate(notes):
            guide.write(i, 0, name, header)
            guide.write(i, 1, note, cell)
        guide.write(len(notes) + 1, 0, "示例", header)
        guide.write(
            len(notes) + 1,
            1,
            "项目名称：楼道飞线充电整治、社区：翠竹社区、问题：电动车充电、开始日期：2026-09-01",
            cell,
        )
    return path
