"""Caps that keep a mistaken or hostile input from exhausting the machine.

Each cap can be raised with an environment variable; the error message names it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pipeline.core.errors import UsageError


@dataclass(frozen=True)
class Limit:
    """One cap: its value and the environment variable that overrides it."""

    variable: str
    default: int
    unit: str = ""

    @property
    def value(self) -> int:
        """Return the cap: the environment variable's whole number when set, else the default."""
        value = environment_number(self.variable, example=self.default)
        return self.default if value is None else value

    def advice(self) -> str:
        """Return the Danish sentence that names the cap and how to raise it."""
        unit = f" {self.unit}" if self.unit else ""
        return f"grænsen er {number(self.value)}{unit} (sæt miljøvariablen {self.variable} for at hæve den)"


def environment_number(variable: str, *, example: int) -> int | None:
    """Return the whole number above 0 the environment variable `variable` is set to, or None when
    it is not set; raise UsageError (naming it, with `example`) for anything else: a mistyped
    setting must not quietly become the default, nor refuse everything."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError(f"Miljøvariablen {variable} skal være et helt tal større end 0 (fx {example}), "
                         f'ikke "{text}".')
    return value


def number(value: float, decimals: int = 0) -> str:
    """Return a number as a Danish message writes it: `100.000`, `1,5`."""
    return f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def megabytes(size: int) -> str:
    """Return a size in bytes as megabytes for a message: `1,5 MB` below 10 MB, else `1.024 MB`."""
    value = size / 2**20
    return f"{number(value, 1 if value < 10 else 0)} MB"


FILE_MB = Limit("PIPELINE_MAX_FILE_MB", 50, "MB")
UNPACKED_MB = Limit("PIPELINE_MAX_UNPACKED_MB", 500, "MB")  # an .xlsx unzipped: guards zip bombs
ROWS = Limit("PIPELINE_MAX_ROWS", 100_000, "rækker")
CELL_CHARACTERS = Limit("PIPELINE_MAX_CELL", 10_000, "tegn")
OUTPUT_MB = Limit("PIPELINE_MAX_OUTPUT_MB", 2_000, "MB")
