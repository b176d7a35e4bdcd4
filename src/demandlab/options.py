"""What users type, checked before anything runs: weeks, scopes, and names that become file names.

A mistyped ``--week 2026-47`` or ``--scope 街道东湖`` must stop a command at once with a
clear message (exit code 2) — not after it has taken the lock, ingested the inbox and left
empty folders behind. And a value from the data (a street name) that becomes a file name must
not be able to leave the reports folder, make folders, or exceed what a file system accepts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

#: How long commands wait for a busy database by default (seconds): a weekly run on a large
#: district takes a few minutes; a notebook left open should not make the scheduler give up at once.
DEFAULT_WAIT = 300.0

#: Where a scope may point, and the names users may write for it.
SCOPE_KEYS = {
    "street": "street",
    "街道": "street",
    "community": "community",
    "社区": "community",
    "grid": "grid_id",
    "grid_id": "grid_id",
    "网格": "grid_id",
}
SCOPE_LABELS = {"street": "街道", "community": "社区", "grid_id": "网格"}
_WEEK = re.compile(r"(\d{4})-W(\d{2})")
#: A file name part: letters and digits of any script, and - _ ( ) （ ）; at most this many characters
#: (a CJK character is 3 bytes in UTF-8 and most file systems allow 255 bytes per name).
MAX_NAME = 40


@dataclass(frozen=True)
class IsoWeek:
    """An ISO week such as ``2026-W47``.

    >>> w = IsoWeek.parse("2026-W47")
    >>> w.start, w.end, str(w)
    (datetime.date(2026, 11, 16), datetime.date(2026, 11, 22), '2026-W47')
    """

    year: int
    week: int

    @classmethod
    def parse(cls, text: str, option: str = "--week") -> IsoWeek:
        """Read ``2026-W47``; anything else (``2026-47``, ``2026W47``, ``2026-W60``) raises :class:`UsageError`."""
        found = _WEEK.fullmatch(text.strip()) if isinstance(text, str) else None
        if not found:
            raise UsageError(f"{option} 的格式应为“年份-W周次”，例如 2026-W47；收到的是 {text!r}")
        year, week = int(found.group(1)), int(found.group(2))
        last = dt.date(year, 12, 28).isocalendar()[1]  # 28 December is always in the last ISO week
        if not 1 <= week <= last or not 1900 <= year <= 2999:
            raise UsageError(f"{option}：{year} 年只有第 1–{last} 周；收到的是 {text!r}")
        return cls(year, week)

    @classmethod
    def of(cls, day: dt.date) -> IsoWeek:
        year, week, _ = day.isocalendar()
        return cls(year, week)

    @property
    def start(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def parse_week(text: str | None, option: str = "--week") -> str | None:
    """The canonical form of a week option (None stays None), or :class:`UsageError`.

    >>> parse_week("2026-W07")
    '2026-W07'
    >>> parse_week("2026-47")
    Traceback (most recent call last):
    ...
    demandlab.errors.UsageError: --week 的格式应为“年份-W周次”，例如 2026-W47；收到的是 '2026-47'
    """
    return None if text is None else str(IsoWeek.parse(text, option))


def parse_scope(text: str | None) -> tuple[str, str] | None:
    """``street=东湖街道`` → ``("street", "东湖街道")``; also 街道=…, 社区=…, grid=…/网格=….

    >>> parse_scope("社区=翠竹社区")
    ('community', '翠竹社区')
    >>> parse_scope("东湖街道")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    demandlab.errors.UsageError: --scope 的格式应为 street=街道名、community=社区名 或 grid=网格编号；收到的是 ...
    """
    if text is None:
        return None
    key, sep, value = text.partition("=")
    column = SCOPE_KEYS.get(key.strip().lower())
    if not sep or column is None or not value.strip():
        raise UsageError(f"--scope 的格式应为 street=街道名、community=社区名 或 grid=网格编号；收到的是 {text!r}")
    return column, value.strip()


def safe_name(value: str, fallback: str = "未命名") -> str:
    """A file-name part made from a value of the data: no folders, no markup, no control characters, short.

    Letters and digits of every script are kept (街道 names stay readable); anything else becomes
    ``_``; a name that had to be changed or shortened gets six hex digits of a hash of the
    original, so two different values never share a file.

    >>> safe_name("东湖街道")
    '东湖街道'
    >>> safe_name("../../../../tmp/x/ESCAPED")
    'tmp_x_ESCAPED-3b85a7'
    >>> len(safe_name("长" * 120)) <= MAX_NAME + 7
    True
    """
    text = unicodedata.normalize("NFKC", value or "")
    cleaned = re.sub(r"[^\w\-()（）]+", "_", text, flags=re.UNICODE).strip("._- ")
    cleaned = re.sub(r"_+", "_", cleaned)
    if cleaned == (value or "") and 0 < len(cleaned) <= MAX_NAME:
        return cleaned
    digest = hashlib.blake2b((value or "").encode("utf-8"), digest_size=3).hexdigest()
    return f"{(cleaned[:MAX_NAME] or fallback)}-{digest}"


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refused unless it stays inside ``folder`` (the last line of defence).

    >>> inside(Path("/srv/reports"), "东湖街道.html")
    PosixPath('/srv/reports/东湖街道.html')
    """
    base = folder.resolve()
    target = (base / name).resolve()
    if target.parent != base:
        raise UsageError(f"文件名 {name!r} 会写到报告目录 {folder} 之外，已拒绝")
    return target
