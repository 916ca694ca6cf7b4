"""What the pipeline wrote last time: per file, what it was made from and what its bytes were.

Lives in `<output>/.pipeline/manifest.json`. A file whose bytes still hash to the recorded
value is the pipeline's to replace or delete; any other file is someone's work and is kept.

Writes are journalled: before a file is replaced, a line naming its new hash is appended to
`journal.jsonl`, so a run killed between replacing a file and saving the manifest still
recognises the new file as its own. `save()` folds the journal into the manifest.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline.write import atomic_write, file_sha256

FOLDER = ".pipeline"
FORMAT = 1


@dataclass(frozen=True)
class Entry:
    """One file the pipeline wrote."""

    fingerprint: str  # hash of everything the file is made from
    parts: dict[str, str]  # the fingerprint's parts (data, template, version), to say why it is stale
    sha256: str  # hash of the bytes written
    size: int
    mtime_ns: int
    new_version_of: str | None = None  # set for "… (ny version).docx" files beside an edited one

    def matches(self, path: Path) -> bool:
        """True when the file at `path` still holds the bytes the pipeline wrote."""
        try:
            stat = path.stat()
        except FileNotFoundError:
            return False
        if (stat.st_size, stat.st_mtime_ns) == (self.size, self.mtime_ns):
            return True  # unchanged since written, as make and git judge it
        return stat.st_size == self.size and file_sha256(path) == self.sha256


@dataclass
class Manifest:
    """The manifest of one output folder."""

    output: Path
    entries: dict[str, Entry] = field(default_factory=dict)
    inputs: str = ""  # hash of all inputs of the last complete, clean build

    @property
    def folder(self) -> Path:
        return self.output / FOLDER

    @classmethod
    def load(cls, output: Path) -> Manifest:
        """Return the output folder's manifest with its journal replayed (empty when there is none)."""
        manifest = cls(output)
        try:
            data = json.loads((manifest.folder / "manifest.json").read_text("utf-8"))
            if data.get("format") == FORMAT:
                manifest.entries = {path: Entry(**entry) for path, entry in data["entries"].items()}
                manifest.inputs = data.get("inputs", "")
        except (OSError, ValueError, TypeError, KeyError):
            pass  # no or unreadable manifest: every existing file counts as someone else's
        manifest._replay()
        return manifest

    def _replay(self) -> None:
        try:
            lines = (self.folder / "journal.jsonl").read_text("utf-8").splitlines()
        except OSError:
            return
        for line in lines:
            try:
                record = json.loads(line)
                path, entry = record["path"], Entry(**record["entry"])
            except (ValueError, TypeError, KeyError):
                continue  # a line cut short by a killed run
            if entry.sha256 == file_sha256(self.output / path):
                self.entries[path] = _restat(entry, self.output / path)
        self.inputs = ""  # a journal means the last build did not finish

    def record_intent(self, path: str, entry: Entry) -> None:
        """Journal that `path` is about to be replaced by bytes hashing to `entry.sha256`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "journal.jsonl").open("a", encoding="utf-8") as journal:
            journal.write(json.dumps({"path": path, "entry": asdict(entry)}, sort_keys=True) + "\n")
            journal.flush()
            os.fsync(journal.fileno())

    def record(self, path: str, entry: Entry) -> None:
        """Note that `path` now holds the pipeline's bytes described by `entry`."""
        self.entries[path] = _restat(entry, self.output / path)

    def save(self) -> None:
        """Write the manifest atomically and drop the journal it now includes."""
        data = {"format": FORMAT, "inputs": self.inputs,
                "entries": {path: asdict(e) for path, e in sorted(self.entries.items())}}
        atomic_write(self.folder / "manifest.json",
                     json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        (self.folder / "journal.jsonl").unlink(missing_ok=True)


def _restat(entry: Entry, path: Path) -> Entry:
    stat = path.stat()
    return Entry(**{**asdict(entry), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
