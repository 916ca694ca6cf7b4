"""The pipeline's exceptions. The CLI turns each into a Danish message and an exit code.

Every error a user can cause is a `PipelineError`; anything else reaching the CLI is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as the input allows.

    `row` is the row number as Excel (or a text editor, for CSV) shows it.
    """

    file: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        place = [self.file]
        if self.sheet is not None:
            place.append(f'ark "{self.sheet}"')
        if self.row is not None:
            place.append(f"række {self.row}")
        if self.column is not None:
            place.append(f'kolonne "{self.column}"')
        prefix = ", ".join(place)
        if self.value is not None:
            return f'{prefix}: "{_shorten(self.value)}" {self.message}'
        return f"{prefix}: {self.message}"


def _shorten(value: str, limit: int = 80) -> str:
    """Return `value` on one line, cut to `limit` characters so a message stays readable."""
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class PipelineError(Exception):
    """Base class: a problem the user can fix. Carries its exit code."""

    exit_code = 2


class InputError(PipelineError):
    """The plan files have problems; `problems` lists every one found in a single pass."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UsageError(PipelineError):
    """The command line asks for something that cannot be done (a missing file, a bad option)."""


class TemplateError(PipelineError):
    """One or more templates cannot be used; the message lists every problem."""


class LockedError(PipelineError):
    """Another build holds the output folder's lock."""

    exit_code = 3


class OutputError(PipelineError):
    """The output folder cannot be written, or a path would leave it; nothing was written."""
