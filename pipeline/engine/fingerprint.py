"""Fingerprints: what a document is made from, hashed, so a build rewrites exactly what changed.

A document's fingerprint covers its template context (each plan row by its own digest), the
template files its kind is made from, and the pipeline's version; the manifest keeps it and its
parts, so `list` can say which of them changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import __version__
from pipeline.core.digest import digest, every_file, file_entries
from pipeline.core.files import file_sha256, sha256
from pipeline.engine.options import BuildOptions

if TYPE_CHECKING:
    from pipeline.core.model import Document
    from pipeline.source.plans import PlanFile


@dataclass
class FingerprintCache:
    """What fingerprinting the documents of one build computes once: template files' hashes
    and each plan row's digest (a status report shows every row of the plan)."""

    files: dict[Path, str] = field(default_factory=dict)
    rows: dict[int, tuple[object, dict[str, str]]] = field(default_factory=dict)  # id(activity) → (it, digest)

    def file(self, path: Path) -> str:
        """Return the SHA-256 of a template file, hashed once per build ("missing" for none)."""
        if path not in self.files:
            self.files[path] = file_sha256(path) or "missing"
        return self.files[path]

    def row(self, activity: object) -> dict[str, str]:
        """Return the row `activity` as templates see it (`context.row`), by its digest."""
        from pipeline.documents.context import row

        found = self.rows.get(id(activity))
        if found is None:
            found = self.rows[id(activity)] = (activity, {"row": digest(row(activity))})
        return found[1]


def fingerprint(document: Document, templates: Path,
                cache: FingerprintCache) -> tuple[str, dict[str, str]]:
    """Return the hash of everything `document` is made from, and its parts (data, template, version).

    The data part is the document's template context, each plan row in it by its own digest."""
    from pipeline.documents.kinds import build_context, template_files

    data = digest({"path": str(document.path), "context": build_context(document, cache.row)})
    files = file_entries(templates, template_files(document.kind, templates), cache.file)
    return key({"data": data, "template": digest(files)})


def bytes_fingerprint(data: bytes) -> tuple[str, dict[str, str]]:
    """Return the fingerprint of a file made in the build's own process from the plans alone (a
    calendar): its bytes are all it depends on."""
    return key({"data": sha256(data), "template": ""})


def key(parts: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Return a file's fingerprint, and its parts with the pipeline's version added: the one
    function every fingerprint the manifest keeps goes through."""
    parts = {**parts, "version": __version__}
    return digest(parts), parts


def inputs_hash(options: BuildOptions, files: list[PlanFile]) -> str:
    """Return a hash of every input of a build (plan files' bytes, templates, version, options).

    Computed without parsing a spreadsheet, so a build with nothing changed stops early.
    """
    plans = sorted((str(file.path.resolve()), sha256(file.data)) for file in files)
    return digest({"version": __version__, "year": options.year, "plans": plans,
                   "templates": file_entries(options.templates, every_file(options.templates))})
