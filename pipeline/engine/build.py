"""The build, top to bottom: gather and check everything first, then write.

    find plans → read & validate → plan documents → check templates → (lock) → decide what is
    stale → render in worker processes → write atomically → remove orphans → save manifest

Nothing in the output folder is touched until every plan and template has been checked.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from pipeline import __version__
from pipeline.core.errors import (
    InputError,
    LockedError,
    OutputError,
    Problem,
    TemplateError,
    UsageError,
    os_reason,
)
from pipeline.core.files import (
    OutputBudget,
    atomic_write,
    check_name,
    file_sha256,
    remove_leftovers,
    resolve,
    sha256,
)
from pipeline.core.model import Document, DocumentKind, Plan
from pipeline.engine.manifest import FOLDER, MANIFEST, Entry, Manifest, fence, prepare_folder, state_path
from pipeline.engine.report import Outcome, Report
from pipeline.source.plans import INPUT, PlanFile, find_plans, load_plans, read_plan_files

if TYPE_CHECKING:
    from pipeline.engine.changes import RowChange
    from pipeline.engine.status import Run
    from pipeline.engine.workers import Workers

NEW_VERSION = " (ny version)"


@dataclass(frozen=True)
class BuildOptions:
    """What `pipeline build` was asked to do."""

    plans: tuple[Path, ...] = ()
    output: Path = Path("output")
    templates: Path = Path("templates")
    year: int | None = None
    force: bool = False
    jobs: int = 1
    wait: float = 5.0
    today: date | None = None  # None: today in Copenhagen; documents of earlier meetings are closed
    reopen: tuple[Path, ...] = ()  # closed documents to rebuild on purpose (`--reopen FILE`)

    @property
    def day(self) -> date:
        """The day the build counts as today: meetings before it are held."""
        return self.today or copenhagen_today()


def copenhagen_today() -> date:
    """Return today's date in Copenhagen (the municipality's day, whatever the server's zone)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/Copenhagen")).date()


class Listener:
    """Receives a build's progress; the CLI's `Progress` shows it. This one stays silent."""

    def start(self, total: int) -> None:
        """Called once the build knows what to render, before it renders or writes anything."""

    def done(self, path: str, outcome: Outcome, note: str = "") -> None:
        """Called as each file is written, kept, removed or fails."""

    def warn(self, message: str) -> None:
        """Called with a Danish warning (damaged bookkeeping set aside, a path refused)."""


# --- Gathering (reads only) ----------------------------------------------------------------------

def plan_build(options: BuildOptions, files: list[PlanFile]) -> tuple[list[Plan], list[Document]]:
    """Return the plans and the documents they call for, with their templates checked."""
    from pipeline.documents.planning import plan_documents

    plans = load_plans(files, options.year)
    documents = plan_documents(plans)
    _check_paths(documents, options.output)
    _check_templates(options.templates, {d.template for d in documents})
    return plans, documents


def _check_paths(documents: list[Document], output: Path) -> None:
    if output.exists() and not output.is_dir():
        raise OutputError(f"Kan ikke skrive i outputmappen {output}: det er en fil, ikke en mappe.")
    seen: dict[str, PurePosixPath] = {}
    for document in documents:
        for part in document.path.parts:  # where it lands on disk is checked as it is written
            if (reason := check_name(part)) is not None:
                raise OutputError(f'"{document.path}" kan ikke skrives: "{part}" {reason}')
        other = seen.setdefault(str(document.path).casefold(), document.path)
        if other != document.path:  # one file on a Windows share, which ignores case
            raise OutputError(f'"{document.path}" og "{other}" bliver samme fil på et Windows-drev; '
                              "giv udvalgene forskellige forkortelser")


def _check_templates(templates: Path, names: set[str]) -> None:
    from pipeline.render.lint.check import check_templates

    missing = sorted(name for name in names if not (templates / name).is_file())
    if missing:
        raise TemplateError(f"Skabelonen {', '.join(missing)} findes ikke i mappen {templates}.")
    if problems := check_templates(templates, sorted(names)):
        raise TemplateError("Skabelonerne har fejl:\n" + "\n".join(problems))


# --- Fingerprints ---------------------------------------------------------------------------------

