"""Reading a plan file (.xlsx or .csv) into plain tables of cells.

python-calamine reads workbooks (`pipeline.source.excel`) and pandas' parser reads CSV files
(`pipeline.source.csvfile`): what leaves them is `Table`s of `str` and `date` cells with the row
numbers Excel shows (`pipeline.source.workbook`), so later stages need no spreadsheet library.

What the reader decides about a workbook's view is written in `pipeline.source.excel`.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core import limits
from pipeline.core.errors import InputError, Problem, os_reason

if TYPE_CHECKING:  # a build with nothing to do reads no workbook (nor imports the parsers)
    from pipeline.source.workbook import Workbook

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
        from pipeline.source.excel import read_excel

        return read_excel(path, data)
    if suffix in CSV_SUFFIXES:
        from pipeline.source.csvfile import read_csv
        from pipeline.source.workbook import Workbook

        return Workbook(path, {None: read_csv(path, data)})
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


