"""Stage 1: read a plan file (.xlsx or .csv) into plain tables of cells.

calamine reads workbooks and the csv module reads CSV files, both inside this module: what
leaves it is `Table`s of `str` and `date` cells with the row numbers Excel shows, so later stages
need no spreadsheet library.

What the reader decides about a workbook's view, so that the file's content, not how it is
displayed, makes the plan:
- Hidden rows and columns are data like any other (a filter or a hidden row is a view).
- A hidden sheet is never taken as the plan sheet: the plan is the visible sheet named
  Plan/Implementeringsplan, else the first visible sheet. The `Udvalg` and `Indsatser` sheets
  are used whether hidden or not (lookup lists are often hidden).
- A cell merged over several rows counts in each of those rows that has data of its own; a cell
  merged across columns belongs to its first column.
- A formula counts with the result Excel saved with it; a formula saved without a result, or
  with an error value (`#DIV/0!`), is a problem in the cell.
"""

from __future__ import annotations

import codecs
import io
import math
import stat
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from pipeline.core import limits
from pipeline.core.errors import InputError, Interrupted, Problem, os_reason
from pipeline.core.text import loose
from pipeline.source.parse import normalise_text

Cell = str | date

PLAN_SHEETS = ("plan", "implementeringsplan")
COMMITTEE_SHEET = "udvalg"
INITIATIVE_SHEET = "indsatser"
# The header row is looked for among this many rows at the top of a sheet.
HEADER_SEARCH_ROWS = 30


@dataclass(frozen=True)
class Row:
    """One data row: its row number as Excel shows it and its cells by header name."""

    number: int
    cells: dict[str, Cell]

    def text(self, column: str) -> str:
        """Return the cell in `column` as text ('' when absent or empty)."""
        value = self.cells.get(column, "")
        return value if isinstance(value, str) else value.isoformat()


@dataclass(frozen=True)
class Table:
    """A sheet's data below its header row, with header names matched to the expected ones.

    `columns` maps each canonical name the caller asked for (e.g. "Dato") to the header as the
    sheet spells it; `extra` lists the other headers in sheet order.
    """

    file: str
    sheet: str | None
    header_row: int
    columns: dict[str, str]
    extra: tuple[str, ...]
    rows: tuple[Row, ...]

    def has(self, column: str) -> bool:
        """True when the sheet has the canonical `column`."""
        return column in self.columns

    def get(self, row: Row, column: str) -> Cell:
        """Return the cell of canonical `column` in `row` ('' when the sheet lacks it)."""
        header = self.columns.get(column)
        return row.cells.get(header, "") if header else ""

    def text(self, row: Row, column: str) -> str:
        """Return the cell of canonical `column` in `row` as text."""
        header = self.columns.get(column)
        return row.text(header) if header else ""

    def problem(self, message: str, row: Row | None = None, column: str | None = None,
                value: str | None = None) -> Problem:
        """Return a Problem located in this table, naming the column as the sheet spells it."""
        return Problem(self.file, message, self.sheet, row.number if row else None,
                       self.columns.get(column, column) if column else None, value)


@dataclass(frozen=True)
class Fault:
    """A cell whose value cannot be used (a formula without a saved result): message and value."""

    message: str
    value: str | None = None


