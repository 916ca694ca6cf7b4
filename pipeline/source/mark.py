"""Show a plan's problems where they were typed: a marked copy of the plan beside it.

`mark_plans` writes, for each plan with problems, `<plan> (fejl markeret).xlsx` beside it: the
plan's sheets with every bad cell filled red and carrying a comment with the Danish message,
and a first sheet, "Fejl", listing every problem (those that belong to no cell, such as a
missing column or an unknown plan year, only there). The plan itself is never written to.

A workbook is copied with openpyxl, so its formatting stays; a CSV plan (or a workbook openpyxl
cannot open) is copied from the cells the reader saw. Cells are found the way the reader found
them: a problem names the sheet, the row as Excel shows it and the column header as the sheet
spells it, and the header row is the top row that holds those headers.
"""

from __future__ import annotations

import io
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.core.errors import InputError, Problem, os_reason
from pipeline.core.files import atomic_write
from pipeline.core.text import cut
from pipeline.source.parse import normalise_text
from pipeline.source.read import EXCEL_SUFFIXES, MARKED_COPY_SUFFIX, read_workbook
from pipeline.source.workbook import HEADER_SEARCH_ROWS, Workbook

PROBLEM_SHEET = "Fejl"
CSV_SHEET = "Plan"  # the sheet a CSV plan's cells are copied into
FILL = "FFC7CE"  # Excel's "light red fill"
COMMENT_AUTHOR = "pipeline"
_EXCEL_TEXT = 32_767  # the most characters an Excel cell holds
Place = tuple[str, int, int]  # a cell of the copy: sheet title, 1-based row and column


@dataclass(frozen=True)
class MarkedCopy:
    """The outcome for one plan: the marked copy written, or why none could be (Danish)."""

    plan: Path
    copy: Path | None
    reason: str = ""

    def __str__(self) -> str:
        if self.copy is not None:
            return f"Fejlene i {self.plan.name} er markeret i kopien {self.copy}; planen selv er ikke ændret."
        return f"Der kunne ikke laves en markeret kopi af {self.plan.name}: {self.reason}."


def marked_copy_path(plan: Path) -> Path:
    """Return where the marked copy of `plan` goes: `implementeringsplan_2017 (fejl markeret).xlsx`."""
    return plan.with_name(f"{plan.stem}{MARKED_COPY_SUFFIX}.xlsx")


def mark_plans(paths: Iterable[Path], problems: Sequence[Problem]) -> list[MarkedCopy]:
    """Write a marked copy of each plan in `paths` that `problems` name; return what was done."""
    by_file: dict[str, list[Problem]] = defaultdict(list)
    for problem in problems:
        by_file[problem.file].append(problem)
    return [mark_plan(path, by_file[path.name]) for path in paths if by_file.get(path.name)]


def mark_plan(path: Path, problems: Sequence[Problem]) -> MarkedCopy:
    """Write the marked copy of the plan at `path` with `problems` marked in it."""
    copy = marked_copy_path(path)
    if copy.resolve() == path.resolve():  # cannot happen by the name, but the plan is never written to
        return MarkedCopy(path, None, "kopien ville få samme navn som planen")
    try:
        cells = read_workbook(path)
    except InputError:
        return MarkedCopy(path, None, "filen kan ikke læses som regneark")
    try:
        atomic_write(copy, marked_bytes(path, cells, problems))
    except OSError as error:
        return MarkedCopy(path, None, f"{copy} kan ikke skrives ({os_reason(error)})")
    return MarkedCopy(path, copy)


def marked_bytes(path: Path, cells: Workbook, problems: Sequence[Problem]) -> bytes:
    """Return the .xlsx bytes of the plan at `path` with `problems` marked; `cells` is what the reader read."""
    book = _open_copy(path, cells)
    located = _locate(cells, problems)
    by_cell: dict[Place, list[Problem]] = defaultdict(list)
    for problem, places in located:
        for sheet, row, column in places:
            by_cell[(sheet, *_anchor(book[sheet], row, column))].append(problem)
    for (sheet, row, column), found in by_cell.items():
        _mark(book[sheet].cell(row, column), found)
    _problem_sheet(book, path.name, located)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- Where each problem is -----------------------------------------------------------------------


def _locate(cells: Workbook, problems: Sequence[Problem]) -> list[tuple[Problem, list[Place]]]:
    """Return each problem with the cells it belongs to (none for a missing column or year)."""
    by_sheet: dict[str | None, list[Problem]] = defaultdict(list)
    for problem in problems:
        if problem.row is not None and problem.sheet in cells.sheets:
            by_sheet[problem.sheet].append(problem)
    places: dict[int, list[Place]] = {}
    for sheet, found in by_sheet.items():
        grid = cells.sheets[sheet]
        title = sheet if sheet is not None else CSV_SHEET
        named = [p for p in found if p.column is not None]
        columns = _header_columns(grid, {p.column for p in named}, min((p.row for p in named), default=0))
        for problem in found:
            if problem.column is not None and problem.column in columns:
                places[id(problem)] = [(title, problem.row, columns[problem.column] + 1)]
            elif problem.column is None and problem.value is not None:
                # A problem with the header row itself ("Tema" twice): the header cells that say it.
                row = grid[problem.row - 1] if 0 < problem.row <= len(grid) else []
                places[id(problem)] = [(title, problem.row, index + 1) for index, cell in enumerate(row)
                                       if _header_text(cell) == problem.value]
    return [(problem, places.get(id(problem), [])) for problem in problems]


