"""The inbox: every file dropped in a folder is loaded, then archived; one file never stops the others.

Whatever goes wrong with a file (it cannot be read, a bug, a full temporary folder) leaves it in
the inbox with ``<name>.error.txt`` beside it saying why — in Chinese, without any value from the
file — and the next file is taken. It is tried again next time (fix the mapping, or replace the
file). A file whose batch committed but that could not be moved (a read-only archive) is reported
as ``archive_failed``; next time it is recognised as loaded and only the move is retried.
Symbolic links, folders and other special entries are refused, never followed. Files are taken
in name order; hidden files and error files are left alone.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

from ..errors import describe
from ..ingest import IngestError
from .reports import BatchReport

ERROR_SUFFIX = ".error.txt"
log = logging.getLogger("demandlab.pipeline")


def ingest_inbox(
    inbox: Path, archive: Path, load: Callable[[Path], BatchReport], now: Callable[[], dt.datetime]
) -> list[BatchReport]:
    """Load every file of ``inbox`` with ``load`` and move each into ``archive/<date>/`` once loaded."""
    inbox.mkdir(parents=True, exist_ok=True)
    reports = []
    for path in sorted(inbox.iterdir(), key=lambda p: p.name):
        if path.name.startswith(".") or path.name.endswith(ERROR_SUFFIX):
            continue
        refused = refuse_entry(path)
        if refused:
            reports.append(_failed(path, "not_a_file", refused, now))
            continue
        try:
            report = load(path)
        except IngestError as exc:
            reports.append(_failed(path, exc.reason, _reason(exc, path), now))
            continue
        except Exception as exc:  # one file must never stop the others
            log.error("file %s: %s", path.name, describe(exc), exc_info=log.isEnabledFor(logging.DEBUG))
            reports.append(_failed(path, "unexpected", describe(exc), now))
            continue
        reports.append(_archive(path, archive, report, now))
    return reports


def refuse_entry(path: Path) -> str | None:
    """Why an inbox entry is not read at all (a link could point anywhere on the machine), or None."""
    if path.is_symlink():
        return "这是符号链接：出于安全原因不读取链接，请把导出文件本身放入收件箱"
    if path.is_dir():
        return "这是文件夹：请把其中的导出文件直接放入收件箱"
    if not path.is_file():
        return "这不是普通文件（设备、管道或套接字），不读取"
    return None


def _reason(exc: IngestError, path: Path) -> str:
    """The reason of an :class:`IngestError` without the path it starts with."""
    text = str(exc)
    for prefix in (f"{exc.path}: ", f"{path}: "):
        text = text.removeprefix(prefix)
    return text


def _failed(path: Path, reason: str, message: str, now: Callable[[], dt.datetime]) -> BatchReport:
    """A file that could not be loaded: its error file beside it, and the report that says why."""
    note = (
        f"文件：{path.name}\n原因：{message}\n代码：{reason}\n时间：{now():%Y-%m-%d %H:%M:%S}\n"
        "处理：修正或替换该文件后，下次运行会自动重试；本文件的数据未写入数据库。\n"
    )
    error = path.with_name(path.name + ERROR_SUFFIX)
    try:
        if error.is_symlink():
            error.unlink()
        error.write_text(note, encoding="utf-8")
    except OSError as exc:
        log.error("file %s: cannot write %s: %s", path.name, error.name, describe(exc))
    log.warning("file %s: not loaded (%s): %s", path.name, reason, message)
    return BatchReport(str(path), "failed", message=message, failure=reason)


def _archive(path: Path, archive: Path, report: BatchReport, now: Callable[[], dt.datetime]) -> BatchReport:
    """Move a loaded (or already loaded) file into ``archive/<date>/``; a failure is reported, not raised."""
    target = archive / f"{now():%Y-%m-%d}" / path.name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target = target.with_name(f"{target.stem}.{report.batch_id}{target.suffix}")
        shutil.move(str(path), target)
    except OSError as exc:
        report.status = "archive_failed"
        report.message = (
            f"{report.message} 已导入，但无法移入归档目录：{describe(exc)}；下次运行只重试移动，不会重复导入"
        ).strip()
        log.error("file %s: loaded but not archived: %s", path.name, describe(exc))
        return report
    path.with_name(path.name + ERROR_SUFFIX).unlink(missing_ok=True)
    report.message = f"{report.message} 已归档至 {target}".strip()
    return report
