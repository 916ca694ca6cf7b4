"""The build, top to bottom: gather and check everything first, then write.

    find plans → read & validate → plan documents → check templates → (lock) → decide what is
    stale → render in worker processes → write atomically → remove orphans → save manifest

Nothing in the output folder is touched until every plan and template has been checked.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from pipeline.core.errors import OutputError, os_reason
from pipeline.core.files import OutputBudget, atomic_write, file_sha256, remove_leftovers, resolve, sha256
from pipeline.engine.fingerprint import FingerprintCache, bytes_fingerprint, fingerprint, inputs_hash
from pipeline.engine.lock import OutputLock
from pipeline.engine.manifest import FOLDER, MANIFEST, Entry, Manifest, fence, state_path
from pipeline.engine.options import BuildOptions, Listener
from pipeline.engine.report import Failure, Outcome, Report
from pipeline.source.plans import PlanFile, find_plans, read_plan_files

if TYPE_CHECKING:
    from pipeline.core.model import Document, Plan
    from pipeline.engine.changes import RowChange
    from pipeline.engine.rules import Rules
    from pipeline.engine.status import Run
    from pipeline.engine.workers import Workers
    from pipeline.render.pdf.cache import PartCache

NEW_VERSION = " (ny version)"


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
    if not options.force and _all_intact(checked := Manifest.load(options.output), inputs, options):
        with OutputLock(options.output, options.wait, listener):
            manifest = checked.reload(repair=True)
            if _all_intact(manifest, inputs, options):
                return _unchanged_report(manifest, listener)
    # The rest of a build's machinery is imported only now: a build with nothing to do stops above.
    from pipeline.engine.gather import check_build, plan_build
    from pipeline.engine.rules import check_owners, rules_for
    from pipeline.engine.workers import Workers

    with Workers(options.jobs, early=_small_plans(files)) as workers:
        plans, documents = plan_build(options, files)
        workers.start(documents)  # they import their libraries while the rest is checked and decided
        check_build(options, documents)
        with _heap_frozen(paused=workers.count > 1):
            rules = rules_for(options, documents)
            with OutputLock(options.output, options.wait, listener):
                remove_leftovers(options.output)
                manifest = Manifest.load(options.output, repair=True)
                check_owners(documents, manifest)
                return _Build(options, rules, manifest, listener, workers).run(documents, inputs, plans, run.started)


@contextmanager
def _heap_frozen(*, paused: bool) -> Iterator[None]:
    """Within the block, the cycle collector leaves alone what exists as it begins: the plans and
    their documents, which live as long as the build. Otherwise every full collection walks them
    again; at 10,000 rows each took tens of milliseconds, and reading the last build's rows
    (100,000 new objects) set off several. With `paused` (the workers render, so this process
    makes little cyclic garbage) the collector does not run at all until the block ends: decoding
    a long overview's stored parts set it off again and again over the parts decoded before."""
    gc.freeze()
    enabled = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


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
        """Write what is stale, remove what is no longer planned, and keep the books."""
        from pipeline.core.model import DocumentKind
        from pipeline.documents import kinds
        from pipeline.engine.changes import diff_plans, load_snapshot, plan_rows, record_changes
        from pipeline.engine.gather import calendars

        for warning in self.manifest.warnings:
            self._warn(warning)
        previous, warnings = load_snapshot(self.options.output, repair=True)
        for warning in warnings:
            self._warn(warning)
        rows = plan_rows(plans)
        self.changes = diff_plans(previous, rows)
        self.budget = OutputBudget.of(self.options.output)
        jobs: list[_Job] = []
        made: list[tuple[_Job, bytes]] = []  # files made here from the plan alone: the calendars

        def decided() -> Iterator[Document]:
            """Each document to render as soon as it is decided (its rendering starts then), the
            costliest kinds first: a long overview is being laid out while the rest is decided."""
            for job in self._decide(sorted(documents, key=lambda d: -kinds.of(d.kind).cost)):
                jobs.append(job)
                yield job.document
            if not self.options.plans:  # they gather every plan's meetings: only a build of all of input/
                made.extend((job, data) for path, data in calendars(documents).items()
                            if (job := self._job(path, *bytes_fingerprint(data), None)))
            self.listener.start(len(jobs) + len(made))  # before the first result is written

        cache = self._part_cache()
        for index, result in self.workers.render_all(decided(), self.options.templates, cache):
            if isinstance(result, Failure):
                self._add(Outcome.FAILED, str(jobs[index].path), result.reason)
            else:
                self._write(jobs[index], result)
        for job, data in made:
            self._write(job, data)
        self._remove_orphans({str(d.path): d for d in documents})
        cache.prune({d.path.stem for d in documents if d.kind is DocumentKind.OVERVIEW})
        self._keep_books(inputs, {**(previous if self.options.plans else {}), **rows})
        for warning in record_changes(self.options.output, started, self.changes, self.report):
            self._warn(warning)
        return self.report

    def _part_cache(self) -> PartCache:
        """Return the cache of long overviews' laid-out parts (read only unless `--force`)."""
        from pipeline.render.pdf.cache import PartCache

        folder, warnings = state_path(self.options.output, "parts", folder=True)
        for warning in warnings:
            self._warn(warning)
        return PartCache(folder, self.options.templates, read=not self.options.force)

    def _keep_books(self, inputs: str, rows: dict) -> None:
        """Save the manifest (with the inputs' hash only after a clean build, so the next one can
        stop early) and the plans' rows, which the next build compares its rows with."""
        from pipeline.engine.changes import save_snapshot

        clean = not self.report.files[Outcome.FAILED] and not self.report.files[Outcome.PRESERVED]
        self.manifest.inputs = inputs if clean else ""
        self.manifest.today = self.rules.today.isoformat()
        try:
            self.manifest.save()
        except OSError as error:  # the journal still names every file written: the next build recovers
            self._add(Outcome.FAILED, f"{FOLDER}/{MANIFEST}",
                      f"pipelinens bogføring kunne ikke gemmes: {os_reason(error)}; "
                      "de skrevne filer genkendes ved næste kørsel")
        try:
            save_snapshot(self.options.output, rows)
        except OSError as error:
            self._warn(f"planernes rækker kunne ikke gemmes til næste sammenligning: {os_reason(error)}")
        from pipeline.engine.gather import record_templates_passed

        try:
            record_templates_passed(self.options.output, self.options.templates)
        except OSError:
            pass  # the next build lints the templates again

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

        seen: dict[int, set[tuple[str, int]]] = {}
        for document in documents:
            digest, parts = fingerprint(document, self.options.templates, cache)
            note = data_note(document, self.changes, seen) if self.changes else ""
            if job := self._job(str(document.path), digest, parts, document.plans[0], document, note):
                yield job

    def _job(self, path: str, digest: str, parts: dict[str, str], plan: str | None,
             document: Document | None = None, note: str = "") -> _Job | None:
        """Return the job that writes the planned file `path`, or None after recording why there is none."""
        from pipeline.engine.rules import Action, assess

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
        from pipeline.engine.rules import Action, orphans

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
