"""Shows a build's progress: a bar in a terminal, timestamped lines otherwise (nightly logs)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from pipeline.build import Listener
from pipeline.errors import os_reason
from pipeline.report import Outcome, Report


class Progress(Listener):
    """Prints progress to stderr and, when asked, appends the same lines to a log file."""

    def __init__(self, quiet: bool = False, verbose: bool = False, log_file: Path | None = None,
                 stream: TextIO | None = None):
        self.stream: TextIO | None = stream or sys.stderr
        self.quiet, self.verbose = quiet, verbose
        self.log = log_file.open("a", encoding="utf-8") if log_file else None
        self.bar = self.stream.isatty() and not quiet
        self.total = self.finished = 0

    def start(self, total: int) -> None:
        self.total = total
        if not self.bar and not self.quiet and total:
            self._line(f"Bygger {total} dokument(er).")

    def done(self, path: str, outcome: Outcome, note: str = "") -> None:
        text = f"{outcome.value}: {path}" + (f" ({note})" if note else "")
        problem = outcome in (Outcome.FAILED, Outcome.PRESERVED)
        if outcome in (Outcome.WRITTEN, Outcome.FAILED):
            self.finished += 1
        if self.log:
            self._log(text)
        if self.bar:
            self._draw(text if problem else None)
        elif problem or (not self.quiet and (outcome is not Outcome.UNCHANGED or self.verbose)):
            self._print(text)

    def warn(self, message: str) -> None:
        if self.bar:
            self._write("\r\033[K")
        self._line(f"Advarsel: {message}")

    def summary(self, report: Report) -> None:
        if self.bar:
            self._write("\r\033[K")
        for path, note in report.files[Outcome.FAILED].items():
            self._print(f"FEJL: {path}: {note}")
        self._print(report.summary())
        if self.log:
            self._log(report.summary())
        if self.log:
            self.log.close()

    def _draw(self, message: str | None) -> None:
        if message:
            self._write(f"\r\033[K{message}\n")
        width = 30
        filled = width * self.finished // max(self.total, 1)
        self._write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.finished}/{self.total}")

    def _line(self, text: str) -> None:
        self._print(text)
        if self.log:
            self._log(text)

    def _print(self, text: str) -> None:
        stamp = "" if self.bar else time.strftime("%Y-%m-%d %H:%M:%S ")
        self._write(f"{stamp}{text}\n")

    def _write(self, text: str) -> None:
        """Write to the stream; once it is gone (a closed pipe, a closed terminal), the build goes
        on without it, and the log file still gets every line."""
        if self.stream is None:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (BrokenPipeError, OSError, ValueError):
            self.stream = None

    def _log(self, text: str) -> None:
        try:
            self.log.write(time.strftime("%Y-%m-%d %H:%M:%S ") + text + "\n")
            self.log.flush()
        except OSError as error:  # a full disk must not stop the build; say so once, where it shows
            self.log = None
            self._print(f"Advarsel: logfilen kan ikke skrives længere: {os_reason(error)}")
