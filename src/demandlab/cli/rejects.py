"""``demandlab rejects``: the rows loading refused, for the person who fixes the export.

Each row names its file, sheet, row and column, the reason in Chinese and what is wrong; the value
that was refused is shown only masked (``〔手机号〕`` for a number), read from the restricted file
when it is still there (``demandlab purge`` deletes it: the value then reads 已清除).
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import UsageError
from .app import app
from .common import DEFAULT_WAIT, ConfigOption, DbOption, WaitOption, config_for, err, fail, out, reading

#: output columns: key → Chinese header (csv and the table); json keeps the keys
COLUMNS = {
    "file_name": "文件",
    "sheet": "工作表",
    "row_number": "行号",
    "column_name": "列",
    "value": "原值（已脱敏）",
    "reason_zh": "原因",
    "message": "说明",
    "reason": "原因代码",
    "record_id": "编号",
    "batch_id": "批次",
}
FORMATS = ("table", "csv", "json")
#: what the value column says when the restricted file no longer holds the value
PURGED = "已清除"


@app.command("rejects")
def rejects(
    batch: Annotated[
        str | None, typer.Option("--batch", help="Only this batch: its id (b2026…) or the file name.")
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Only this reason code, e.g. bad_time.")] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="table, csv (Chinese headers, opens in Excel) or json.")
    ] = "table",
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of the screen.")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """The rows loading refused: file, sheet, row, column, the refused value (masked) and why, in Chinese.

    Rows read = accepted + rejected for every file; this lists the rejected ones, so the export can be
    fixed and loaded again. Reason codes are in the README (bad_time, missing_id, unknown_grid …).

    Example: demandlab rejects --reason bad_time --format csv --out 拒收.csv --db data/demandlab.duckdb
    """
    from .. import marts
    from ..ingest import REASONS as EXPORT_REASONS
    from ..lists.projects import REASONS as PROJECT_REASONS
    from ..lists.resources import REASONS as RESOURCE_REASONS
    from ..store import reject_values

    if fmt not in FORMATS:
        raise fail(UsageError(f"--format 应为 {'、'.join(FORMATS)} 之一；收到的是 {fmt!r}"))
    reasons = tuple(dict.fromkeys((*EXPORT_REASONS, *RESOURCE_REASONS, *PROJECT_REASONS)))
    if reason is not None and reason not in reasons:
        raise fail(UsageError(f"--reason {reason!r} 不是拒收原因代码；可用的有：{'、'.join(reasons)}"))
    cfg = config_for(config, db)
    with reading(cfg, wait) as store:
        refused = marts.rejects(store, batch=batch, reason=reason)
        values = reject_values(store) if refused.height else None
    frame = _with_values(refused, values)
    if frame.height == 0:
        where = "".join(f"（{name} {value}）" for name, value in (("批次", batch), ("原因", reason)) if value)
        err.print(f"没有被拒收的行{where}")
        return
    if out_file is not None and fmt == "table":  # a file is for a program or a spreadsheet
        fmt = "json" if out_file.suffix.lower() == ".json" else "csv"
    text = _render(frame, fmt)
    if out_file is not None:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="")
        err.print(f"已写出 {frame.height:,} 行拒收记录：{escape(str(out_file))}")
    elif fmt == "table":
        _print_table(frame)
    else:
        sys.stdout.write(text)


def _with_values(refused, values):
    """``refused`` with the refused value masked and the reason in Chinese, in :data:`COLUMNS` order."""
    import polars as pl

    from ..labels import reject_reason_zh
    from ..text import mask, normalize

    keys = ["batch_id", "sheet", "row_number", "column_name", "reason"]
    if values is None:
        frame = refused.with_columns(pl.lit(None, pl.String).alias("value"), pl.lit(False).alias("_kept"))
    else:
        kept = values.unique(keys, keep="first", maintain_order=True).with_columns(pl.lit(True).alias("_kept"))
        frame = refused.join(kept, on=keys, how="left", nulls_equal=True, maintain_order="left")
    texts = frame["value"].to_list()
    masked = mask(normalize(texts))
    shown = [m if kept else PURGED for m, kept in zip(masked, frame["_kept"].fill_null(False), strict=True)]
    frame = frame.with_columns(
        pl.Series("value", shown, pl.String),
        pl.col("reason").map_elements(reject_reason_zh, return_dtype=pl.String).alias("reason_zh"),
    )
    return frame.select(list(COLUMNS))


def _render(frame, fmt: str) -> str:
    if fmt == "json":
        return frame.write_json() + "\n"
    if fmt == "table":
        return ""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS.values())
    writer.writerows(["" if v is None else v for v in row] for row in frame.iter_rows())
    return buffer.getvalue()


def _print_table(frame) -> None:
    table = Table(title=f"拒收 {frame.height:,} 行", show_lines=False)
    shown = [k for k in COLUMNS if k not in ("reason", "batch_id")]
    for key in shown:
        table.add_column(COLUMNS[key], justify="right" if key == "row_number" else "left")
    for row in frame.select(shown).iter_rows():
        table.add_row(*("" if v is None else escape(str(v)) for v in row))
    out.print(table)
