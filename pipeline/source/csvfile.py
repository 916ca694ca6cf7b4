"""Reading a plan saved as CSV (semicolon, comma or tab between columns) with pandas' parser."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

from pipeline.core.errors import InputError, Problem
from pipeline.source.workbook import HEADER_SEARCH_ROWS, Cell, cell_value


def _cp1252_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """Read bytes that are not UTF-8 as Windows-1252 (a UTF-8 file with some Danish Excel text pasted in)."""
    return error.object[error.start:error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error("pipeline-cp1252", _cp1252_fallback)


def read_csv(path: Path, data: bytes) -> list[list[Cell]]:
    """Return a CSV plan's rows of cells, every cell text as written (no "NA" turned into nothing)."""
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
    return [[cell_value(value) for value in row] for row in frame.itertuples(index=False, name=None)]


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


