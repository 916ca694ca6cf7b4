"""What a build does with each file: render it, keep it, leave a closed meeting's file alone, remove it.

`assess` decides for a planned document and `assess_orphan` for a file no document plans any
more, from the fingerprint, the manifest and the `Rules` (the day, `--force`, `--reopen`). The
build carries the decisions out; `pipeline list` shows them without acting.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from pipeline.core.errors import InputError, Problem, UsageError
from pipeline.core.model import Document
from pipeline.documents.kinds import meeting_date, name_parts
from pipeline.engine.manifest import Entry, Manifest, fence
from pipeline.engine.options import BuildOptions
from pipeline.source.plans import INPUT


class Action(enum.Enum):
    """What a build does with one planned document."""

    SKIP = "skip"  # up to date
    RENDER = "render"  # missing or stale, and the file is the pipeline's to replace
    RENDER_BESIDE = "render beside"  # stale, but edited by hand: the new version goes beside it
    KEEP_EDIT = "keep edit"  # edited by hand, and nothing newer to offer
    CLOSED = "closed"  # its meeting is held: never rewritten, replaced or removed
    REMOVE = "remove"  # no longer planned, written by the pipeline, unchanged: deleted
    KEEP_ORPHAN = "keep orphan"  # no longer planned, but edited by hand: kept


@dataclass(frozen=True)
class DocumentState:
    """A planned document, what a build will do with it, and why (`reason` and `note` are Danish)."""

    path: str
    action: Action
    reason: str
    note: str = ""


@dataclass(frozen=True)
class Rules:
    """What decides a document's fate besides its fingerprint: the day, and what was asked for."""

    today: date
    force: bool = False
    reopen: frozenset[str] = frozenset()  # document paths to rebuild although their meeting is held

    def closed(self, path: str) -> bool:
        """True for a document whose meeting was held before today, unless it is being reopened."""

        meeting = meeting_date(PurePosixPath(path))
        return meeting is not None and meeting < self.today and path not in self.reopen


_PARTS = (("data", "data"), ("template", "skabelon"), ("version", "pipeline-version"))


def assess(path: str, digest: str, parts: dict[str, str], manifest: Manifest, rules: Rules,
           data_note: str = "") -> DocumentState:
    """Return what a build does with the planned file `path`, given its fingerprint and the manifest;
    `data_note` says which plan rows changed (Danish), to name them when its data changed."""
    target = manifest.output / path
    entry = manifest.entries.get(path)
    current = entry is not None and entry.fingerprint == digest and not rules.force
    if rules.closed(path) and os.path.lexists(target):
        return DocumentState(path, Action.CLOSED, _closed_reason(entry, target, parts))
    if entry is not None and entry.matches(target):
        if current:
            return DocumentState(path, Action.SKIP, "opdateret")
        if not entry.accepted:
            return DocumentState(path, Action.RENDER, "ændret: " + ", ".join(_changed(entry, parts, data_note)))
    elif not os.path.lexists(target):
        return DocumentState(path, Action.RENDER, "ny" if entry is None else "filen mangler")
    # Someone else's file (edited by hand, accepted, planted, or from before the manifest was lost).
    sibling = next((p for p, e in manifest.entries.items()
                    if e.new_version_of == path and e.fingerprint == digest and not rules.force
                    and e.matches(manifest.output / p)), None)
    kept = "godkendt version – bevares" if entry is not None and entry.accepted else "manuelt ændret – bevares"
    if sibling:
        return DocumentState(path, Action.KEEP_EDIT, kept, f"ny version: {sibling}")
    if current:
        return DocumentState(path, Action.KEEP_EDIT, kept, "manuelt ændret; dataene er uændrede")
    if entry is None:
        # Rendered, and adopted if it holds exactly those bytes; else the new version goes beside it.
        return DocumentState(path, Action.RENDER_BESIDE, "findes, men er ikke skrevet af pipelinen – bevares")
    return DocumentState(path, Action.RENDER_BESIDE, f"{kept}; ny version skrives ved siden af")


def _changed(entry: Entry, parts: dict[str, str], data_note: str = "") -> list[str]:
    """Return what changed since `entry` was written, in Danish (`data` or the changed rows, `skabelon`, …)."""
    return [data_note if key == "data" and data_note else word
            for key, word in _PARTS if entry.parts.get(key) != parts[key]] or ["genopbygges"]


def _closed_reason(entry: Entry | None, target: Path, parts: dict[str, str]) -> str:
    """Return why a held meeting's document stays as it is, and what has changed since."""
    reason = "afsluttet – mødet er holdt"
    if entry is None or not entry.matches(target):
        return f"{reason}; filen er ikke pipelinens udgave (ændret i hånden)"
    changed = [word for key, word in _PARTS if entry.parts.get(key) != parts[key]]
    if changed:
        return f"{reason}; {' og '.join(changed)} er ændret siden (genåbn med --reopen)"
    return reason