@dataclass(frozen=True)
class Workbook:
    """The raw sheets of one plan file; a CSV file is one sheet named None.

    `hidden` names the sheets Excel hides; `faults` holds, per sheet, the cells (0-based row and
    column) whose value is missing from the file, reported when they lie in a table.
    """

    path: Path
    sheets: dict[str | None, list[list[Cell]]]
    hidden: frozenset[str] = frozenset()
    faults: dict[str | None, dict[tuple[int, int], Fault]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name

    def sheet_named(self, *names: str) -> str | None:
        """Return the sheet whose name matches one of `names` loosely, or None when none does."""
        return next((s for s in self.sheets if s is not None and _header_key(s) in names), None)

    def plan_sheet(self) -> str | None:
        """Return the plan sheet: the visible one named Plan/Implementeringsplan, else the first visible."""
        visible = [s for s in self.sheets if s not in self.hidden] or list(self.sheets)
        return next((s for s in visible if s is not None and _header_key(s) in PLAN_SHEETS), visible[0])

    def table(self, sheet: str | None, required: Sequence[str], optional: Sequence[str] = ()) -> Table:
        """Return the sheet as a Table with its header row found; raise InputError if it has none."""
        grid = self.sheets[sheet]
        wanted = {_header_key(name): name for name in (*required, *optional)}
        best_row, best_found = None, 0
        for index, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
            keys = [_header_key(c) if isinstance(c, str) else "" for c in cells]
            found = sum(1 for name in required if _header_key(name) in keys)
            if found == len(required):
                return self._table(sheet, index, wanted)
            if found > best_found:
                best_row, best_found = index, found
        if best_row is None:
            names = ", ".join(f'"{name}"' for name in required)
            if sheet is None:
                message = (f"filen har ingen overskriftsrække med kolonnerne {names}; en CSV-fil skal "
                           "have semikolon (;), komma (,) eller tabulator mellem kolonnerne")
            else:
                message = f"arket har ingen overskriftsrække med kolonnerne {names}"
            raise InputError([Problem(self.name, message, sheet)])
        keys = {_header_key(c) for c in grid[best_row] if isinstance(c, str)}
        raise InputError([
            Problem(self.name, f'overskriftsrækken mangler kolonnen "{name}"', sheet, best_row + 1)
            for name in required if _header_key(name) not in keys
        ])

    def _table(self, sheet: str | None, header_index: int, wanted: dict[str, str]) -> Table:
        grid = self.sheets[sheet]
        headers: list[str | None] = []
        seen: set[str] = set()
        columns: dict[str, str] = {}
        extra: list[str] = []
        problems: list[Problem] = []
        for cell in grid[header_index]:
            header = normalise_text(cell).replace("\n", " ") if isinstance(cell, str) else ""
            if not header:
                headers.append(None)
                continue
            key = _header_key(header)
            if key in seen:  # `Tema` and `tema ` are one column to the reader: which would it take?
                problems.append(Problem(self.name, "står to gange i overskriftsrækken; giv kolonnerne "
                                        "forskellige navne", sheet, header_index + 1, value=header))
            seen.add(key)
            headers.append(header)
            canonical = wanted.get(key)
            if canonical and canonical not in columns:
                columns[canonical] = header
            elif not canonical:
                extra.append(header)
        if problems:
            raise InputError(problems)
        problems.extend(
            Problem(self.name, fault.message, sheet, row + 1, headers[column], fault.value)
            for (row, column), fault in sorted(self.faults.get(sheet, {}).items())
            if row > header_index and column < len(headers) and headers[column] is not None
        )
        rows = []
        longest, most = limits.CELL_CHARACTERS.value, limits.ROWS.value
        for index in range(header_index + 1, len(grid)):
            cells = {
                header: value
                for header, value in zip(headers, grid[index])
                if header is not None and value != ""
            }
            for header, value in cells.items():
                if isinstance(value, str) and len(value) > longest:
                    problems.append(Problem(self.name, f"cellen har {limits.number(len(value))} tegn; "
                                            + limits.CELL_CHARACTERS.advice(), sheet, index + 1, header))
            if cells:
                rows.append(Row(index + 1, cells))
            if len(rows) > most:
                problems.append(Problem(self.name, f"arket har over {limits.number(most)} rækker med data; "
                                        + limits.ROWS.advice(), sheet))
                break
        if problems:
            raise InputError(problems)
        return Table(self.name, sheet, header_index + 1, columns, tuple(extra), tuple(rows))


def _header_key(text: str) -> str:
    """Return the loose form headers are matched by: case-folded, single-spaced, no trailing '.:'."""
    return loose(text).rstrip(".:").strip()


# --- Reading files -----------------------------------------------------------------------------

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv",)
PLAN_SUFFIXES = EXCEL_SUFFIXES + CSV_SUFFIXES
# `pipeline validate --mark` writes a copy of a bad plan beside it with this after its name; the
# copy shows the problems and is not a plan of its own.
MARKED_COPY_SUFFIX = " (fejl markeret)"


def read_workbook(path: Path, data: bytes | None = None) -> Workbook:
    """Return every sheet of the plan file at `path` as rows of normalised cells.

    `data` is the file's content when the caller has read it already (a build reads each plan
    once, and hashes exactly the bytes it reads)."""
    suffix = path.suffix.casefold()
    if data is None:
        data = read_plan_bytes(path)
    if len(data) > limits.FILE_MB.value * 2**20:
        raise InputError([Problem(path.name, f"filen fylder {limits.megabytes(len(data))}; "
                                  f"{limits.FILE_MB.advice()}")])
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, data)
    if suffix in CSV_SUFFIXES:
        return Workbook(path, {None: _read_csv(path, data)})
    raise InputError([Problem(path.name, "filen er hverken et Excel-regneark (.xlsx) eller en CSV-fil (.csv)")])


