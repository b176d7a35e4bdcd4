"""Small broken files made on the spot: workbooks rewritten part by part, an encrypted Office
container, a zip bomb. Each helper writes one file and returns its path."""

from __future__ import annotations

import datetime as dt
import re
import struct
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import xlsxwriter

from demandlab.ingest import Prepared, available_mappings, choose_mapping, merge_sheets, prepare_batch, read_tables

ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def xlsx(path: Path, sheets: dict[str, list[list]], hidden: tuple[str, ...] = (), merges=()) -> Path:
    """A workbook: sheet name → rows; ``merges`` as (sheet, first_row, first_col, last_row, last_col, value),
    0-based as xlsxwriter counts."""
    book = xlsxwriter.Workbook(path)
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if isinstance(value, tuple):  # (formula, its cached result)
                    sheet.write_formula(i, j, value[0], None, value[1])
                elif isinstance(value, str) and value.startswith("="):
                    sheet.write_formula(i, j, value)
                elif value is not None:
                    sheet.write(i, j, value)
        for sheet_name, r1, c1, r2, c2, value in merges:
            if sheet_name == name:
                sheet.merge_range(r1, c1, r2, c2, value)
        if name in hidden:
            sheet.hide()
    book.close()
    return path


def rewrite_part(path: Path, part: str, change) -> Path:
    """Replace one part of a zip (a workbook) by ``change(old bytes)``."""
    with zipfile.ZipFile(path) as book:
        parts = {info.filename: book.read(info) for info in book.infolist()}
    parts[part] = change(parts[part])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in parts.items():
            book.writestr(name, data)
    return path


def drop_cached_formula_values(data: bytes) -> bytes:
    """Formulas as a script writes them (openpyxl): no cached result, as if never opened in Excel."""
    return re.sub(rb"(<f>[^<]*</f>)<v>[^<]*</v>", rb"\1", data)


def zip_bomb(path: Path, sheet_rows: list[list], expanded: int = 200 << 20) -> Path:
    """A small workbook whose shared-strings part expands to ``expanded`` bytes, streamed so the
    test itself never holds it."""
    xlsx(path, {"工单": sheet_rows})
    with zipfile.ZipFile(path) as book:
        parts = {info.filename: book.read(info) for info in book.infolist() if info.filename != "xl/sharedStrings.xml"}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for name, data in parts.items():
            book.writestr(name, data)
        with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
            head = (
                b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
            )
            out.write(head)
            block = b"A" * (1 << 20)
            for _ in range(expanded >> 20):
                out.write(block)
            out.write(b"</t></si></sst>")
    return path


def encrypted_office_file(path: Path) -> Path:
    """An Office file with an open password as Excel writes it: an OLE compound file (CFB v3) holding
    ``EncryptionInfo`` and ``EncryptedPackage`` streams instead of a zip."""
    sector = 512
    info = (b"\x04\x00\x04\x00\x40\x00\x00\x00" + b'<?xml version="1.0"?><encryption/>').ljust(4096, b"\x00")
    package = struct.pack("<Q", 6000) + bytes(4088)
    header = bytearray(sector)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 0x28, 0, 1, 1, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
    struct.pack_into("<I", header, 0x4C, 0)
    for i in range(1, 109):
        struct.pack_into("<I", header, 0x4C + 4 * i, FREESECT)
    # sector 0: this table; 1: the directory; 2-9 and 10-17: the two streams, each a chain
    fat = [FATSECT, ENDOFCHAIN, *range(3, 10), ENDOFCHAIN, *range(11, 18), ENDOFCHAIN]
    fat += [FREESECT] * (128 - len(fat))

    def entry(name: str, kind: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le") if name else b""
        out = bytearray(128)
        out[0 : len(encoded)] = encoded
        struct.pack_into("<HBB", out, 64, len(encoded), kind, 1)
        struct.pack_into("<III", out, 68, left, right, child)
        struct.pack_into("<IQ", out, 116, start, size)
        return bytes(out)

    directory = (
        entry("Root Entry", 5, NOSTREAM, NOSTREAM, 1, ENDOFCHAIN, 0)
        + entry("EncryptionInfo", 2, NOSTREAM, 2, NOSTREAM, 2, len(info))
        + entry("EncryptedPackage", 2, NOSTREAM, NOSTREAM, NOSTREAM, 10, len(package))
        + entry("", 0, NOSTREAM, NOSTREAM, NOSTREAM, 0, 0)
    )
    path.write_bytes(bytes(header) + struct.pack("<128I", *fat) + directory + info + package)
    return path


NOW = dt.datetime(2026, 11, 16, 9, 0)


def prepare(path: Path, mapping: str | None = None, sheet: str | None = None) -> Prepared:
    """What the runner does with a file before writing it: read, map, validate, merge the sheets."""
    known = {h for m in available_mappings().values() for h in m.headers}
    tables = read_tables(path, sheet=sheet, known_headers=known)
    parts = [(t.sheet, prepare_batch(t, choose_mapping(path, t.headers, mapping), None, NOW)) for t in tables]
    prepared = merge_sheets(parts)
    assert prepared.rows_read == sum(t.frame.height + len(t.broken) for t in tables)
    return prepared


def rejects(prepared: Prepared) -> list[tuple]:
    """(row, reason) of every reject."""
    return prepared.rejects.select("row_number", "reason").rows()


def assert_no_value_in_messages(prepared: Prepared) -> None:
    """No reject or warning message holds a value of the row it is about."""
    for frame in (prepared.rejects, prepared.warnings):
        for message, value in frame.select("message", "value").rows():
            assert message, "every reject and warning has a message"
            if value and len(value) > 1:
                assert value not in message, (message, value)


def ods(path: Path, sheets: dict[str, list[list]]) -> Path:
    """An OpenDocument spreadsheet (LibreOffice / WPS), written part by part."""
    tables = []
    for name, rows in sheets.items():
        cells = (
            "<table:table-row>"
            + "".join(
                f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}</text:p></table:table-cell>'
                for v in row
            )
            + "</table:table-row>"
            for row in rows
        )
        tables.append(f'<table:table table:name="{escape(name)}">{"".join(cells)}</table:table>')
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        book.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        book.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return path