def assess_orphan(path: str, entry: Entry, manifest: Manifest, rules: Rules,
                  planned: dict[str, Document]) -> DocumentState:
    """Return what a build does with a file of the manifest that no planned document has."""
    target = fence(manifest.output, path)
    if target is None or not os.path.lexists(target):
        return DocumentState(path, Action.REMOVE, "filen findes ikke længere")
    if rules.closed(path):
        return DocumentState(path, Action.CLOSED, "afsluttet – mødet er holdt; rækken er væk, filen bevares")
    if entry.holds(target):
        return DocumentState(path, Action.REMOVE, f"fjernes: {_removal_reason(path, entry, planned)}")
    if entry.new_version_of in planned:
        return DocumentState(path, Action.KEEP_ORPHAN, f"en tidligere ny version af {entry.new_version_of}, "
                             "ændret i hånden – bevares (gør den gældende med »pipeline accept«)")
    return DocumentState(path, Action.KEEP_ORPHAN, "rækken er væk, men filen er ændret i hånden – bevares")


def _removal_reason(path: str, entry: Entry, planned: dict[str, Document]) -> str:
    """Return why a file of ours is no longer planned: a moved meeting, another committee, a removed row."""
    if entry.new_version_of is not None:
        return f"ny version af {entry.new_version_of}, som der ikke længere er brug for"
    folder, day, committee, kind = _name_parts(path)
    if not kind:  # an overview, whose plan is gone, or a calendar, whose committee has no meetings left
        return "ingen møder i planerne længere" if path.endswith(".ics") else "planen bygges ikke længere"
    others = [(*_name_parts(other), other) for other in planned if other != path]
    moved = [other for f, d, c, k, other in others if (f, c, k) == (folder, committee, kind)]
    if moved:
        return f"mødet er flyttet ({', '.join(PurePosixPath(o).name for o in moved)})"
    same_day = [other for f, d, c, k, other in others if (f, d, k) == (folder, day, kind)]
    if same_day:
        return f"udvalget er ændret ({', '.join(PurePosixPath(o).name for o in same_day)})"
    return "rækken er fjernet fra planen"


def _name_parts(path: str) -> tuple[str, str, str, str]:
    """Return a document's folder, and the date, committee and kind its name holds ('' for an overview)."""

    relative = PurePosixPath(path)
    return (str(relative.parent), *name_parts(relative))


def orphans(manifest: Manifest, rules: Rules, planned: dict[str, Document], keep: set[str],
            in_scope: Callable[[Entry], bool]) -> list[tuple[str, DocumentState]]:
    """Return each file of the manifest that no planned document keeps and that belongs to a plan
    being built, with what happens to it."""
    return [(path, assess_orphan(path, entry, manifest, rules, planned))
            for path, entry in sorted(manifest.entries.items())
            if path not in keep and in_scope(entry)]


def rules_for(options: BuildOptions, documents: list[Document]) -> Rules:
    """Return the build's rules, with `--reopen` files checked against the planned documents."""
    rules = Rules(options.day, options.force)
    planned = {str(d.path) for d in documents}
    reopen = set()
    for file in options.reopen:
        path = document_path(file, options.output)
        if path not in planned:
            raise UsageError(f"--reopen {file}: filen er ikke et dokument, planen laver i {options.output}/.")
        if not rules.closed(path):
            raise UsageError(f"--reopen {file}: mødet er ikke holdt endnu, så dokumentet er ikke afsluttet; "
                             "det bygges som alle andre.")
        reopen.add(path)
    return Rules(options.day, options.force, frozenset(reopen))


def document_path(file: Path, output: Path) -> str:
    """Return the path inside `output` (as the manifest writes it) of a file named on the command line:
    `output/droeftelser/x.docx`, an absolute path, or `droeftelser/x.docx` relative to `output`."""
    try:
        return file.resolve().relative_to(output.resolve()).as_posix()
    except ValueError:
        return PurePosixPath(file.as_posix()).as_posix()


def check_owners(documents: list[Document], manifest: Manifest) -> None:
    """Raise InputError when a planned document's file belongs to another plan that is still in use."""
    problems = []
    for document in documents:
        entry = manifest.entries.get(str(document.path))
        owner = entry.plan if entry is not None else None
        if owner and owner not in document.plans and (INPUT / owner).is_file():
            problems.append(Problem(document.plans[0], f"giver filen {document.path}, som planen {owner} "
                                    "allerede har skrevet; to planer må ikke give den samme fil"))
    if problems:
        raise InputError(problems)