def read_plan_bytes(path: Path) -> bytes:
    """Return the content of the plan file at `path`; raise InputError when it is no plan file.

    Only a regular file is opened (a pipe would block the build), and only one within the size cap."""
    if (reason := not_a_file(path)) is not None:
        raise InputError([Problem(path.name, reason)])
    size = path.stat().st_size
    if size > limits.FILE_MB.value * 2**20:
        raise InputError([Problem(path.name, f"filen fylder {limits.megabytes(size)}; {limits.FILE_MB.advice()}")])
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError([Problem(path.name, f"filen kan ikke læses: {os_reason(error)}")]) from None


def not_a_file(path: Path) -> str | None:
    """Return why `path` is not a file a plan can be read from (Danish), or None when it is one."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "filen findes ikke"
    except OSError as error:
        return f"filen kan ikke læses: {os_reason(error)}"
    if stat.S_ISDIR(mode):
        return "er en mappe, ikke en fil"
    if not stat.S_ISREG(mode):
        return "er ikke en almindelig fil (men fx et rør eller en enhed)"
    return None


# The first bytes of an OLE2 compound file: an encrypted (password-protected) .xlsx or an old .xls.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


def _read_excel(path: Path, data: bytes) -> Workbook:
    """Return a workbook's worksheets, which of them are hidden, and its cells without a usable value."""
    head = data[:8]
    if head == _OLE_MAGIC:
        raise InputError([Problem(path.name, "filen er beskyttet med adgangskode eller gemt i det gamle "
                                  ".xls-format; gem den som almindelig Excel-projektmappe (.xlsx) "
                                  "uden adgangskode")])
    not_excel = InputError([Problem(path.name, "filen er ikke et Excel-regneark, selv om navnet ender på "
                                    f"{path.suffix}; åbn den i Excel og gem den som .xlsx")])
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if head.startswith(_ZIP_MAGIC):
            raise InputError([Problem(path.name, "filen er beskadiget eller ufuldstændig (måske afbrudt under "
                                      "kopiering); gem den igen fra Excel")])
        raise not_excel
    formula_parts = _check_package(path, data, not_excel)
    import pandas as pd
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    sheets, hidden = {}, set()
    try:
        with pd.ExcelFile(io.BytesIO(data), engine="calamine") as excel:
            # pandas reads the cells; its calamine workbook also tells sheet kinds, visibility and merges.
            for meta in excel.book.sheets_metadata:
                if meta.typ != SheetTypeEnum.WorkSheet:
                    continue  # chart and macro sheets hold no table
                frame = pd.read_excel(excel, sheet_name=meta.name, header=None, dtype=object)
                grid = _grid(frame)
                _spread_merged_cells(grid, excel.book.get_sheet_by_name(meta.name).merged_cell_ranges or ())
                sheets[meta.name] = grid
                if meta.visible != SheetVisibleEnum.Visible:
                    hidden.add(meta.name)
    except (KeyboardInterrupt, SystemExit, GeneratorExit, Interrupted):
        raise  # the build is being stopped, the file is not at fault
    except BaseException as error:  # calamine reports a damaged file with many types, a Rust panic among them
        raise InputError([Problem(path.name, f"filen kan ikke læses som Excel-regneark ({error})")]) from None
    if not sheets:
        raise InputError([Problem(path.name, "filen indeholder ingen regneark")])
    faults = _formula_faults(path, data, formula_parts) if formula_parts else {}
    return Workbook(path, sheets, frozenset(hidden), faults)


