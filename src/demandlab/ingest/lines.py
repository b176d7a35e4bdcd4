"""The physical lines of a file, read as bytes: one fast pass to see whether any line needs
attention, runs of whole lines that never hold an over-long line in memory, and the line each
record or reject starts on — the number a text editor shows.

A line break is ``\\n``, ``\\r\\n`` or a bare ``\\r``; neither byte ever occurs inside a UTF-8 or
GB18030 character, so this works on the bytes before they are decoded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .limits import MAX_FIELD_BYTES, MAX_STORED_CHARS
from .table import ROW

_CHUNK = 1 << 24
_BARE_CR = re.compile(rb"\r(?!\n)")


# --- one fast pass over the bytes ----------------------------------------------------------------
@dataclass
class _Scan:
    newlines: int = 0
    has_nul: bool = False
    bare_cr: bool = False
    long_line: bool = False

    @property
    def clean(self) -> bool:
        return not (self.has_nul or self.bare_cr or self.long_line)


def _has_long_line(chunk: bytes, since_newline: int, limit: int = MAX_FIELD_BYTES) -> tuple[bool, int]:
    """Whether ``chunk`` (``since_newline`` bytes after the last newline before it) holds a line
    longer than ``limit``; and the bytes after its own last newline. Looks at about one line per
    ``limit`` bytes: each window's last newline is found from its end."""
    first = chunk.find(b"\n")
    if first == -1:
        return since_newline + len(chunk) > limit, since_newline + len(chunk)
    if since_newline + first > limit:
        return True, 0
    pos = first + 1
    while len(chunk) - pos > limit:
        i = chunk.rfind(b"\n", pos, pos + limit + 1)
        if i == -1:
            return True, 0
        pos = i + 1
    return False, len(chunk) - pos


def _scan(path: Path) -> _Scan:
    """Newlines, NUL bytes, bare carriage returns and over-long lines, at the speed of reading."""
    scan, since, pending_cr = _Scan(), 0, False
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            scan.newlines += chunk.count(b"\n")
            scan.has_nul = scan.has_nul or b"\x00" in chunk
            if not scan.bare_cr:
                if pending_cr and not chunk.startswith(b"\n"):
                    scan.bare_cr = True
                elif b"\r" in chunk:
                    found = _BARE_CR.search(chunk)
                    scan.bare_cr = found is not None and found.start() < len(chunk) - 1
                pending_cr = chunk.endswith(b"\r")
            if not scan.long_line:
                scan.long_line, since = _has_long_line(chunk, since)
    scan.bare_cr = scan.bare_cr or pending_cr
    return scan


# --- runs of whole lines ---------------------------------------------------------------------------
def _normalized_chunks(handle) -> Iterator[bytes]:
    """The file's bytes with a bare ``\\r`` as ``\\n`` (``\\r\\n`` stays: DuckDB reads it, and
    neither byte ever occurs inside a UTF-8 or GB18030 character)."""
    held = b""
    while chunk := handle.read(_CHUNK):
        chunk = held + chunk
        held = b"\r" if chunk.endswith(b"\r") else b""
        if held:
            chunk = chunk[:-1]
        yield _BARE_CR.sub(b"\n", chunk) if b"\r" in chunk and _BARE_CR.search(chunk) else chunk
    if held:
        yield b"\n"


def _line_blocks(handle) -> Iterator[tuple[bytes, bool]]:
    """Runs of whole lines, each ``(bytes, False)``; a line longer than the limit comes alone as
    ``(its first bytes, True)`` and is never held in memory whole."""
    buf, skipping = b"", False
    for chunk in _normalized_chunks(handle):
        if skipping:
            end = chunk.find(b"\n")
            if end == -1:
                continue
            chunk, skipping = chunk[end + 1 :], False
        buf += chunk
        while buf:
            last = buf.rfind(b"\n")
            if last == -1:
                if len(buf) > MAX_FIELD_BYTES:
                    yield buf[: MAX_STORED_CHARS * 4], True
                    buf, skipping = b"", True
                break
            block, buf = buf[: last + 1], buf[last + 1 :]
            yield from _split_long(block)
    if buf and not skipping:
        yield from _split_long(buf + b"\n")