@dataclass
class FingerprintCache:
    """What fingerprinting the documents of one build computes once: template files' hashes
    and each plan row's digest (a status report shows every row of the plan)."""

    files: dict[Path, str] = field(default_factory=dict)
    rows: dict[int, tuple[object, dict[str, str]]] = field(default_factory=dict)  # id(activity) → (it, digest)

    def file(self, path: Path) -> str:
        if path not in self.files:
            self.files[path] = file_sha256(path) or "missing"
        return self.files[path]

    def row(self, activity: object) -> dict[str, str]:
        """Return the row `activity` as templates see it (`context.row`), by its digest."""
        from pipeline.documents.context import row

        found = self.rows.get(id(activity))
        if found is None:
            found = self.rows[id(activity)] = (activity, {"row": _digest(row(activity))})
        return found[1]


def fingerprint(document: Document, templates: Path,
                cache: FingerprintCache) -> tuple[str, dict[str, str]]:
    """Return the hash of everything `document` is made from, and its parts (data, template, version).

    The data part is the document's template context, each plan row in it by its own digest."""
    from pipeline.documents.context import build_context
    from pipeline.render.dispatch import template_files

    data = _digest({"path": str(document.path), "context": build_context(document, cache.row)})
    files = [(path.relative_to(templates).as_posix(), cache.file(path))
             for path in template_files(document.kind, templates)]
    parts = {"data": data, "template": sha256(json.dumps(files).encode()), "version": __version__}
    return sha256(json.dumps(parts, sort_keys=True).encode()), parts


def _digest(value: object) -> str:
    return sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=_json_value).encode("utf-8"))