def _grid(frame) -> list[list[Cell]]:
    """Return a DataFrame's cells as lists of `str`/`date`, row by row, leaving pandas behind."""
    return [[_cell(value) for value in row] for row in frame.itertuples(index=False, name=None)]


def _spread_merged_cells(grid: list[list[Cell]], ranges) -> None:
    """Copy the value of each cell merged over several rows into those rows that have data of their own."""
    own = {index for index, row in enumerate(grid) if any(value != "" for value in row)}
    for (first_row, column), (last_row, _) in ranges:
        if first_row >= len(grid) or column >= len(grid[first_row]) or grid[first_row][column] == "":
            continue
        for index in range(first_row + 1, min(last_row, len(grid) - 1) + 1):
            if index in own and column < len(grid[index]):
                grid[index][column] = grid[first_row][column]


# --- The package beneath a workbook --------------------------------------------------------------

# A formula (`<f>`, `<x:f …>`) or an error value (`t="e"`) in a worksheet's XML: worth a closer look.
_FORMULA_OR_ERROR = (b"<f>", b"<f ", b"<f/", b":f>", b":f ", b't="e"', b"t='e'")
_CHUNK = 2**20


def _check_package(path: Path, data: bytes, not_excel: InputError) -> list[str]:
    """Refuse a zip that is no workbook or unpacks past the cap; return its worksheets with formulas.

    The sizes the zip declares are checked first, so an honest zip bomb is refused before anything
    is unpacked; then every member is unpacked once, in chunks, to look for formulas.
    """
    damaged = "filen er beskadiget og kan ikke åbnes"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InputError([Problem(path.name, f"{damaged} ({error})")]) from None
    if not any(info.filename.startswith("xl/") for info in members):
        raise not_excel  # a Word document or another zip with the wrong name
    cap = limits.UNPACKED_MB.value * 2**20
    declared = sum(info.file_size for info in members)
    if declared > cap:
        raise InputError([Problem(path.name, f"filen fylder {limits.megabytes(declared)} udpakket; "
                                  f"{limits.UNPACKED_MB.advice()}")])
    total, with_formulas = 0, []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            for info in members:
                worksheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
                found, tail = False, b""
                # zipfile unpacks no more than a member declares and then checks its CRC, so a
                # member that lies about its size fails here instead of filling the memory.
                with package.open(info) as member:
                    while chunk := member.read(_CHUNK):
                        total += len(chunk)
                        if total > cap:
                            raise InputError([Problem(path.name, f"filen fylder over {limits.megabytes(cap)} "
                                                      f"udpakket; {limits.UNPACKED_MB.advice()}")])
                        if worksheet and not found:
                            found = any(marker in tail + chunk for marker in _FORMULA_OR_ERROR)
                            tail = chunk[-8:]
                if found:
                    with_formulas.append(info.filename)
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, NotImplementedError) as error:
        raise InputError([Problem(path.name, f"{damaged} ({error})")]) from None
    return with_formulas


def _formula_faults(path: Path, data: bytes, parts: list[str]) -> dict[str | None, dict[tuple[int, int], Fault]]:
    """Return, per sheet, the formula cells saved without a result and the cells holding an error value."""
    faults: dict[str | None, dict[tuple[int, int], Fault]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = _sheet_parts(package)
            for part in parts:
                if part in names:
                    with package.open(part) as xml:
                        if found := dict(_faulty_cells(xml)):
                            faults[names[part]] = found
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, ValueError) as error:
        raise InputError([Problem(path.name, f"filen er beskadiget og kan ikke læses ({error})")]) from None
    return faults


