"""Landing a resource list (资源清单) the way an export lands: one batch, its rejects, nothing twice.

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
from ..pipeline.loading import REJECT_VALUES, sha256_file
from ..pipeline.reports import BatchReport, log
from ..store import Store
from .resources import HEADERS, is_resource_list, prepare_resources

#: what ``rejects`` keeps of a refused row (never the value: it stays in the restricted file)
REJECT_COLUMNS = ["batch_id", "file_name", "sheet", "row_number", "column_name", "reason", "message"]


def load_resources(store: Store, path: str | Path, config: Config, loaded_at: dt.datetime) -> BatchReport:
    """Load the resource list at ``path`` into ``resources`` (every sheet whose header names 提供方, 报到社区
    and 资源类型). Raises :class:`IngestError` when no sheet is a resource list or the file cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(path, "not_found", "文件不存在或不是普通文件")
    digest = sha256_file(path)
    previous = store.scalar("select batch_id from batches where sha256 = ? limit 1", [digest])
    if previous:
        return BatchReport(str(path), "skipped", batch_id=previous, message=f"此前已导入（批次 {previous}），未作改动")
    known = {name for names in HEADERS.values() for name in names}
    tables = [t for t in read_tables(path, known_headers=known) if is_resource_list(t.headers)]
    if not tables:
        raise IngestError(path, "not_a_resource_list", "没有找到资源清单：表头应包含 提供方、报到社区、资源类型")
    registry = store.sql("select distinct community, street from grids where community is not null")
    communities = dict(registry.iter_rows()) if registry.height else None
    batch_id = f"b{loaded_at:%Y%m%d%H%M%S}-{digest[:10]}"
    accepted, rejects = [], []
    for table in tables:
        good, bad = prepare_resources(table.frame, communities, config.salt())
        accepted.append(good)
        rejects.append(bad.with_columns(pl.lit(table.sheet, pl.String).alias("sheet")))
    resources = pl.concat(accepted).unique("resource_id", keep="last", maintain_order=True)
    refused = pl.concat(rejects).with_columns(
        pl.lit(batch_id).alias("batch_id"), pl.lit(path.name).alias("file_name"), pl.lit(None, pl.String).alias("raw")
    )
    rows_read = sum(t.frame.height for t in tables)
    report = BatchReport(
        str(path), "loaded", batch_id=batch_id, mapping="resources", format=tables[0].format,
        encoding=tables[0].encoding, rows_read=rows_read, rows_accepted=rows_read - refused.height,
        rows_rejected=refused.height, rows_blank=sum(t.blank_rows for t in tables),
        reasons=dict(refused.group_by("reason").len().sort("reason").iter_rows()),
    )  # fmt: skip
    existing = set(store.sql("select resource_id from resources")["resource_id"])
    report.rows_new = sum(r not in existing for r in resources["resource_id"])
    report.rows_updated = resources.height - report.rows_new
    store.attach_restricted()
    with store.restricted_transaction() as con:
        Store.insert(con, "restricted.reject_values", refused.select(REJECT_VALUES))
    with store.transaction() as con:
        Store.replace_keys(
            con, "resources",
            resources.with_columns(pl.lit(batch_id).alias("batch_id"), pl.lit(loaded_at).alias("loaded_at")),
            ["resource_id"],
        )  # fmt: skip
        Store.insert(con, "rejects", refused.select(REJECT_COLUMNS))
        sheets = ", ".join(t.sheet for t in tables if t.sheet) or None
        con.execute(
            sql.text("io/insert_batch"),
            [batch_id, str(path.resolve()), path.name, digest, path.stat().st_size, report.format, report.encoding,
             sheets, tables[0].header_row, "resources", report.rows_read, report.rows_accepted, report.rows_rejected,
             report.rows_blank, report.rows_new, report.rows_updated, 0, loaded_at],
        )  # fmt: skip
    log.info("resources %s: read %d, accepted %d, rejected %d", path.name, rows_read, report.rows_accepted,
             report.rows_rejected)  # fmt: skip
    return report
