"""Writers for the corpus's binary files: raw .xlsx packages, zip bombs and an encrypted-Office container.

openpyxl cannot write everything the corpus needs (a formula with its saved result, an error
value, 50,000 formatted rows in a blink, a zip that lies about its sizes), so these write the
bytes themselves. Each returns the path it wrote.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"


@dataclass(frozen=True)
class Formula:
    """A formula cell: its text (without `=`), the result Excel saved (None: none) and its type."""

    text: str
    result: str | None = None
    type: str = "str"  # "str" text, "n" number, "e" error value


@dataclass(frozen=True)
class Sheet:
    """One worksheet of a raw workbook."""

    name: str
    rows: Sequence[Sequence[object]]
    state: str = "visible"  # "hidden", "veryHidden"
    merged: Sequence[str] = ()  # ranges such as "B3:B6"
    hidden_rows: Sequence[int] = ()  # Excel row numbers
    empty_formatted_rows: int = 0  # rows of formatted, empty cells after the data


def column_letter(index: int) -> str:
    """Return the column letters of a 0-based column (27 → `AB`)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _cell(reference: str, value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, Formula):
        saved = "" if value.result is None else f"<v>{escape(value.result)}</v>"
        kind = f' t="{value.type}"' if value.type != "n" else ""
        return f'<c r="{reference}"{kind}><f>{escape(value.text)}</f>{saved}</c>'
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{reference}"><v>{value!r}</v></c>'
    text = escape(str(value))
    return f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _worksheet(sheet: Sheet) -> str:
    rows = []
    for number, cells in enumerate(sheet.rows, start=1):
        hidden = ' hidden="1"' if number in sheet.hidden_rows else ""
        xml = "".join(_cell(f"{column_letter(i)}{number}", value) for i, value in enumerate(cells))
        rows.append(f'<row r="{number}"{hidden}>{xml}</row>')
    first = len(sheet.rows) + 1
    formatted = "".join(
        f'<row r="{number}" ht="18" customHeight="1"><c r="A{number}" s="1"/><c r="B{number}" s="1"/>'
        f'<c r="C{number}" s="1"/><c r="D{number}" s="1"/></row>'
        for number in range(first, first + sheet.empty_formatted_rows)
    )
    merged = "".join(f'<mergeCell ref="{ref}"/>' for ref in sheet.merged)
    merged = f'<mergeCells count="{len(sheet.merged)}">{merged}</mergeCells>' if merged else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
            f"<sheetData>{''.join(rows)}{formatted}</sheetData>{merged}</worksheet>")


STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFFFFF00"/></patternFill></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="0" fillId="2" borderId="0" xfId="0" applyFill="1"/></cellXfs>'
    "</styleSheet>"
)


