"""The build, top to bottom: gather and check everything first, then write.

    find plans → read & validate → plan documents → check templates → (lock) → decide what is
    stale → render in worker processes → write atomically → remove orphans → save manifest

Nothing in the output folder is touched until every plan and template has been checked.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from pipeline import __version__
from pipeline.errors import InputError, LockedError, OutputError, TemplateError, UsageError
from pipeline.manifest import FOLDER, Entry, Manifest
from pipeline.model import Document, DocumentKind, Plan
from pipeline.read import MARKED_COPY_SUFFIX, PLAN_SUFFIXES
from pipeline.report import Outcome, Report
from pipeline.write import OutputBudget, atomic_write, file_sha256, remove_leftovers, resolve, sha256

if TYPE_CHECKING:
    from pipeline.workers import Workers

INPUT = Path("input")
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


class Listener:
    """Receives a build's progress; the CLI's `Progress` shows it. This one stays silent."""

    def start(self, total: int) -> None: ...
    def done(self, path: str, outcome: Outcome, note: str = "") -> None: ...


# --- Gathering (reads only) ----------------------------------------------------------------------

def find_plans(paths: Iterable[Path] = ()) -> list[Path]:
    """Return the plan files to build: those given, else every .xlsx/.csv in input/.

    Excel's lock files (`~$…`), hidden files and the marked copies `validate --mark` writes
    beside a plan are not plans.
    """
    paths = list(paths)
    if paths:
        for path in paths:
            if not path.is_file():
                raise UsageError(f"Planen {path} findes ikke.")
        return paths
    found = sorted(
        path for path in INPUT.glob("*")
        if path.suffix.casefold() in PLAN_SUFFIXES and not path.name.startswith(("~$", "."))
        and not path.stem.endswith(MARKED_COPY_SUFFIX)
    ) if INPUT.is_dir() else []
    if not found:
        raise UsageError(f"Der er ingen planer (.xlsx eller .csv) i mappen {INPUT}/.")
    return found


def load_plans(paths: Iterable[Path], year: int | None = None) -> list[Plan]:
    """Return every plan read and validated; raise InputError listing the problems of all files."""
    from pipeline.read import read_workbook
    from pipeline.validate import check_together, validate

    plans, problems = [], []
    for path in paths:
        try:
            plans.append(validate(read_workbook(path), year))
        except InputError as error:
            problems.extend(error.problems)
    problems.extend(check_together(plans))
    if problems:
        raise InputError(problems)
    return plans


def plan_build(options: BuildOptions) -> list[Document]:
    """Return the documents the options' plans call for, with their templates checked."""
    from pipeline.plan import plan_documents

    documents = plan_documents(load_plans(find_plans(options.plans), options.year))
    _check_paths(documents, options.output)
    _check_templates(options.templates, {d.template for d in documents})
    return documents


def _check_paths(documents: list[Document], output: Path) -> None:
    if output.exists() and not output.is_dir():
        raise OutputError(f"Kan ikke skrive i outputmappen {output}: det er en fil, ikke en mappe.")
    seen: dict[str, PurePosixPath] = {}
    for document in documents:
        resolve(output, document.path)  # raises when a path would leave the output folder
        other = seen.setdefault(str(document.path).casefold(), document.path)
        if other != document.path:  # one file on a Windows share, which ignores case
            raise OutputError(f'"{document.path}" og "{other}" bliver samme fil på et Windows-drev; '
                              "giv udvalgene forskellige forkortelser")


def _check_templates(templates: Path, names: set[str]) -> None:
    from pipeline.check import check_templates

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
        from pipeline.context import row

        found = self.rows.get(id(activity))
        if found is None:
            found = self.rows[id(activity)] = (activity, {"row": _digest(row(activity))})
        return found[1]


def fingerprint(document: Document, templates: Path,
                cache: FingerprintCache) -> tuple[str, dict[str, str]]:
    """Return the hash of everything `document` is made from, and its parts (data, template, version).

    The data part is the document's template context, each plan row in it by its own digest."""
    from pipeline.context import build_context
    from pipeline.render import template_files

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


def inputs_hash(options: BuildOptions) -> str:
    """Return a hash of every input of a build (plan files, templates, version, options).

    Computed without reading a spreadsheet, so a build with nothing changed stops early.
    """
    digest = hashlib.sha256(f"{__version__}\n{options.year}\n".encode())
    try:
        plans = find_plans(options.plans)
    except UsageError:
        return ""
    for path in sorted(plans):
        digest.update(f"plan {path.resolve()} {file_sha256(path)}\n".encode())
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


@dataclass(frozen=True)
class DocumentState:
    """A planned document, what a build will do with it, and why (`reason` and `note` are Danish)."""

    path: str
    action: Action
    reason: str
    note: str = ""

    @property
    def up_to_date(self) -> bool:
        return self.action in (Action.SKIP, Action.KEEP_EDIT)