def _json_value(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def inputs_hash(options: BuildOptions, files: list[PlanFile]) -> str:
    """Return a hash of every input of a build (plan files' bytes, templates, version, options).

    Computed without parsing a spreadsheet, so a build with nothing changed stops early.
    """
    digest = hashlib.sha256(f"{__version__}\n{options.year}\n".encode())
    for file in sorted(files, key=lambda f: f.path):
        digest.update(f"plan {file.path.resolve()} {sha256(file.data)}\n".encode())
    if options.templates.is_dir():
        for path in sorted(p for p in options.templates.rglob("*") if p.is_file()):
            digest.update(f"template {path.relative_to(options.templates)} {file_sha256(path)}\n".encode())
    return digest.hexdigest()


# --- What to do with each document ---------------------------------------------------------------

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
        from pipeline.documents.planning import meeting_date

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
    others = [_name_parts(other) + (other,) for other in planned if other != path]
    moved = [other for f, d, c, k, other in others if (f, c, k) == (folder, committee, kind)]
    if moved:
        return f"mødet er flyttet ({', '.join(PurePosixPath(o).name for o in moved)})"
    same_day = [other for f, d, c, k, other in others if (f, d, k) == (folder, day, kind)]
    if same_day:
        return f"udvalget er ændret ({', '.join(PurePosixPath(o).name for o in same_day)})"
    return "rækken er fjernet fra planen"


def _name_parts(path: str) -> tuple[str, str, str, str]:
    """Return a document's folder, and the date, committee and kind its name holds ('' for an overview)."""
    from pipeline.documents.planning import name_parts

    relative = PurePosixPath(path)
    return (str(relative.parent), *name_parts(relative))


# --- The build ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Job:
    """A file to write, what it is made from, and what the file there held when that was decided."""

    path: PurePosixPath
    plan: str | None  # the plan it belongs to (None: to all of them, like a calendar)
    fingerprint: str
    parts: dict[str, str]
    beside: bool = False  # the file was edited by hand: write the new version next to it
    seen: Entry | None = None  # the file held these bytes of ours (None: there was no file)
    document: Document | None = None  # the document to render (None: made in this process)
    reason: str = ""  # the changed plan rows that call for it (Danish), shown when it is written


class _EditedMeanwhile(Exception):
    """A file changed between deciding to replace it and replacing it: someone saved an edit."""


def build(options: BuildOptions, listener: Listener | None = None) -> Report:
    """Build every document of the plans into the output folder and return what happened.

    Every run, also one that stops on an error, leaves its story in the status page."""
    from pipeline.engine.status import Run, now, write_status

    listener = listener or Listener()
    run = Run(now())
    try:
        run.report = _build(options, listener, run)
    except BaseException as error:
        run.error = error
        raise
    finally:
        if (warning := write_status(options.output, run)) is not None:
            listener.warn(warning)
    return run.report


def _build(options: BuildOptions, listener: Listener, run: Run) -> Report:
    files = read_plan_files(find_plans(options.plans))
    inputs = inputs_hash(options, files)
    if not options.force and _all_intact(Manifest.load(options.output), inputs, options):
        with OutputLock(options.output, options.wait, listener):
            manifest = Manifest.load(options.output, repair=True)
            if _all_intact(manifest, inputs, options):
                return _unchanged_report(manifest, listener)
    from pipeline.engine.workers import Workers

    with Workers(options.jobs, early=_small_plans(files)) as workers:
        plans, documents = plan_build(options, files)
        rules = _rules(options, documents)
        with OutputLock(options.output, options.wait, listener):
            remove_leftovers(options.output)
            manifest = Manifest.load(options.output, repair=True)
            check_owners(documents, manifest)
            return _Build(options, rules, manifest, listener, workers).run(documents, inputs, plans, run.started)


def _rules(options: BuildOptions, documents: list[Document]) -> Rules:
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


def calendars(documents: list[Document]) -> dict[str, bytes]:
    """Return the meeting calendars of the planned documents (`kalender/BSU.ics`, …) by path."""
    from pipeline.render.ics import calendar_files

    return calendar_files(documents)


def _fingerprint_of(data: bytes) -> tuple[str, dict[str, str]]:
    """Return the fingerprint of a file made in this process from the plan alone: its bytes."""
    parts = {"data": sha256(data), "template": "", "version": __version__}
    return sha256(json.dumps(parts, sort_keys=True).encode()), parts


def _small_plans(files: list[PlanFile]) -> bool:
    """True when the plan files are small enough for the workers to start before they are read."""
    from pipeline.engine.workers import EARLY_START_BYTES

    return sum(len(file.data) for file in files) <= EARLY_START_BYTES


def _all_intact(manifest: Manifest, inputs: str, options: BuildOptions) -> bool:
    """True when nothing can have changed since the last clean build: the same inputs, a day no
    earlier (a meeting held since only closes documents), and every file as it was written."""
    return (manifest.inputs == inputs and not options.reopen and options.day.isoformat() >= manifest.today
            and not manifest.warnings
            and all(entry.matches(manifest.output / path) for path, entry in manifest.entries.items()))


def _unchanged_report(manifest: Manifest, listener: Listener) -> Report:
    report = Report()
    listener.start(0)
    for path in manifest.entries:
        report.add(Outcome.UNCHANGED, path)
    return report


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


@dataclass
class _Build:
    options: BuildOptions
    rules: Rules
    manifest: Manifest
    listener: Listener
    workers: Workers
    report: Report = field(default_factory=Report)
    keep: set[str] = field(default_factory=set)  # manifest paths still in use after this build
    budget: OutputBudget = field(default_factory=OutputBudget)
    changes: list[RowChange] = field(default_factory=list)  # plan rows changed since the last build

    def run(self, documents: list[Document], inputs: str, plans: list[Plan], started: datetime) -> Report:
        from pipeline.engine.changes import (
            diff_plans,
            load_snapshot,
            plan_rows,
            record_changes,
            save_snapshot,
        )
        from pipeline.render.part_cache import PartCache

        for warning in self.manifest.warnings:
            self._warn(warning)
        previous, warnings = load_snapshot(self.options.output, repair=True)
        for warning in warnings:
            self._warn(warning)
        rows = plan_rows(plans)
        self.changes = diff_plans(previous, rows)
        self.budget = OutputBudget.of(self.options.output)
        jobs = list(self._decide(documents))
        made = []  # files made here from the plan alone: the calendars, which gather every plan's
        if not self.options.plans:  # meetings, so only a build of all of input/ makes them
            made = [(job, data) for path, data in calendars(documents).items()
                    if (job := self._job(path, *_fingerprint_of(data), None))]
        folder, warnings = state_path(self.options.output, "parts", folder=True)
        for warning in warnings:
            self._warn(warning)
        cache = PartCache(folder, self.options.templates, read=not self.options.force)
        self.listener.start(len(jobs) + len(made))
        for index, result in self.workers.render_all([job.document for job in jobs], self.options.templates,
                                                     cache):
            job = jobs[index]
            if isinstance(result, bytes):
                self._write(job, result)
            else:
                self._add(Outcome.FAILED, str(job.path), result)
        for job, data in made:
            self._write(job, data)
        self._remove_orphans({str(d.path): d for d in documents})
        cache.prune({d.path.stem for d in documents if d.kind is DocumentKind.OVERVIEW})
        clean = not self.report.files[Outcome.FAILED] and not self.report.files[Outcome.PRESERVED]
        self.manifest.inputs = inputs if clean else ""
        self.manifest.today = self.rules.today.isoformat()
        try:
            self.manifest.save()
        except OSError as error:  # the journal still names every file written: the next build recovers
            self._add(Outcome.FAILED, f"{FOLDER}/{MANIFEST}",
                      f"pipelinens bogføring kunne ikke gemmes: {os_reason(error)}; "
                      "de skrevne filer genkendes ved næste kørsel")
        try:  # the rows this build saw, for the next build to compare with (other plans' rows kept)
            save_snapshot(self.options.output, {**(previous if self.options.plans else {}), **rows})
        except OSError as error:
            self._warn(f"planernes rækker kunne ikke gemmes til næste sammenligning: {os_reason(error)}")
        for warning in record_changes(self.options.output, started, self.changes, self.report):
            self._warn(warning)
        return self.report

    def _add(self, outcome: Outcome, path: str, note: str = "") -> None:
        self.report.add(outcome, path, note)
        self.listener.done(path, outcome, note)

    def _warn(self, message: str) -> None:
        self.report.warnings.append(message)
        self.listener.warn(message)

    def _decide(self, documents: list[Document]) -> Iterator[_Job]:
        """Yield the documents to render; record the rest as unchanged, preserved or closed."""
        cache = FingerprintCache()
        from pipeline.engine.changes import data_note

        for document in documents:
            digest, parts = fingerprint(document, self.options.templates, cache)
            note = data_note(document, self.changes) if self.changes else ""
            if job := self._job(str(document.path), digest, parts, document.plans[0], document, note):
                yield job

    def _job(self, path: str, digest: str, parts: dict[str, str], plan: str | None,
             document: Document | None = None, note: str = "") -> _Job | None:
        """Return the job that writes the planned file `path`, or None after recording why there is none."""
        state = assess(path, digest, parts, self.manifest, self.rules, note)
        self.keep.add(path)
        if state.action in (Action.RENDER, Action.RENDER_BESIDE):
            seen = self.manifest.entries.get(path) if os.path.lexists(self.manifest.output / path) else None
            return _Job(PurePosixPath(path), plan, digest, parts, beside=state.action is Action.RENDER_BESIDE,
                        seen=None if state.action is Action.RENDER_BESIDE else seen, document=document,
                        reason=state.reason if note and note in state.reason else "")
        if state.action in (Action.KEEP_EDIT, Action.CLOSED):
            self.keep.update(p for p, e in self.manifest.entries.items() if e.new_version_of == path)
        if state.action is Action.KEEP_EDIT:
            self._add(Outcome.PRESERVED, path, state.note)
        elif state.action is Action.CLOSED:
            self._add(Outcome.CLOSED, path, state.reason)
        else:
            self._add(Outcome.UNCHANGED, path)
        return None

    def _write(self, job: _Job, data: bytes) -> None:
        """Put a rendered document in place; a file someone edited, then or now, is never replaced."""
        original = str(job.path)
        path, note = original, ""
        try:
            target = resolve(self.options.output, job.path)
            if not job.beside:
                try:
                    self.budget.reserve(target, len(data))
                    self._commit(path, target, job, data, expect=job.seen)
                    self._add(Outcome.WRITTEN, path, job.reason)
                    return
                except _EditedMeanwhile:
                    note = "ændret, mens pipelinen arbejdede; "
            if file_sha256(target) == sha256(data) and not target.is_symlink():
                self._commit(path, target, job, data, write=False)  # already these bytes: adopt it
                self._add(Outcome.UNCHANGED, path)
                return
            path, target, seen = self._new_version_path(job.path)
            self.budget.reserve(target, len(data))
            self._commit(path, target, job, data, expect=seen)
        except _EditedMeanwhile:
            self._add(Outcome.FAILED, path, "den nye version blev ændret, mens pipelinen arbejdede; kør igen")
            return
        except OutputError as error:
            self._add(Outcome.FAILED, path, str(error))
            return
        except OSError as error:
            self._add(Outcome.FAILED, path, f"kunne ikke skrives: {os_reason(error)}")
            return
        self._add(Outcome.PRESERVED, original, f"{note}ny version: {path}")
        self._add(Outcome.WRITTEN, path)

    def _commit(self, path: str, target: Path, job: _Job, data: bytes, write: bool = True,
                expect: Entry | None = None) -> None:
        """Write `data` to `target` (unless `write` is false) and record it as the pipeline's.

        Immediately before the file is replaced, its bytes are checked again: they must still be
        `expect` (or there must still be no file when `expect` is None), else _EditedMeanwhile."""
        entry = Entry(job.fingerprint, job.parts, sha256(data), len(data), 0,
                      str(job.path) if path != str(job.path) else None, job.plan)
        if write:
            def unchanged() -> None:
                if not (expect.holds(target) if expect is not None else not os.path.lexists(target)):
                    raise _EditedMeanwhile(path)

            unchanged()  # before journalling: an edit seen now is not journalled as ours
            self.manifest.record_intent(path, entry)
            atomic_write(target, data, check=unchanged)
        self.manifest.record(path, entry)
        self.keep.add(path)

    def _new_version_path(self, original: PurePosixPath) -> tuple[str, Path, Entry | None]:
        """Return a free "… (ny version).docx" path beside `original` (numbered if that one was edited
        too), and the entry of ours that file holds (None when there is none)."""
        for number in range(1, 100):
            suffix = NEW_VERSION if number == 1 else f" (ny version {number})"
            relative = original.with_name(f"{original.stem}{suffix}{original.suffix}")
            target = resolve(self.options.output, relative)
            entry = self.manifest.entries.get(str(relative))
            if not os.path.lexists(target):
                return str(relative), target, None
            if entry is not None and entry.matches(target):
                return str(relative), target, entry
        raise OutputError(f"For mange nye versioner af {original}; ryd op i mappen.")

    def _remove_orphans(self, planned: dict[str, Document]) -> None:
        """Delete files of documents no longer planned, unless someone edited them or their meeting is held."""
        for path, state in orphans(self.manifest, self.rules, planned, self.keep, self._in_scope):
            entry = self.manifest.entries[path]
            if state.action is Action.CLOSED:
                self._add(Outcome.CLOSED, path, state.reason)
                continue
            del self.manifest.entries[path]
            target = fence(self.options.output, path)
            if state.action is Action.KEEP_ORPHAN:
                self._add(Outcome.PRESERVED, path, state.reason)
            elif target is not None and entry.holds(target):  # its bytes, checked immediately before it goes
                try:
                    target.unlink()
                except OSError as error:
                    self._add(Outcome.FAILED, path, f"kunne ikke fjernes: {os_reason(error)}")
                    continue
                self.budget.release(entry.size)
                self._add(Outcome.REMOVED, path, state.reason.removeprefix("fjernes: "))

    def _in_scope(self, entry: Entry) -> bool:
        """True for a file this build may remove: of a plan it builds (any, when it builds input/)."""
        return not self.options.plans or entry.plan in {p.name for p in self.options.plans}


def orphans(manifest: Manifest, rules: Rules, planned: dict[str, Document], keep: set[str],
            in_scope: Callable[[Entry], bool]) -> list[tuple[str, DocumentState]]:
    """Return each file of the manifest that no planned document keeps and that belongs to a plan
    being built, with what happens to it."""
    return [(path, assess_orphan(path, entry, manifest, rules, planned))
            for path, entry in sorted(manifest.entries.items())
            if path not in keep and in_scope(entry)]


# --- Listing --------------------------------------------------------------------------------------

def document_states(options: BuildOptions,
                    warn: Callable[[str], None] = lambda message: None) -> list[DocumentState]:
    """Return every document a build would produce or remove, and for each whether and why.

    Reads only: damaged bookkeeping is passed to `warn`, not set aside."""
    from pipeline.documents.planning import plan_documents
    from pipeline.engine.changes import data_note, diff_plans, load_snapshot, plan_rows

    plans = load_plans(read_plan_files(find_plans(options.plans)), options.year)
    documents = plan_documents(plans)
    rules = _rules(options, documents)
    manifest = Manifest.load(options.output)
    previous, warnings = load_snapshot(options.output)
    for warning in manifest.warnings + warnings:
        warn(warning)
    check_owners(documents, manifest)
    changes = diff_plans(previous, plan_rows(plans))
    cache = FingerprintCache()
    states = [assess(str(document.path), *fingerprint(document, options.templates, cache), manifest, rules,
                     data_note(document, changes) if changes else "")
              for document in documents]
    if not options.plans:
        states += [assess(path, *_fingerprint_of(data), manifest, rules)
                   for path, data in calendars(documents).items()]
    kept = {s.path for s in states if s.action in (Action.RENDER_BESIDE, Action.KEEP_EDIT, Action.CLOSED)}
    keep = {s.path for s in states} | {p for p, e in manifest.entries.items() if e.new_version_of in kept}
    names = {p.name for p in options.plans}
    removed = orphans(manifest, rules, {str(d.path): d for d in documents}, keep,
                      lambda entry: not options.plans or entry.plan in names)
    return states + [state for _, state in removed if os.path.lexists(options.output / state.path)]
