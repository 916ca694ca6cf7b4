"""Reading an Excel workbook (.xlsx) with python-calamine, and the checks of the zip package beneath it.

python-calamine is the reader pandas itself uses for .xlsx; it is called directly, so reading
and checking a plan (`pipeline validate`, `pipeline list`) never pays for importing pandas, and a
cell is kept as written (pandas would turn texts such as "NA" or "N/A" into empty cells).

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

import io
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from pipeline.core import limits
from pipeline.core.errors import InputError, Interrupted, Problem
from pipeline.source.workbook import Cell, Fault, Workbook, cell_value

# The first bytes of an OLE2 compound file: an encrypted (password-protected) .xlsx or an old .xls.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


def read_excel(path: Path, data: bytes) -> Workbook:
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
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    sheets, hidden = {}, set()
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for meta in book.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue  # chart and macro sheets hold no table
            sheet = book.get_sheet_by_name(meta.name)
            # From cell A1 on, as Excel numbers rows and columns, empty cells included.
            grid = [[cell_value(value) for value in row] for row in sheet.to_python(skip_empty_area=False)]
            _spread_merged_cells(grid, sheet.merged_cell_ranges or ())
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