_PARTS = (("data", "data"), ("template", "skabelon"), ("version", "pipeline-version"))


def assess(document: Document, digest: str, parts: dict[str, str], manifest: Manifest,
           force: bool = False) -> DocumentState:
    """Return what a build does with `document`, given its fingerprint and the manifest."""
    path = str(document.path)
    target = resolve(manifest.output, document.path)
    entry = manifest.entries.get(path)
    current = entry is not None and entry.fingerprint == digest and not force
    if entry is not None and entry.matches(target):
        if current:
            return DocumentState(path, Action.SKIP, "opdateret")
        changed = [word for key, word in _PARTS if entry.parts.get(key) != parts[key]]
        return DocumentState(path, Action.RENDER, "ændret: " + ", ".join(changed or ["genopbygges"]))
    if not target.exists():
        return DocumentState(path, Action.RENDER, "ny" if entry is None else "filen mangler")
    if entry is None:
        # Not ours (or the manifest is gone): rendered and adopted if identical, else kept.
        return DocumentState(path, Action.RENDER_BESIDE, "findes, men er ikke skrevet af pipelinen – bevares")
    sibling = next((p for p, e in manifest.entries.items()
                    if e.new_version_of == path and e.fingerprint == digest and not force
                    and e.matches(manifest.output / p)), None)
    if current or sibling:
        note = f"ny version: {sibling}" if sibling else "manuelt ændret; dataene er uændrede"
        return DocumentState(path, Action.KEEP_EDIT, "manuelt ændret – bevares", note)
    return DocumentState(path, Action.RENDER_BESIDE, "manuelt ændret – bevares; ny version skrives ved siden af")


# --- The build ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Job:
    """A document to render and where its bytes go."""

    document: Document
    fingerprint: str
    parts: dict[str, str]
    beside: bool = False  # the file was edited by hand: write the new version next to it


def build(options: BuildOptions, listener: Listener | None = None) -> Report:
    """Build every document of the plans into the output folder and return what happened."""
    listener = listener or Listener()
    inputs = inputs_hash(options)
    if not options.force and inputs and _all_intact(Manifest.load(options.output), inputs):
        with _lock(options):
            manifest = Manifest.load(options.output)
            if _all_intact(manifest, inputs):
                return _unchanged_report(manifest, listener)
    from pipeline.workers import Workers

    with Workers(options.jobs, early=_small_plans(options)) as workers:
        documents = plan_build(options)
        with _lock(options):
            remove_leftovers(options.output)
            manifest = Manifest.load(options.output)
            return _Build(options, manifest, listener, workers).run(documents, inputs)


def _small_plans(options: BuildOptions) -> bool:
    """True when the plan files are small enough for the workers to start before they are read."""
    from pipeline.workers import EARLY_START_BYTES

    try:
        return sum(path.stat().st_size for path in find_plans(options.plans)) <= EARLY_START_BYTES
    except (UsageError, OSError):
        return False  # reading the plans reports the problem


def _all_intact(manifest: Manifest, inputs: str) -> bool:
    return manifest.inputs == inputs and all(
        entry.matches(manifest.output / path) for path, entry in manifest.entries.items())


def _unchanged_report(manifest: Manifest, listener: Listener) -> Report:
    report = Report()
    listener.start(0)
    for path in manifest.entries:
        report.add(Outcome.UNCHANGED, path)
    return report


class _lock:
    """Holds the output folder's build lock; turns a timeout into LockedError (exit 3)."""

    def __init__(self, options: BuildOptions):
        self.options = options

    def __enter__(self) -> None:
        from filelock import FileLock, Timeout

        folder = self.options.output / FOLDER
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.lock = FileLock(folder / "build.lock", timeout=self.options.wait)
            self.lock.acquire()
        except Timeout:
            raise LockedError(f"En anden kørsel bygger allerede i {self.options.output}/ "
                              f"(ventede {self.options.wait:g} sekunder). Prøv igen om lidt.") from None
        except OSError as error:
            raise OutputError(f"Kan ikke skrive i outputmappen {self.options.output}/: "
                              f"{error.strerror or error}.") from None

    def __exit__(self, *exc_info) -> None:
        self.lock.release()


