"""The pipeline's exceptions. The CLI turns each into a Danish message and an exit code.

Every error a user can cause is a `PipelineError`; anything else reaching the CLI is a bug.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from pipeline.core.text import shorten


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
            return f'{prefix}: "{shorten(self.value)}" {self.message}'
        return f"{prefix}: {self.message}"


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


class Interrupted(BaseException):
    """The build was stopped by a signal (Ctrl-C, SIGTERM, SIGHUP). Like KeyboardInterrupt, it is
    not an Exception, so nothing on the way up mistakes it for one document's failure."""

    def __init__(self, signal_number: int):
        self.signal_number = signal_number
        super().__init__(signal_number)

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as shells report a process a signal ended (130 for Ctrl-C)."""
        return 128 + self.signal_number


# The operating system's reasons in Danish, so no English text ends up inside a Danish message.
_OS_REASONS = {
    errno.ENOSPC: "der er ikke mere plads på disken",
    errno.EDQUOT: "din diskkvote er brugt op",
    errno.EROFS: "mappen er skrivebeskyttet (et skrivebeskyttet drev)",
    errno.EACCES: "adgang nægtet (manglende rettigheder)",
    errno.EPERM: "handlingen er ikke tilladt (manglende rettigheder)",
    errno.ENOENT: "filen eller mappen findes ikke",
    errno.EISDIR: "der ligger en mappe, hvor en fil skulle være",
    errno.ENOTDIR: "der ligger en fil, hvor en mappe skulle være",
    errno.ENOTEMPTY: "mappen er ikke tom",
    errno.EEXIST: "der findes allerede en fil med det navn",
    errno.ENAMETOOLONG: "filnavnet er for langt",
    errno.EIO: "fejl ved læsning eller skrivning på disken",
    errno.EFBIG: "filen er for stor",
    errno.EMFILE: "for mange åbne filer",
    errno.EBUSY: "filen er i brug",
    errno.ETXTBSY: "filen er i brug",
    errno.ELOOP: "for mange genveje (symbolske links) i stien",
    errno.EPIPE: "modtageren lukkede forbindelsen",
}


def os_reason(error: OSError) -> str:
    """Return why an operating-system call failed, in Danish (never the system's English text)."""
    reason = _OS_REASONS.get(error.errno or -1)
    return reason if reason else f"systemfejl {error.errno}" if error.errno else "ukendt systemfejl"