def xlsx_parts(sheets: Sequence[Sheet]) -> dict[str, bytes]:
    """Return the parts of a minimal .xlsx package holding `sheets`, by part name."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{overrides}</Types>"
    )
    root_relations = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PACKAGE}">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    )
    entries = "".join(
        f'<sheet name={quoteattr(sheet.name)} sheetId="{i}" r:id="rId{i}"'
        f'{"" if sheet.state == "visible" else f" state={quoteattr(sheet.state)}"}/>'
        for i, sheet in enumerate(sheets, start=1)
    )
    workbook = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>{entries}</sheets></workbook>')
    relations = "".join(
        f'<Relationship Id="rId{i}" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    workbook_relations = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PACKAGE}">'
        f'{relations}<Relationship Id="rIdStyles" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
    parts = {
        "[Content_Types].xml": types,
        "_rels/.rels": root_relations,
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": workbook_relations,
        "xl/styles.xml": STYLES,
    }
    for i, sheet in enumerate(sheets, start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = _worksheet(sheet)
    return {name: text.encode("utf-8") for name, text in parts.items()}


def write_raw_xlsx(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Write a minimal .xlsx package holding `sheets`."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in xlsx_parts(sheets).items():
            package.writestr(name, data)
    return path


# --- Zip bombs ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Member:
    name: str
    compressed: bytes
    crc: int
    size: int  # what the headers declare


def _zip(members: Sequence[_Member]) -> bytes:
    """Return a zip archive of deflated members, written byte by byte (so sizes can lie)."""
    body, directory = bytearray(), bytearray()
    for member in members:
        name = member.name.encode()
        offset = len(body)
        fields = (20, 0, 8, 0, 0x21, member.crc, len(member.compressed), member.size, len(name), 0)
        body += struct.pack("<4s5HI2I2H", b"PK\x03\x04", *fields) + name + member.compressed
        directory += struct.pack("<4s6HI2I5H2I", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, offset) + name
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory),
                      len(body), 0)
    return bytes(body + directory + end)


def _deflated(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


def write_zip_bomb(path: Path, megabytes: int, declared_megabytes: int | None = None) -> Path:
    """Write an .xlsx whose one worksheet unpacks to `megabytes` MB of rows, from a few hundred KB.

    The deflate stream is one megabyte compressed with a full flush, repeated: identical blocks
    that each unpack to the same megabyte, so the bomb is built in a blink. With
    `declared_megabytes`, the zip's headers claim that size instead (a bomb that lies).
    """
    row = b'<row><c t="inlineStr"><is><t>Bombe</t></is></c></row>'
    block = (row * (2**20 // len(row) + 1))[: 2**20]
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    compressed_block = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    finish = packer.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(megabytes if declared_megabytes is None else declared_megabytes):
        crc = zlib.crc32(block, crc)
    stream = compressed_block * megabytes + finish
    size = 2**20 * (megabytes if declared_megabytes is None else declared_megabytes)
    parts = xlsx_parts([Sheet("Plan", [])])
    members = [_Member(name, _deflated(data), zlib.crc32(data), len(data))
               for name, data in parts.items() if name != "xl/worksheets/sheet1.xml"]
    members.append(_Member("xl/worksheets/sheet1.xml", stream, crc, size))
    path.write_bytes(_zip(members))
    return path


# --- An encrypted Office file -----------------------------------------------------------------------

_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def _directory_entry(name: str, kind: int, child: int = _FREE, right: int = _FREE,
                     start: int = _END, size: int = 0) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    return struct.pack("<64sHBBIII16sIQQIQ", encoded, len(encoded), kind, 1, _FREE, right, child,
                       bytes(16), 0, 0, 0, start, size)


def write_encrypted_office(path: Path) -> Path:
    """Write what Excel saves for a workbook with a password: an OLE2 compound file, not a zip.

    Version 3 (512-byte sectors): a FAT sector, a directory sector with the root and the two
    streams of an encrypted package (EncryptionInfo, EncryptedPackage; 4 KB each, so no mini
    stream is needed), then the streams' sectors.
    """
    sector = 512
    stream_sectors = 4096 // sector
    info_start, package_start = 2, 2 + stream_sectors
    fat = [_FAT, _END]
    for start in (info_start, package_start):
        fat += [start + i + 1 for i in range(stream_sectors - 1)] + [_END]
    fat += [_FREE] * (sector // 4 - len(fat))
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", bytes(16), 0x3E, 3, 0xFFFE, 9, 6,
        bytes(6), 0, 1, 1, 0, 4096, _END, 0, _END, 0,
    ) + struct.pack("<109I", 0, *[_FREE] * 108)
    directory = (_directory_entry("Root Entry", 5, child=1)
                 + _directory_entry("EncryptionInfo", 2, right=2, start=info_start, size=4096)
                 + _directory_entry("EncryptedPackage", 2, start=package_start, size=4096)
                 + _directory_entry("", 0, start=0))
    info = struct.pack("<HHI", 4, 4, 0x40) + b'<?xml version="1.0"?><encryption/>'
    streams = info.ljust(4096, b"\0") + struct.pack("<Q", 12345).ljust(4096, b"\x5a")
    path.write_bytes(header + struct.pack(f"<{sector // 4}I", *fat) + directory + streams)
    return path