def _split_long(block: bytes) -> Iterator[tuple[bytes, bool]]:
    if len(block) <= MAX_FIELD_BYTES or not _has_long_line(block, 0)[0]:
        yield block, False
        return
    start = 0
    for line in block.split(b"\n")[:-1]:
        if len(line) > MAX_FIELD_BYTES:
            if start:
                yield block[:start], False
            yield line[: MAX_STORED_CHARS * 4], True
            block, start = block[start + len(line) + 1 :], 0
        else:
            start += len(line) + 1
    if block:
        yield block, False


# --- the line each record starts on ----------------------------------------------------------------
def _lines_after(path: Path, positions: list[int]) -> dict[int, int]:
    """For each byte position (sorted), the physical line (from 1) of the first byte at or after it
    that is not part of a line break: one pass to count the line breaks before each position, then
    a short read at each."""
    before: dict[int, int] = {}
    if not positions:
        return before
    pending = iter(positions)
    target = next(pending)
    offset, lines = 0, 0
    with path.open("rb") as handle:
        while target is not None and (chunk := handle.read(_CHUNK)):
            start = 0
            while target is not None and target < offset + len(chunk):
                lines += chunk.count(b"\n", start, target - offset)
                start = target - offset
                before[target] = lines
                target = next(pending, None)
            lines += chunk.count(b"\n", start)
            offset += len(chunk)
        for rest in [target, *pending]:
            if rest is not None:
                before[rest] = lines
        found = {}
        for position in positions:
            handle.seek(position)
            breaks = 0
            while block := handle.read(256):
                text = block.lstrip(b"\r\n")
                breaks += block[: len(block) - len(text)].count(b"\n")
                if text:
                    break
            found[position] = before[position] + breaks + 1
    return found


def _good_lines(path: Path, data_line: int, quote: str, n_good: int, bad: set[int], newlines: int) -> pl.Series:
    """The physical line each good record starts on.

    When every line after the header is one record (no blank line, no line break inside a
    quoted field), they follow from the count; otherwise the file is walked once, line by line,
    tracking whether a quote is open.
    """
    last_line = newlines + (0 if _ends_with_newline(path) else 1) - _trailing_blank_lines(path)
    candidates = pl.int_range(data_line, last_line + 1, dtype=pl.Int64, eager=True)
    if bad:
        candidates = candidates.filter(~candidates.is_in(pl.Series(sorted(bad), dtype=pl.Int64).implode()))
    if len(candidates) == n_good:
        return candidates.alias(ROW)
    starts = [n for n in _record_starts(path, data_line, quote) if n not in bad]
    if len(starts) == n_good:
        return pl.Series(ROW, starts, dtype=pl.Int64)
    # the two readers disagree about the file's records: number them in order rather than fail
    return pl.int_range(data_line, data_line + n_good, dtype=pl.Int64, eager=True).alias(ROW)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(max(path.stat().st_size - 1, 0))
        return handle.read(1) in (b"\n", b"")


def _trailing_blank_lines(path: Path) -> int:
    """Blank lines at the end of the file (after its last non-blank line)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(size - 65536, 0))
        tail = handle.read()
    stripped = tail.rstrip(b"\r\n \t")
    if not stripped and size > 65536:
        return 0
    rest = tail[len(stripped) :].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return max(rest.count(b"\n") - 1, 0)


def _record_starts(path: Path, data_line: int, quote: str) -> list[int]:
    """First physical line of every non-blank record after the header, by quote parity."""
    starts: list[int] = []
    open_quote = False
    quote_byte = quote.encode()
    with path.open("rb") as handle:
        for line_no, line in enumerate(handle, start=1):
            if line_no < data_line:
                continue
            if not open_quote and line.strip(b"\r\n"):
                starts.append(line_no)
            if line.count(quote_byte) % 2:
                open_quote = not open_quote
    return starts
