"""Caps that keep a mistaken or hostile input from exhausting the machine.

Each cap can be raised with an environment variable; the error message names it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """One cap: its value and the environment variable that overrides it."""

    variable: str
    default: int
    unit: str = ""

    @property
    def value(self) -> int:
        try:
            return int(os.environ.get(self.variable, self.default))
        except ValueError:
            return self.default

    def advice(self) -> str:
        """Return the Danish sentence that names the cap and how to raise it."""
        unit = f" {self.unit}" if self.unit else ""
        return f"grænsen er {self.value:,}{unit}".replace(",", ".") + \
            f" (sæt miljøvariablen {self.variable} for at hæve den)"


FILE_MB = Limit("PIPELINE_MAX_FILE_MB", 50, "MB")
UNPACKED_MB = Limit("PIPELINE_MAX_UNPACKED_MB", 500, "MB")  # an .xlsx unzipped: guards zip bombs
ROWS = Limit("PIPELINE_MAX_ROWS", 100_000, "rækker")
CELL_CHARACTERS = Limit("PIPELINE_MAX_CELL", 10_000, "tegn")
OUTPUT_MB = Limit("PIPELINE_MAX_OUTPUT_MB", 2_000, "MB")