def _sheet_parts(package: zipfile.ZipFile) -> dict[str, str]:
    """Return the workbook's worksheet parts (`xl/worksheets/sheet1.xml`) mapped to their sheet names."""
    targets = {
        relation.get("Id"): relation.get("Target", "")
        for relation in ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    }
    parts = {}
    for element in ElementTree.fromstring(package.read("xl/workbook.xml")).iter():
        if _local(element.tag) == "sheet":
            relation = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
            target = targets.get(relation, "")
            part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl", target))
            parts[part] = element.get("name", "")
    return parts


def _faulty_cells(xml) -> Iterator[tuple[tuple[int, int], Fault]]:
    """Yield each cell of a worksheet's XML that holds a formula without a result, or an error value."""
    row, column = -1, -1
    for event, element in ElementTree.iterparse(xml, events=("start", "end")):
        tag = _local(element.tag)
        if event == "start":
            if tag == "row":
                row = int(element.get("r", row + 2)) - 1
                column = -1
            continue
        if tag == "c":
            column = _column_index(element.get("r", "")) if element.get("r") else column + 1
            kind = element.get("t", "n")
            formula = value = None
            for child in element:
                if _local(child.tag) == "f":
                    formula = child
                elif _local(child.tag) == "v":
                    value = child
            if kind == "e":
                yield (row, column), Fault("er en fejlværdi fra en formel; ret formlen i Excel",
                                           value.text if value is not None else None)
            elif formula is not None and (value is None or (not value.text and kind != "str")):
                yield (row, column), Fault("er en formel, som er gemt uden sit resultat; åbn filen i Excel, "
                                           "og gem den igen, så resultatet bliver beregnet",
                                           f"={formula.text}" if formula.text else None)
            element.clear()
        elif tag == "row":
            element.clear()


def _local(tag: str) -> str:
    """Return an XML name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def _column_index(reference: str) -> int:
    """Return the 0-based column of a cell reference (`B5` → 1)."""
    index = 0
    for letter in reference.rstrip("0123456789$").lstrip("$").upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


# --- CSV -----------------------------------------------------------------------------------------

def _cp1252_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """Read bytes that are not UTF-8 as Windows-1252 (a UTF-8 file with some Danish Excel text pasted in)."""
    return error.object[error.start:error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error("pipeline-cp1252", _cp1252_fallback)


def _read_csv(path: Path, data: bytes) -> list[list[Cell]]:
    import pandas as pd

    text = _decode(data, path.name)
    if not text.strip():
        raise InputError([Problem(path.name, "filen er tom")])
    separator = _separator(text)
    # Naming enough columns up front lets rows of any length through (a title line above the
    # header has fewer fields); a separator inside quotes only adds an empty column.
    width = max(line.count(separator) for line in text.splitlines()) + 1
    try:
        frame = pd.read_csv(io.StringIO(text), sep=separator, header=None, names=range(width), dtype=str,
                            keep_default_na=False, skip_blank_lines=False, engine="c")
    except (ValueError, pd.errors.ParserError) as error:
        raise InputError([Problem(path.name, f"filen kan ikke læses som CSV-fil ({error})")]) from None
    return _grid(frame)


def _decode(raw: bytes, name: str) -> str:
    """Return a CSV file's text: UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252.

    Decided byte by byte: what is valid UTF-8 is read as UTF-8, and the rest as Windows-1252, so
    a file with both (a UTF-8 file with a few cells pasted from Danish Excel) reads right.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError([Problem(name, "filen er gemt som UTF-16, men er ufuldstændig; gem den "
                                      "igen som CSV (semikolonsepareret)")]) from None
    return raw.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="pipeline-cp1252")


def _separator(text: str) -> str:
    """Return the separator of a CSV text: the one of `;`, `,` and tab used most in its first lines."""
    sample = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    return max(";,\t", key=sample.count)


def _cell(value: object) -> Cell:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return normalise_text(str(value))