@dataclass
class _Build:
    options: BuildOptions
    manifest: Manifest
    listener: Listener
    workers: Workers
    report: Report = field(default_factory=Report)
    keep: set[str] = field(default_factory=set)  # manifest paths still in use after this build
    budget: OutputBudget = field(default_factory=OutputBudget)

    def run(self, documents: list[Document], inputs: str) -> Report:
        from pipeline.overview_parts import PartCache

        self.budget = OutputBudget.of(self.options.output)
        jobs = list(self._decide(documents))
        self.listener.start(len(jobs))
        cache = PartCache(self.options.output / FOLDER / "parts", self.options.templates,
                          read=not self.options.force)
        for index, result in self.workers.render_all([job.document for job in jobs], self.options.templates,
                                                     cache):
            job = jobs[index]
            if isinstance(result, bytes):
                self._write(job, result)
            else:
                self._add(Outcome.FAILED, str(job.document.path), result)
        self._remove_orphans()
        cache.prune({d.path.stem for d in documents if d.kind is DocumentKind.OVERVIEW})
        clean = not self.report.files[Outcome.FAILED] and not self.report.files[Outcome.PRESERVED]
        self.manifest.inputs = inputs if clean else ""
        self.manifest.save()
        return self.report

    def _add(self, outcome: Outcome, path: str, note: str = "") -> None:
        self.report.add(outcome, path, note)
        self.listener.done(path, outcome, note)

    def _decide(self, documents: list[Document]) -> Iterator[_Job]:
        """Yield the documents to render; record the rest as unchanged or preserved."""
        cache = FingerprintCache()
        for document in documents:
            path = str(document.path)
            digest, parts = fingerprint(document, self.options.templates, cache)
            state = assess(document, digest, parts, self.manifest, self.options.force)
            self.keep.add(path)
            if state.action is Action.RENDER:
                yield _Job(document, digest, parts)
            elif state.action is Action.RENDER_BESIDE:
                yield _Job(document, digest, parts, beside=True)
            elif state.action is Action.KEEP_EDIT:
                self.keep.update(p for p, e in self.manifest.entries.items() if e.new_version_of == path)
                self._add(Outcome.PRESERVED, path, state.note)
            else:
                self._add(Outcome.UNCHANGED, path)

    def _write(self, job: _Job, data: bytes) -> None:
        path = str(job.document.path)
        try:
            target = resolve(self.options.output, job.document.path)
            if job.beside:
                if file_sha256(target) == sha256(data):  # a file we would write anyway: adopt it
                    self._commit(path, target, job, data, write=False)
                    self._add(Outcome.UNCHANGED, path)
                    return
                path, target = self._new_version_path(job.document.path)
            self.budget.reserve(target, len(data))
            self._commit(path, target, job, data)
        except OutputError as error:
            self._add(Outcome.FAILED, path, str(error))
            return
        except OSError as error:
            self._add(Outcome.FAILED, path, f"kunne ikke skrives: {error.strerror or error}")
            return
        if job.beside:
            self._add(Outcome.PRESERVED, str(job.document.path), f"ny version: {path}")
        self._add(Outcome.WRITTEN, path)

    def _commit(self, path: str, target: Path, job: _Job, data: bytes, write: bool = True) -> None:
        entry = Entry(job.fingerprint, job.parts, sha256(data), len(data), 0,
                      str(job.document.path) if path != str(job.document.path) else None)
        if write:
            self.manifest.record_intent(path, entry)
            atomic_write(target, data)
        self.manifest.record(path, entry)
        self.keep.add(path)

    def _new_version_path(self, original: PurePosixPath) -> tuple[str, Path]:
        """Return a free "… (ny version).docx" path beside `original` (numbered if that one was edited too)."""
        for number in range(1, 100):
            suffix = NEW_VERSION if number == 1 else f" (ny version {number})"
            relative = original.with_name(f"{original.stem}{suffix}{original.suffix}")
            target = resolve(self.options.output, relative)
            entry = self.manifest.entries.get(str(relative))
            if not target.exists() or (entry is not None and entry.matches(target)):
                return str(relative), target
        raise OutputError(f"For mange nye versioner af {original}; ryd op i mappen.")

    def _remove_orphans(self) -> None:
        """Delete files of documents no longer planned, unless someone edited them."""
        for path, entry in sorted(self.manifest.entries.items()):
            if path in self.keep:
                continue
            target = self.options.output / path
            del self.manifest.entries[path]
            if entry.matches(target):
                target.unlink()
                self.budget.release(entry.size)
                self._add(Outcome.REMOVED, path)
            elif target.exists():
                self._add(Outcome.PRESERVED, path, "rækken er væk, men filen er ændret i hånden")


# --- Listing --------------------------------------------------------------------------------------

def document_states(plans: tuple[Path, ...], output: Path, templates: Path,
                    year: int | None) -> list[DocumentState]:
    """Return every document a build would produce, and for each whether and why it would be rebuilt."""
    from pipeline.plan import plan_documents

    manifest = Manifest.load(output)
    cache = FingerprintCache()
    return [assess(document, *fingerprint(document, templates, cache), manifest)
            for document in plan_documents(load_plans(find_plans(plans), year))]
