"""Stage 1: read a plan file (.xlsx or .csv) into plain tables of cells.

pandas does the reading and stays inside this module: what leaves it is `Table`s of `str` and
`date` cells with the row numbers Excel shows, so later stages need neither pandas nor a sheet.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pipeline import limits
from pipeline.errors import InputError, Problem
from pipeline.parse import normalise_text

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
class Workbook:
    """The raw sheets of one plan file; a CSV file is one sheet named None."""

    path: Path
    sheets: dict[str | None, list[list[Cell]]]

    @property
    def name(self) -> str:
        return self.path.name

    def sheet_named(self, *names: str) -> str | None:
        """Return the sheet whose name matches one of `names` loosely, or None when none does."""
        return next((s for s in self.sheets if s is not None and _header_key(s) in names), None)

    def plan_sheet(self) -> str | None:
        """Return the plan sheet: one named Plan/Implementeringsplan, else the first (CSV: None)."""
        return self.sheet_named(*PLAN_SHEETS) or next(iter(self.sheets))

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
            raise InputError([Problem(self.name, f"arket har ingen overskriftsrække med kolonnerne {names}", sheet)])
        keys = {_header_key(c) for c in grid[best_row] if isinstance(c, str)}
        raise InputError([
            Problem(self.name, f'overskriftsrækken mangler kolonnen "{name}"', sheet, best_row + 1)
            for name in required if _header_key(name) not in keys
        ])

    def _table(self, sheet: str | None, header_index: int, wanted: dict[str, str]) -> Table:
        grid = self.sheets[sheet]
        headers: list[str | None] = []
        columns: dict[str, str] = {}
        extra: list[str] = []
        problems: list[Problem] = []
        for position, cell in enumerate(grid[header_index]):
            header = normalise_text(cell).replace("\n", " ") if isinstance(cell, str) else ""
            if not header:
                headers.append(None)
                continue
            if header in headers:
                problems.append(Problem(self.name, "står to gange i overskriftsrækken; giv kolonnerne forskellige navne", sheet,
                                        header_index + 1, header))
            headers.append(header)
            canonical = wanted.get(_header_key(header))
            if canonical and canonical not in columns:
                columns[canonical] = header
            elif not canonical:
                extra.append(header)
        if problems:
            raise InputError(problems)
        rows = []
        longest = limits.CELL_CHARACTERS.value
        for index in range(header_index + 1, len(grid)):
            cells = {
                header: value
                for header, value in zip(headers, grid[index])
                if header is not None and value != ""
            }
            for header, value in cells.items():
                if isinstance(value, str) and len(value) > longest:
                    problems.append(Problem(self.name, f"cellen har {len(value):,} tegn; ".replace(",", ".")
                                            + limits.CELL_CHARACTERS.advice(), sheet, index + 1, header))
            if cells:
                rows.append(Row(index + 1, cells))
            if len(rows) > limits.ROWS.value:
                problems.append(Problem(self.name, f"arket har mere end {limits.ROWS.advice()}", sheet))
                break
        if problems:
            raise InputError(problems)
        return Table(self.name, sheet, header_index + 1, columns, tuple(extra), tuple(rows))


def _header_key(text: str) -> str:
    """Return the loose form headers are matched by: case-folded, single-spaced, no trailing '.:'."""
    return " ".join(text.split()).casefold().rstrip(".:").strip()


# --- Reading files -----------------------------------------------------------------------------

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv",)
PLAN_SUFFIXES = EXCEL_SUFFIXES + CSV_SUFFIXES


def read_workbook(path: Path) -> Workbook:
    """Return every sheet of the plan file at `path` as rows of normalised cells."""
    suffix = path.suffix.casefold()
    if not path.is_file():
        raise InputError([Problem(path.name, "filen findes ikke")])
    size_mb = path.stat().st_size / 2**20
    if size_mb > limits.FILE_MB.value:
        raise InputError([Problem(path.name, f"filen fylder {size_mb:.0f} MB; {limits.FILE_MB.advice()}")])
    if suffix in EXCEL_SUFFIXES:
        return Workbook(path, _read_excel(path))
    if suffix in CSV_SUFFIXES:
        return Workbook(path, {None: _read_csv(path)})
    raise InputError([Problem(path.name, "filen er hverken et Excel-regneark (.xlsx) eller en CSV-fil (.csv)")])


# The first bytes of an OLE2 compound file: an encrypted (password-protected) .xlsx or an old .xls.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _read_excel(path: Path) -> dict[str | None, list[list[Cell]]]:
    with path.open("rb") as file:
        head = file.read(8)
    if head == _OLE_MAGIC:
        raise InputError([Problem(path.name, "filen er beskyttet med adgangskode eller gemt i det gamle "
                                  ".xls-format; gem den som almindelig Excel-projektmappe (.xlsx) "
                                  "uden adgangskode")])
    if not zipfile.is_zipfile(path):
        raise InputError([Problem(path.name, "filen er ikke et Excel-regneark, selv om navnet ender på "
                                  f"{path.suffix}; åbn den i Excel og gem den som .xlsx")])
    _check_unpacked_size(path)
    import pandas as pd

    try:
        frames = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="calamine")
    except Exception as error:  # calamine reports a damaged file with many exception types
        raise InputError([Problem(path.name, f"filen kan ikke læses som Excel-regneark ({error})")]) from None
    return {str(name): _grid(frame) for name, frame in frames.items()}


def _check_unpacked_size(path: Path) -> None:
    """Refuse an .xlsx that would unpack to more than the cap (a zip bomb, or a damaged file)."""
    try:
        with zipfile.ZipFile(path) as package:
            unpacked_mb = sum(info.file_size for info in package.infolist()) / 2**20
    except (zipfile.BadZipFile, OSError) as error:
        raise InputError([Problem(path.name, f"filen er beskadiget og kan ikke åbnes ({error})")]) from None
    if unpacked_mb > limits.UNPACKED_MB.value:
        raise InputError([Problem(path.name, f"filen fylder {unpacked_mb:.0f} MB udpakket; "
                                  f"{limits.UNPACKED_MB.advice()}")])


def _read_csv(path: Path) -> list[list[Cell]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Danish Excel saves "CSV (semikolonsepareret)" in Windows-1252.
        text = raw.decode("cp1252", errors="replace")
    import pandas as pd

    frame = pd.read_csv(io.StringIO(text), sep=_separator(text), header=None, dtype=str,
                        keep_default_na=False, skip_blank_lines=False, engine="python")
    return _grid(frame)


def _separator(text: str) -> str:
    """Return the separator of a CSV text: the one of `;`, `,` and tab used most in its first lines."""
    sample = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    return max(";,\t", key=sample.count)


def _grid(frame) -> list[list[Cell]]:
    """Return a DataFrame's cells as lists of `str`/`date`, row by row, leaving pandas behind."""
    return [[_cell(value) for value in row] for row in frame.itertuples(index=False, name=None)]


def _cell(value: object) -> Cell:
    if value is None:
        return ""
    if isinstance(value, datetime):  # pandas.Timestamp is a datetime
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