def _header_columns(grid: list[list], names: set[str], first_row: int) -> dict[str, int]:
    """Return the 0-based columns of the headers `names` in the sheet's header row.

    The header row is the top row above `first_row` (within the rows the reader searches) that
    holds the most of `names`; the first such row, as the reader takes the first that fits.
    """
    best: dict[str, int] = {}
    for cells in grid[: min(HEADER_SEARCH_ROWS, max(first_row - 1, 0))]:
        found: dict[str, int] = {}
        for index, cell in enumerate(cells):
            text = _header_text(cell)
            if text in names:
                found.setdefault(text, index)
        if len(found) > len(best):
            best = found
    return best


def _header_text(cell: object) -> str:
    """Return a header cell as the reader names its column."""
    return normalise_text(cell).replace("\n", " ") if isinstance(cell, str) else ""


# --- The copy ------------------------------------------------------------------------------------

def _open_copy(path: Path, cells: Workbook):
    """Return the workbook to mark: the plan itself opened with openpyxl, or a new one from its cells."""
    from openpyxl import load_workbook

    if path.suffix.casefold() in EXCEL_SUFFIXES:
        try:
            with warnings.catch_warnings():  # "extension is not supported": nothing the user can act on
                warnings.simplefilter("ignore")
                book = load_workbook(path)
            if all(sheet in book.sheetnames for sheet in cells.sheets):
                return book
        except Exception:
            pass
    return _book_from_cells(cells)


def _book_from_cells(cells: Workbook):
    """Return a new workbook holding the cells the reader read, each sheet at the same rows and columns."""
    from openpyxl import Workbook as Book

    book = Book()
    book.remove(book.active)
    for name, grid in cells.sheets.items():
        sheet = book.create_sheet(name if name is not None else CSV_SHEET)
        for row_number, row in enumerate(grid, start=1):
            for column_number, value in enumerate(row, start=1):
                if value != "":
                    _put(sheet.cell(row_number, column_number), value)
        for column in range(1, max((len(row) for row in grid), default=0) + 1):
            sheet.column_dimensions[_letter(column)].width = 24
        if name in cells.hidden:
            sheet.sheet_state = "hidden"
    return book


def _put(cell, value: object) -> None:
    """Write `value` into `cell` as the value it is: text stays text, even when it begins with "="."""
    if isinstance(value, date):
        cell.value = value
        cell.number_format = "dd-mm-yyyy"
        return
    cell.value = str(value)[:_EXCEL_TEXT]
    cell.data_type = "s"  # openpyxl takes "=…" for a formula; a plan's text is never run


def _anchor(sheet, row: int, column: int) -> tuple[int, int]:
    """Return the cell that holds the value of a cell: the first of its merged range, or itself."""
    for merged in sheet.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= column <= merged.max_col:
            return merged.min_row, merged.min_col
    return row, column


def _mark(cell, problems: Sequence[Problem]) -> None:
    """Fill the cell red and put the problems' messages in its comment (before any comment it had)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    cell.fill = PatternFill("solid", fgColor=FILL)
    text = "\n".join(dict.fromkeys(f"Fejl: {_what(problem)}" for problem in problems))
    if cell.comment is not None and cell.comment.text:
        text = f"{text}\n\n{cell.comment.text}"
    comment = Comment(text[:_EXCEL_TEXT], COMMENT_AUTHOR)
    comment.width, comment.height = 320, min(60 + 18 * text.count("\n") + len(text) // 2, 600)
    cell.comment = comment


def _what(problem: Problem) -> str:
    """Return the message of a problem with its value, as the command line writes it after the place."""
    if problem.value is None:
        return problem.message
    value = " ".join(problem.value.split())
    return f'"{cut(value, 80)}" {problem.message}'


def _problem_sheet(book, file: str, located: list[tuple[Problem, list[Place]]]) -> None:
    """Add the first sheet: every problem on a line, with a link to its cell where it has one."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import quote_sheetname
    from openpyxl.worksheet.hyperlink import Hyperlink

    sheet = book.create_sheet(PROBLEM_SHEET, 0)
    _put(sheet.cell(1, 1), f"Fejl i {file}. Cellerne med fejl er røde og har en kommentar. Ret fejlene i "
                           "selve planen (ikke i denne kopi), og kør kontrollen igen.")
    sheet.cell(1, 1).font = Font(bold=True)
    headers = ("Ark", "Række", "Kolonne", "Værdi", "Fejl", "Celle")
    for column, header in enumerate(headers, start=1):
        _put(sheet.cell(3, column), header)
        sheet.cell(3, column).font = Font(bold=True)
    for row, (problem, places) in enumerate(located, start=4):
        values = (problem.sheet or (CSV_SHEET if places else ""), problem.row, problem.column,
                  problem.value, problem.message)
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row, column)
            if isinstance(value, str) and value:
                _put(cell, value)
            elif isinstance(value, int):
                cell.value = value
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if places:
            title, cell_row, cell_column = places[0]
            link = sheet.cell(row, len(headers))
            coordinate = f"{_letter(cell_column)}{cell_row}"
            _put(link, f"{title}!{coordinate}")
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"{quote_sheetname(title)}!{coordinate}")
            link.style = "Hyperlink"
    for letter, width in zip("ABCDEF", (14, 8, 18, 30, 70, 14)):
        sheet.column_dimensions[letter].width = width
    for other in book.worksheets:  # open on the problem list, with no other sheet selected along
        other.sheet_view.tabSelected = other is sheet
    book.active = 0


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)
