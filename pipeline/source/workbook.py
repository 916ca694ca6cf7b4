"""The plain tables a plan file becomes: sheets of `str` and `date` cells, found by their headers.

`pipeline.source.excel` and `pipeline.source.csvfile` fill a `Workbook`; what leaves this
package is `Table`s with the row numbers Excel shows, so later stages need no spreadsheet library.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pipeline.core import limits
from pipeline.core.errors import InputError, Problem
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
        return next((s for s in self.sheets if s is not None and header_key(s) in names), None)

    def plan_sheet(self) -> str | None:
        """Return the plan sheet: the visible one named Plan/Implementeringsplan, else the first visible."""
        visible = [s for s in self.sheets if s not in self.hidden] or list(self.sheets)
        return next((s for s in visible if s is not None and header_key(s) in PLAN_SHEETS), visible[0])

    def table(self, sheet: str | None, required: Sequence[str], optional: Sequence[str] = ()) -> Table:
        """Return the sheet as a Table with its header row found; raise InputError if it has none."""
        grid = self.sheets[sheet]
        wanted = {header_key(name): name for name in (*required, *optional)}
        best_row, best_found = None, 0
        for index, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
            keys = [header_key(c) if isinstance(c, str) else "" for c in cells]
            found = sum(1 for name in required if header_key(name) in keys)
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
        keys = {header_key(c) for c in grid[best_row] if isinstance(c, str)}
        raise InputError([
            Problem(self.name, f'overskriftsrækken mangler kolonnen "{name}"', sheet, best_row + 1)
            for name in required if header_key(name) not in keys
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
            key = header_key(header)
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


def header_key(text: str) -> str:
    """Return the loose form headers are matched by: case-folded, single-spaced, no trailing '.:'."""
    return loose(text).rstrip(".:").strip()


def cell_value(value: object) -> Cell:
    """Return a spreadsheet value as the cell the tables hold: text, a date, or "" for nothing."""
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
