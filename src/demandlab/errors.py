"""Exit codes and the errors users see, in one place.

Every error demandlab raises on purpose carries a one-line message in Chinese
that names the file (or option) and what to do, and never a value from a
record: these messages reach the terminal, logs, ``.error.txt`` files and the
run summary. :func:`describe` turns any other exception into a line that is just
as safe (its type and where it happened, never its text, which for a parsing
library may quote the data).

==== ============================================================================
code meaning (for schedulers)
==== ============================================================================
0    done
1    an unexpected error, a full disk or a broken database: the message says which
2    bad usage or configuration; a database that does not exist; nothing was written
3    an input file could not be loaded (the others were)
4    no data for the asked week or scope
5    the database is busy (another run, or a reader) and stayed busy for ``--wait``
==== ============================================================================
"""

from __future__ import annotations

import errno
import traceback
from pathlib import Path

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INPUT, EXIT_NO_DATA, EXIT_BUSY = 0, 1, 2, 3, 4, 5


class DemandlabError(Exception):
    """An error with a message fit for users (Chinese, no record values) and an exit code."""

    exit_code = EXIT_ERROR


class UsageError(DemandlabError, ValueError):
    """A bad option or argument: nothing was done."""

    exit_code = EXIT_USAGE


class NoDataError(DemandlabError, ValueError):
    """The asked week or scope holds no data."""

    exit_code = EXIT_NO_DATA


class BusyError(DemandlabError):
    """Another process holds the database for longer than we were asked to wait."""

    exit_code = EXIT_BUSY


_OS_ERRORS = {
    errno.ENOSPC: "磁盘空间已满",
    errno.EDQUOT: "磁盘配额已用完",
    errno.EROFS: "文件系统只读",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EFBIG: "文件超过允许的大小",
    errno.ENAMETOOLONG: "文件名过长",
}


def disk_problem(exc: BaseException) -> str | None:
    """A Chinese one-liner for a full disk, a read-only file system or a missing permission, else None.

    Recognises ``OSError`` and DuckDB's I/O errors, which carry the operating system's English text.

    >>> import errno
    >>> disk_problem(OSError(errno.ENOSPC, "No space left on device", "/srv/db.duckdb"))
    '磁盘空间已满：/srv/db.duckdb。请清理空间后重新运行；已完成的阶段已保存，未完成的阶段不会留下半截数据'
    """
    target, reason = None, None
    if isinstance(exc, OSError) and exc.errno in _OS_ERRORS:
        reason, target = _OS_ERRORS[exc.errno], exc.filename
    else:
        text = str(exc)
        for marker, label in (
            ("No space left on device", "磁盘空间已满"),
            ("Disk quota exceeded", "磁盘配额已用完"),
            ("Read-only file system", "文件系统只读"),
            ("Permission denied", "没有权限"),
            ("File too large", "文件超过允许的大小"),
        ):
            if marker in text and type(exc).__module__.startswith(("duckdb", "_duckdb")):
                reason = label
                quoted = text.split('"')
                target = quoted[1] if len(quoted) > 2 else None
                break
    if reason is None:
        return None
    where = f"：{target}" if target else ""
    advice = {
        "磁盘空间已满": "请清理空间后重新运行；已完成的阶段已保存，未完成的阶段不会留下半截数据",
        "磁盘配额已用完": "请清理空间或提高配额后重新运行",
        "文件系统只读": "请把数据库、收件箱和报告目录放在可写的位置（见 demandlab.toml 的 [paths]）",
        "没有权限": "请检查该文件或目录的权限",
        "文件超过允许的大小": "请检查系统对文件大小的限制（ulimit -f）",
        "文件名过长": "请缩短名称",
    }[reason]
    return f"{reason}{where}。{advice}"


def describe(exc: BaseException) -> str:
    """A one-line description of ``exc`` that is safe to log: never the text of an unexpected error.

    Our own errors (:class:`DemandlabError` and the ingest/report/config errors built on it) are
    written to be shown and are returned as they are; a full disk or a read-only folder is named
    in Chinese; any other exception is reduced to its type and the place in demandlab's code
    where it was raised, because its text (a polars or DuckDB message) may quote a record.

    >>> describe(ValueError("手机 13800138000 格式不对"))
    '意外错误 ValueError；请把日志发给维护者'
    """
    if isinstance(exc, DemandlabError):
        return str(exc)
    problem = disk_problem(exc)
    if problem:
        return problem
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    ours = [f for f in frames if "demandlab" in f.filename] or frames
    if not ours:
        return f"意外错误 {type(exc).__name__}；请把日志发给维护者"
    last = ours[-1]
    where = f"{Path(last.filename).name}:{last.lineno} {last.name}"
    return f"意外错误 {type(exc).__name__}（位置：{where}）；请把日志发给维护者"


def exit_code(exc: BaseException) -> int:
    """The exit code for ``exc``."""
    return getattr(exc, "exit_code", EXIT_ERROR)
