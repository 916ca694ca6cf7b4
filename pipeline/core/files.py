"""Putting files into the output folder safely.

Every path is fenced inside the output folder and portable to a Windows share; every file
appears atomically (temporary file in the same folder, synced, then `os.replace`), so a run
killed at any moment leaves each file either old or new.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from pipeline.core import limits
from pipeline.core.errors import OutputError

TEMP_SUFFIX = ".pipeline-tmp"
# Windows refuses these names with any extension, and these characters anywhere.
_RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?", re.IGNORECASE)
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
MAX_NAME = 180  # leaves room for the folder on a share within Windows' 260-character paths


def check_name(name: str) -> str | None:
    """Return why `name` cannot be a file name on a Windows share, or None when it can."""
    if not name or name in (".", ".."):
        return "er ikke et filnavn"
    if _FORBIDDEN.search(name):
        return "indeholder tegn, som Windows ikke tillader i filnavne"
    if _RESERVED.fullmatch(name):
        return "er et navn, som Windows reserverer"
    if name.endswith((" ", ".")):
        return "ender med mellemrum eller punktum, hvilket Windows ikke tillader"
    if len(name) > MAX_NAME:
        return f"er længere end {MAX_NAME} tegn"
    return None


def resolve(output: Path, relative: PurePosixPath) -> Path:
    """Return the real path of `relative` inside `output`; raise OutputError for anything that
    would leave it or that a Windows share cannot hold."""
    return Fence(output)(relative)


class Fence:
    """`resolve` for many paths in one go (reading the books of an output folder): the output
    folder, and each folder the paths lie in, are followed once. Use one only for as long as one
    pass over a list of paths takes; before a file is written or removed, `resolve` it afresh."""

    def __init__(self, output: Path):
        self.output = output
        self.root = output.resolve()
        self.folders: dict[PurePosixPath, tuple[Path, bool]] = {}  # folder → (real path, inside)

    def __call__(self, relative: PurePosixPath) -> Path:
        if relative.is_absolute():
            raise OutputError(f'"{relative}" kan ikke skrives: stien er absolut, men dokumenter skrives kun '
                              f"inde i outputmappen {self.output}")
        for part in relative.parts:
            if (reason := check_name(part)) is not None:
                raise OutputError(f'"{relative}" kan ikke skrives: "{part}" {reason}')
        # The folders are followed (a folder linked out of the output folder is refused); the file
        # itself is not: a link standing where a document goes is replaced, never written through.
        # A file lies strictly inside the output folder exactly when its folder is the output
        # folder or lies inside it (the name is a plain name: never "..", never empty).
        known = self.folders.get(relative.parent)
        if known is None:
            folder = (self.root / Path(*relative.parts)).parent.resolve()
            known = self.folders[relative.parent] = (folder, folder.is_relative_to(self.root))
        folder, inside = known
        if not inside:
            raise OutputError(f'"{relative}" ligger uden for outputmappen {self.output} og skrives ikke')
        return folder / relative.name


class OutputBudget:
    """Keeps the output folder within its cap (`PIPELINE_MAX_OUTPUT_MB`) as files are written to it."""

    def __init__(self, used: int = 0):
        self.used = used  # bytes in the output folder now

    @classmethod
    def of(cls, output: Path) -> OutputBudget:
        """Return the budget of `output`, counting every file already in it."""
        files = (path for path in output.rglob("*") if path.is_file()) if output.is_dir() else ()
        return cls(sum(path.stat().st_size for path in files))

    def reserve(self, target: Path, size: int) -> None:
        """Count `size` bytes that are to replace `target`; raise OutputError if they would pass the cap."""
        previous = target.stat().st_size if target.is_file() else 0
        total = self.used - previous + size
        if total > limits.OUTPUT_MB.value * 2**20:
            raise OutputError(f"{target.name} skrives ikke: outputmappen ville fylde {limits.megabytes(total)}; "
                              f"{limits.OUTPUT_MB.advice()}")
        self.used = total

    def release(self, size: int) -> None:
        """Count `size` bytes removed from the output folder."""
        self.used -= size


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str | None:
    """Return the hex SHA-256 of the file at `path`, or None when there is no regular file there
    (nothing, a folder, a pipe: a pipe would block the build if it were opened)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        with path.open("rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except (FileNotFoundError, NotADirectoryError):
        return None


def atomic_write(target: Path, data: bytes, check: Callable[[], None] | None = None) -> None:
    """Write `data` to `target` so that it is either wholly there or not changed at all.

    `check` runs after the new bytes are safely on disk and immediately before they replace
    `target`; if it raises, `target` is left as it is. (It re-checks that nobody edited the
    file meanwhile: the window left is the time of one rename.)"""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        with temporary.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if check is not None:
            check()
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make a rename durable: fsync the folder that holds it (a no-op where that is unsupported)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def remove_leftovers(output: Path) -> None:
    """Delete temporary files a killed run left behind (only ours: they carry TEMP_SUFFIX)."""
    if output.is_dir():
        for leftover in output.rglob(f".*{TEMP_SUFFIX}"):
            leftover.unlink(missing_ok=True)
