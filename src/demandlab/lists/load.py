"""Landing a resource list (资源清单) or a project list (项目清单) the way an export lands: one batch, its
rejects, nothing twice. A workbook may hold both kinds of sheet; each is told by its header.

The same bytes again are skipped; a changed file replaces the rows of the resources it names (by
``resource_id``) and leaves the others; rows read = accepted + rejected; the refused values go to the
restricted file only, as an export's do.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from .. import sql
from ..config import Config
from ..ingest import IngestError, read_tables
from ..pipeline.loading import REJECT_VALUES, seen_before
from ..pipeline.reports import BatchReport, log
from ..store import Store
from . import projects as project_list
from .resources import HEADERS, is_resource_list, prepare_resources

#: what ``rejects`` keeps of a refused row (never the value: it stays in the restricted file)
REJECT_COLUMNS = ["batch_id", "file_name", "sheet", "row_number", "column_name", "reason", "message"]


def load_list(store: Store, path: str | Path, config: Config, loaded_at: dt.datetime) -> BatchReport:
    """Load the list at ``path``: every sheet whose header names 提供方, 报到社区 and 资源类型 into ``resources``,
    every sheet naming 项目名称, 社区, 问题 and 开始日期 into ``projects``. Raises :class:`IngestError` when no
    sheet is either or the file cannot be read."""
    path = Path(path)
    digest, skipped = seen_before(store, path)
    if skipped:
        return skipped
    known = {name for names in (*HEADERS.values(), *project_list.HEADERS.values()) for name in names}
    tables = [
        t for t in read_tables(path, known_headers=known)
        if is_resource_list(t.headers) or project_list.is_project_list(t.headers)
    ]  # fmt: skip
    if not tables:
        raise IngestError(
            path,
            "not_a_list",
            "没有找到资源清单或项目清单：表头应包含 提供方、报到社区、资源类型，或 项目名称、社区、问题、开始日期",
        )
    registry = store.sql("select distinct community, street from grids where community is not null")
    communities = dict(registry.iter_rows()) if registry.height else None
    themes = _theme_names(store)
    batch_id = f"b{loaded_at:%Y%m%d%H%M%S}-{digest[:10]}"
    offered, planned, rejects = [], [], []
    for table in tables:
        if is_resource_list(table.headers):
            good, bad = prepare_resources(table.frame, communities, config.salt())
            offered.append(good)
        else:
            good, bad = project_list.prepare_projects(table.frame, communities or {}, themes)
            planned.append(good)
        rejects.append(bad.with_columns(pl.lit(table.sheet, pl.String).alias("sheet")))
    resources = pl.concat(offered).unique("resource_id", keep="last", maintain_order=True) if offered else None
    projects = pl.concat(planned).unique("project_id", keep="last", maintain_order=True) if planned else None
    refused = pl.concat(rejects).with_columns(
        pl.lit(batch_id).alias("batch_id"), pl.lit(path.name).alias("file_name"), pl.lit(None, pl.String).alias("raw")
    )
    rows_read = sum(t.frame.height for t in tables)
    kinds = [k for k, f in (("resources", resources), ("projects", projects)) if f is not None]
    report = BatchReport(
        str(path), "loaded", batch_id=batch_id, mapping=", ".join(kinds), format=tables[0].format,
        encoding=tables[0].encoding, rows_read=rows_read, rows_accepted=rows_read - refused.height,
        rows_rejected=refused.height, rows_blank=sum(t.blank_rows for t in tables),
        reasons=dict(refused.group_by("reason").len().sort("reason").iter_rows()),
    )  # fmt: skip
    kinds_keys = (("resources", resources, "resource_id"), ("projects", projects, "project_id"))
    landed = [(t, f, key) for t, f, key in kinds_keys if f is not None]
    for table, frame, key in landed:
        existing = set(store.sql(f"select {key} from {table}")[key])
        new = sum(k not in existing for k in frame[key])
        report.rows_new += new
        report.rows_updated += frame.height - new
    store.attach_restricted()
    with store.restricted_transaction() as con:
        Store.insert(con, "restricted.reject_values", refused.select(REJECT_VALUES))
    with store.transaction() as con:
        for table, frame, key in landed:
            stamped = frame.with_columns(pl.lit(batch_id).alias("batch_id"), pl.lit(loaded_at).alias("loaded_at"))
            Store.replace_keys(con, table, stamped, [key])
        Store.insert(con, "rejects", refused.select(REJECT_COLUMNS))
        sheets = ", ".join(t.sheet for t in tables if t.sheet) or None
        con.execute(
            sql.text("io/insert_batch"),
            [batch_id, str(path.resolve()), path.name, digest, path.stat().st_size, report.format, report.encoding,
             sheets, tables[0].header_row, report.mapping, report.rows_read, report.rows_accepted, report.rows_rejected,
             report.rows_blank, report.rows_new, report.rows_updated, 0, loaded_at],
        )  # fmt: skip
    log.info("%s %s: read %d, accepted %d, rejected %d", report.mapping, path.name, rows_read, report.rows_accepted,
             report.rows_rejected)  # fmt: skip
    return report


def _theme_names(store: Store) -> dict[str, int]:
    """What a project list may name a theme by: its label, or its id as text."""
    themes = store.sql("select theme_id, label from themes where theme_id >= 0") if "themes" in store.tables() else None
    if themes is None:
        return {}
    names = {str(i): i for i in themes["theme_id"]}
    names.update({label: i for i, label in themes.iter_rows() if label})
    return names
