"""Shows a build's progress: a bar in a terminal, timestamped lines otherwise (nightly logs)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from pipeline.core.errors import InputError, Interrupted, PipelineError, os_reason
from pipeline.core.files import atomic_write
from pipeline.engine.options import Listener
from pipeline.engine.report import Outcome, Report

LOG_LIMIT = 1_000_000  # bytes a log file may grow to before its oldest lines are dropped
LOG_KEEP = 500_000  # bytes of the newest lines kept when it is trimmed


class Progress(Listener):
    """Prints progress to stderr and, when asked, appends the same lines to a log file."""

    def __init__(self, quiet: bool = False, verbose: bool = False, log_file: Path | None = None,
                 stream: TextIO | None = None):
        self.stream: TextIO | None = stream or sys.stderr
        self.quiet, self.verbose = quiet, verbose
        self.bar = self.stream.isatty() and not quiet
        self.total = self.finished = 0
        self.log_file, self.log = log_file, None
        if log_file:
            try:
                log_file.parent.mkdir(parents=True, exist_ok=True)
                self.log = log_file.open("a", encoding="utf-8")
            except OSError as error:
                self._print(f"Advarsel: logfilen {log_file} kan ikke skrives: {os_reason(error)}")

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
        self._close()

    def stopped(self, error: BaseException) -> None:
        """Put the error that stopped the run into the log (the command line prints it itself)."""
        if self.log:
            for line in error_lines(error):
                self._log(line)
            code = error.exit_code if isinstance(error, (PipelineError, Interrupted)) else 1
            if isinstance(error, PipelineError):
                self._log(f"Resultat: stoppet med afslutningskode {code}; ingen dokumenter er ændret.")
            else:
                self._log(f"Resultat: {'afbrudt' if isinstance(error, Interrupted) else 'stoppet'} "
                          f"med afslutningskode {code}.")
        self._close()

    def _close(self) -> None:
        if self.log:
            self.log.close()
            self.log = None
            trim_log(self.log_file)

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


def error_lines(error: BaseException) -> list[str]:
    """Return the Danish lines that tell the error which stopped a run, as the command line does."""
    if isinstance(error, InputError):
        return [f"Fejl: {problem}" for problem in error.problems]
    if isinstance(error, PipelineError):
        return [f"Fejl: {line}" for line in str(error).splitlines() if line]
    if isinstance(error, Interrupted):
        return [f"Afbrudt (signal {error.signal_number})."]
    return [f"Uventet fejl i pipelinen ({type(error).__name__}: {error})."]


def trim_log(path: Path | None, limit: int = LOG_LIMIT, keep: int = LOG_KEEP) -> None:
    """Drop a log file's oldest lines once it is over `limit` bytes, keeping about `keep` bytes
    of whole lines; the file is replaced atomically, so a reader never sees half a log."""
    try:
        if path is None or path.stat().st_size <= limit:
            return
        data = path.read_bytes()
        tail = data[-keep:]
        atomic_write(path, tail[tail.find(b"\n") + 1:] if b"\n" in tail else tail)
    except OSError:
        pass  # a log that cannot be trimmed now is trimmed by a later run
