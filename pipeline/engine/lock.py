"""The output folder's build lock: one build at a time writes there."""

from __future__ import annotations

from pathlib import Path

from pipeline.core.errors import LockedError, OutputError, os_reason
from pipeline.engine.manifest import prepare_folder, state_path
from pipeline.engine.options import Listener


class OutputLock:
    """Holds an output folder's build lock; turns a timeout into LockedError (exit 3).

    Whatever stands where the bookkeeping folder or the lock file should be, and is not one (a
    link that could lead the lock to truncate a file elsewhere, a folder), is set aside first."""

    def __init__(self, output: Path, wait: float, listener: Listener | None = None):
        self.output, self.wait = output, wait
        self.listener = listener or Listener()

    def __enter__(self) -> None:
        from filelock import FileLock, Timeout

        try:
            warnings = prepare_folder(self.output)
            path, more = state_path(self.output, "build.lock")
            for warning in warnings + more:
                self.listener.warn(warning)
            self.lock = FileLock(path, timeout=self.wait)
            self.lock.acquire()
        except Timeout:
            seconds = f"{self.wait:g} sekund" + ("" if self.wait == 1 else "er")
            raise LockedError(f"En anden kørsel bygger allerede i {self.output}/ "
                              f"(ventede {seconds}). Prøv igen om lidt.") from None
        except OSError as error:
            raise OutputError(f"Kan ikke skrive i outputmappen {self.output}/: {os_reason(error)}.") from None

    def __exit__(self, *exc_info) -> None:
        self.lock.release()
