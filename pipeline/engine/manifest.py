"""What the pipeline wrote last time: per file, what it was made from and what its bytes were.

Lives in `<output>/.pipeline/manifest.json`. A file whose bytes still hash to the recorded
value is the pipeline's to replace or delete; any other file is someone's work and is kept.

Writes are journalled: before a file is replaced, a line naming its new hash is appended to
`journal.jsonl`, so a run killed between replacing a file and saving the manifest still
recognises the new file as its own. `save()` folds the journal into the manifest.

The output folder is shared, so its state files are read as untrusted input: every path in
them is fenced inside the output folder (`fence`) before anything is read, written or deleted
through it, and a damaged or foreign state file is set aside (renamed, never deleted) with a
Danish warning. The build then goes on as after a lost manifest: a file it cannot prove it
wrote is someone else's, and is kept.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path, PurePosixPath

from pipeline.core.errors import OutputError, os_reason
from pipeline.core.files import Fence, atomic_write, file_sha256, resolve
from pipeline.core.text import cut

FOLDER = ".pipeline"
FORMAT = 1
MANIFEST = "manifest.json"
JOURNAL = "journal.jsonl"
SET_ASIDE = ".beskadiget"  # a damaged state file `x` is renamed `x.beskadiget` (or `x.beskadiget-2`, …)


@dataclass(frozen=True)
class Entry:
    """One file the pipeline wrote."""

    fingerprint: str  # hash of everything the file is made from
    parts: dict[str, str]  # the fingerprint's parts (data, template, version), to say why it is stale
    sha256: str  # hash of the bytes written
    size: int
    mtime_ns: int
    new_version_of: str | None = None  # set for "… (ny version).docx" files beside an edited one
    plan: str | None = None  # the plan file the document belongs to (None: written before that was kept)
    accepted: bool = False  # a case officer's version, made valid with `pipeline accept`

    @classmethod
    def from_json(cls, data: object) -> Entry:
        """Return the entry a state file holds; raise ValueError for anything of another shape."""
        if not isinstance(data, dict) or not data.keys() <= _ENTRY_FIELDS:
            raise ValueError("not an entry")
        entry = cls(**data)
        texts = (entry.fingerprint, entry.sha256)
        if (not all(isinstance(text, str) for text in texts)
                or not isinstance(entry.parts, dict)
                or not all(isinstance(k, str) and isinstance(v, str) for k, v in entry.parts.items())
                or not all(type(number) is int and number >= 0 for number in (entry.size, entry.mtime_ns))
                or not all(isinstance(text, (str, type(None))) for text in (entry.new_version_of, entry.plan))
                or type(entry.accepted) is not bool):
            raise ValueError("not an entry")
        return entry

    def matches(self, path: Path) -> bool:
        """True when the file at `path` still holds the bytes the pipeline wrote (never through a link)."""
        try:
            info = path.lstat()
        except OSError:
            return False
        if not stat.S_ISREG(info.st_mode):
            return False  # a folder, a link, a device: not what the pipeline wrote
        if (info.st_size, info.st_mtime_ns) == (self.size, self.mtime_ns):
            return True  # unchanged since written, as make and git judge it
        return info.st_size == self.size and file_sha256(path) == self.sha256

    def holds(self, path: Path) -> bool:
        """True when the file at `path` holds the pipeline's bytes now, judged by its bytes alone.

        The check made immediately before a file is replaced or removed: an edit saved within
        the same clock tick, or one that restored the old mtime, still counts as an edit."""
        try:
            if not stat.S_ISREG(path.lstat().st_mode):
                return False
        except OSError:
            return False
        return file_sha256(path) == self.sha256


_ENTRY_FIELDS = frozenset(f.name for f in fields(Entry))


def fence(output: Path | Fence, path: object) -> Path | None:
    """Return the file a state file's `path` names inside `output`, or None when it names anything
    else: an absolute path, `..`, a name Windows cannot hold, the bookkeeping folder itself, or a
    place that a linked folder leads out of the output folder. (Give a `core.files.Fence` to
    fence many paths in one pass.)"""
    if not isinstance(path, str) or not path:
        return None
    relative = PurePosixPath(path)
    if str(relative) != path or relative.parts[0] == FOLDER:
        return None  # not written the way the pipeline writes paths, or its own bookkeeping
    try:
        return output(relative) if isinstance(output, Fence) else resolve(output, relative)
    except (OutputError, OSError):
        return None


@dataclass
class Manifest:
    """The manifest of one output folder."""

    output: Path
    entries: dict[str, Entry] = field(default_factory=dict)
    inputs: str = ""  # hash of all inputs of the last complete, clean build
    today: str = ""  # the day that build counted as today (ISO); meetings before it were closed
    warnings: list[str] = field(default_factory=list)  # Danish: damaged state found while loading
    source: bytes | None = field(default=None, repr=False)  # the manifest file's bytes, as read

    @property
    def folder(self) -> Path:
        return self.output / FOLDER

    @classmethod
    def load(cls, output: Path, *, repair: bool = False) -> Manifest:
        """Return the output folder's manifest with its journal replayed (empty when there is none).

        Damaged state is never trusted and never fatal: it is left out, with a warning in
        `warnings`. With `repair` (a build, holding the lock), damaged files are also set aside."""
        manifest = cls(output)
        manifest._read(repair)
        manifest._replay(repair)
        return manifest

    def reload(self, *, repair: bool = False) -> Manifest:
        """Return the manifest as it is now: this one when it was read whole and its file still
        holds the same bytes with no journal beside it (a no-op build checks twice, the second
        time under the lock), else a fresh `load`."""
        if self.source is not None and not self.warnings and not _exists(self.folder / JOURNAL):
            path = self.folder / MANIFEST
            try:
                if _is_plain_file(path) and path.read_bytes() == self.source:
                    return self
            except OSError:
                pass
        return Manifest.load(self.output, repair=repair)

    def _read(self, repair: bool) -> None:
        path = self.folder / MANIFEST
        if not _exists(path):
            return
        try:
            if not _is_plain_file(path):
                raise ValueError("not a file")
            source = path.read_bytes()
            data = json.loads(source.decode("utf-8"))
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError("another format")
            entries, inputs, today = data.get("entries"), data.get("inputs", ""), data.get("today", "")
            if not isinstance(entries, dict) or not isinstance(inputs, str) or not isinstance(today, str):
                raise ValueError("not a manifest")
            loaded = {name: Entry.from_json(entry) for name, entry in entries.items()}
        except (OSError, ValueError, TypeError) as error:
            self._damaged(path, repair, error)
            return
        fenced = Fence(self.output)
        for name, entry in loaded.items():
            if fence(fenced, name) is None:
                self._refuse(MANIFEST, name)
            else:
                self.entries[name] = entry
        self.inputs = inputs if len(loaded) == len(self.entries) else ""
        self.today = today
        self.source = source

    def _replay(self, repair: bool) -> None:
        path = self.folder / JOURNAL
        if not _exists(path):
            return
        self.inputs = ""  # a journal means the last build did not finish
        try:
            if not _is_plain_file(path):
                raise ValueError("not a file")
            raw = path.read_bytes()
        except (OSError, ValueError) as error:
            self._damaged(path, repair, error)
            return
        lines = raw.split(b"\n")
        damaged = False
        fenced = Fence(self.output)
        for number, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                record = json.loads(line.decode("utf-8"))
                name, entry = record["path"], Entry.from_json(record["entry"])
            except (ValueError, TypeError, KeyError):
                # The last line may have been cut short by a killed run; anything else is damage.
                damaged = damaged or number < len(lines) - 1
                continue
            target = fence(fenced, name)
            if target is None:
                self._refuse(JOURNAL, name)
            elif entry.holds(target):
                self.entries[name] = _restat(entry, target)
        if damaged:
            self._damaged(path, repair)

    def _refuse(self, state: str, name: object) -> None:
        shown = cut(str(name), 80)
        self.warnings.append(f'{state} i {self.output}/{FOLDER}/ nævner stien "{shown}", som ikke er et '
                             "dokument i outputmappen; den ignoreres")

    def _damaged(self, path: Path, repair: bool, error: Exception | None = None) -> None:
        """Note that the state file at `path` is damaged; with `repair`, rename it out of the way."""
        where = f"{self.output}/{FOLDER}/{path.name}"
        cause = f" ({os_reason(error)})" if isinstance(error, OSError) else ""
        consequence = ("filer, som pipelinen ikke kan se, at den selv har skrevet, bevares, og nye "
                       "versioner skrives ved siden af")
        if not repair:
            self.warnings.append(f"{where} er beskadiget{cause}; {consequence}")
            return
        aside = set_aside(path)
        moved = f"lagt til side som {aside.name}" if aside else "kunne ikke lægges til side"
        self.warnings.append(f"{where} var beskadiget{cause} og er {moved}; {consequence}")

    def record_intent(self, path: str, entry: Entry) -> None:
        """Journal that `path` is about to be replaced by bytes hashing to `entry.sha256`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / JOURNAL).open("a", encoding="utf-8") as journal:
            journal.write(json.dumps({"path": path, "entry": asdict(entry)}, sort_keys=True) + "\n")
            journal.flush()
            os.fsync(journal.fileno())

    def record(self, path: str, entry: Entry) -> None:
        """Note that `path` now holds the pipeline's bytes described by `entry`."""
        self.entries[path] = _restat(entry, self.output / path)

    def save(self) -> None:
        """Write the manifest atomically and drop the journal it now includes."""
        data = {"format": FORMAT, "inputs": self.inputs, "today": self.today,
                "entries": {path: asdict(e) for path, e in sorted(self.entries.items())}}
        atomic_write(self.folder / MANIFEST,
                     json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        (self.folder / JOURNAL).unlink(missing_ok=True)


def prepare_folder(output: Path) -> list[str]:
    """Make sure the output folder's bookkeeping folder is a real folder inside it; set aside
    whatever stands in its way (a file, or a link that could lead a build elsewhere). Return
    Danish warnings for what was set aside."""
    folder = output / FOLDER
    warnings = []
    if _exists(folder) and (folder.is_symlink() or not folder.is_dir()):
        aside = set_aside(folder)
        warnings.append(f"{folder} var ikke en almindelig mappe og er "
                        + (f"lagt til side som {aside.name}" if aside else "ikke flyttet"))
    folder.mkdir(parents=True, exist_ok=True)
    return warnings


def state_path(output: Path, name: str, *, folder: bool = False) -> tuple[Path, list[str]]:
    """Return the bookkeeping file or folder `name` (`build.lock`, `parts`), after setting aside
    whatever of another kind stands there (a link, a folder for a file, a file for a folder)."""
    path = output / FOLDER / name
    wrong = _exists(path) and (path.is_symlink() or (not path.is_dir() if folder else not path.is_file()))
    if not wrong:
        return path, []
    aside = set_aside(path)
    return path, [f"{path} var ikke, hvad pipelinen selv lægger der, og er "
                  + (f"lagt til side som {aside.name}" if aside else "ikke flyttet")]


def set_aside(path: Path) -> Path | None:
    """Rename the damaged state file (or folder, or link) `path` to a free `….beskadiget` name beside
    it, and return that; None when it cannot be moved."""
    for number in range(1, 1000):
        aside = path.with_name(path.name + SET_ASIDE + ("" if number == 1 else f"-{number}"))
        if _exists(aside):
            continue
        try:
            os.rename(path, aside)  # a link is moved itself, never what it points to
        except OSError:
            return None
        return aside
    return None


def _exists(path: Path) -> bool:
    """True when anything is at `path`, a broken link included."""
    return os.path.lexists(path)


def _is_plain_file(path: Path) -> bool:
    return not path.is_symlink() and path.is_file()


def _restat(entry: Entry, path: Path) -> Entry:
    info = path.stat()
    return Entry(**{**asdict(entry), "size": info.st_size, "mtime_ns": info.st_mtime_ns})
