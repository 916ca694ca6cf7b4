"""Rendering a build's documents in worker processes, the longest work first.

Each document is rendered whole by one worker, except a long overview PDF: this process cuts
it into parts (`render/pdf/split.py`) while the workers import WeasyPrint and one of them
finds the libraries' versions for the part cache, the workers lay the parts out like any
other task, and this process merges them in order as they come back (`render/pdf/merge.py`,
`Merger`).
Once the page count is known, a worker lays out the footers too (about 10 ms a page), while
this process goes on handing out the Word documents. So on a 10,000-row plan both cores lay
out the overview, instead of one core laying out all of it while the other finishes the Word
documents and waits.

The parent keeps its own queue and gives each worker the most expensive task left: the
overview and its parts, then orientation cases, the web page, discussion notes. For a small
plan the workers start before the plan is read (see EARLY_START_BYTES); otherwise they are
forked as soon as the documents are planned (`Workers.start`), so a task names its document by
its index instead of sending it pickled, and they import their libraries while the build checks
the templates and decides what is stale. The build hands each document over as soon as it has
decided to render it, so the workers start while it still fingerprints the rest. With
`--jobs 1` the same tasks run in this process, one after the other.
"""

from __future__ import annotations

import ctypes
import gc
import heapq
import importlib
import itertools
import multiprocessing
import multiprocessing.util
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.core.errors import PipelineError
from pipeline.core.model import Document, DocumentKind
from pipeline.documents import kinds
from pipeline.engine.report import Failure

if TYPE_CHECKING:
    from pipeline.render.pdf.cache import PartCache


# Plans up to this size (the files' bytes; a few hundred rows, so the overview is laid out in
# one go) start their workers before they are read: one imports WeasyPrint and makes the
# overview PDF, the others import docxtpl and make everything else, all while the build reads
# and checks the plan; their tasks carry their documents, pickled. A bigger plan's workers are
# forked once the documents are known and find them in their copy of memory (`_documents`):
# pickling 40 status reports of 10,000 rows each would cost the parent seconds, and all
# workers share the overview's parts.
EARLY_START_BYTES = 20_000

# The documents of the running build, for workers forked after they were planned. Set
# before such a pool forks; never changed while it runs.
_documents: list[Document] = []


class Workers:
    """The worker processes of one build (none for `--jobs 1`). A context manager."""

    def __init__(self, count: int, *, early: bool = False):
        self.count = count
        self.executor: ProcessPoolExecutor | _ByRenderer | None = None
        self.size = count  # how many workers run
        # The workers have the build's documents: a task names its document by its index among
        # them (by id). None: a task sends its document, pickled (early workers).
        self.by_index: dict[int, int] | None = None
        self.idle = True  # no document was given to the workers (yet)
        if early and count > 1:
            self.executor = _ByRenderer(count)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, error_type: Any, *exc_info: Any) -> None:
        if self.executor is None:
            return
        global _documents
        pools = self.executor.pools if isinstance(self.executor, _ByRenderer) else [self.executor]
        for pool in pools:
            if error_type is not None or self.idle:  # they wrote nothing: no need to finish importing
                _terminate(pool)
            pool.shutdown(wait=True, cancel_futures=True)
        self.executor = None
        _documents = []

    def start(self, planned: Sequence[Document]) -> None:
        """Fork the workers now that the build's documents are planned, unless they run already
        (a small plan's) or they would get one document at most (this process renders it). They
        import what they need while this process checks the templates and decides what is stale,
        and find the documents in their copy of memory. A long overview keeps every worker busy
        laying out its parts, so then each imports WeasyPrint at once."""
        global _documents
        if self.executor is not None or self.count <= 1 or len(planned) <= 1:
            return
        _documents = list(planned)
        self.by_index = {id(document): index for index, document in enumerate(_documents)}
        self.size = min(self.count, len(planned))
        self.executor = _start(self.size, ("weasyprint",) if any(map(_splits, _documents)) else ())

    def render_all(self, documents: Iterable[Document], templates: Path,
                   cache: PartCache | None) -> Iterator[tuple[int, bytes | Failure]]:
        """Yield (index into `documents`, the file's bytes or the Failure that says why not) as each
        document is done, in the worker processes or, without any, in this one. `cache`
        (a `render.pdf.cache.PartCache`) keeps long overviews' laid-out parts between builds.

        `documents` may be a generator, each document given as soon as the build has decided to
        render it: rendering starts with the first, so a long overview is laid out while the
        build fingerprints the rest. It is read to its end before the first result is yielded, so
        its end may announce how many there are."""
        if self.executor is None:  # --jobs 1, or one document
            yield from _Scheduler(templates, _Inline(), 1, cache).run(documents)
            return
        scheduler = _Scheduler(templates, self.executor, self.size, cache, by_index=self.by_index)
        yield from scheduler.run(documents)
        self.idle = not scheduler.documents


def _start(count: int, warm: tuple[str, ...] = ()) -> ProcessPoolExecutor:
    """Fork `count` workers now; each imports the modules `warm` names before its first task."""
    context = multiprocessing.get_context("fork")
    executor = ProcessPoolExecutor(count, mp_context=context, initializer=_start_worker,
                                   initargs=(os.getpid(), warm))
    executor.submit(int)  # forks every worker now (a fork pool starts them all at its first task)
    return executor


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's workers at once: the build stopped (bad input, a held lock, Ctrl-C) and
    they have written nothing, so they need not finish importing first. Each unwinds what it
    was doing (SIGTERM, see `_stop_worker`) and is waited for, briefly: a worker still
    unwinding when the build exits would be killed with it, and leave its temporary files.
    (The pool's processes are only in _processes before Python 3.14's terminate_workers().)"""
    processes = list(getattr(pool, "_processes", {}).values())
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=10)


class _ByRenderer:
    """The early workers of a small plan: one process imports WeasyPrint and makes the overview
    PDF, the others import docxtpl and make the rest. Each imports only what it will use, so
    the cores stay free for the parent, which reads the plan meanwhile."""

    def __init__(self, count: int):
        self.overview = _start(1, ("weasyprint",))
        self.other = _start(count - 1, ("docxtpl",))
        self.pools = [self.overview, self.other]

    def submit(self, function: Callable[..., Any], document: Document, *arguments: Any) -> Future[Any]:
        pool = self.overview if document.kind is DocumentKind.OVERVIEW else self.other
        return pool.submit(function, document, *arguments)


class _Inline:
    """Runs each task at once in this process, as the executor of a build with `--jobs 1`."""

    def submit(self, function: Callable[..., Any], *arguments: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(function(*arguments))
        return future


@dataclass(order=True)
class _Task:
    """One call for a worker: `function(*arguments)`, for the document with index `document`."""

    priority: int  # lower runs first
    sequence: int
    function: Callable[..., Any] = field(compare=False)
    arguments: tuple[Any, ...] = field(compare=False)
    document: int = field(compare=False)
    part: int | None = field(compare=False, default=None)  # the overview part it lays out


class _Scheduler:
    """Keeps the queue of tasks and hands each worker the most expensive one left."""

    def __init__(self, templates: Path, executor: Any, workers: int, cache: PartCache | None, *,
                 by_index: dict[int, int] | None = None):
        self.documents: list[Document] = []  # as `run` is given them; a task names its document by index
        self.cache = cache
        self.part_keys: dict[int, list[str]] = {}  # document index → its parts' cache keys
        self.templates = templates
        self.executor = executor
        # The workers have the build's documents: a task sends its document's index among them
        # (by id), not the document. None: send the document.
        self.by_index = by_index
        self.slots = workers + 1  # one task more than workers, so a worker never waits for the next
        self.queue: list[_Task] = []
        self.counter = itertools.count()
        self.merges: dict[int, Any] = {}  # document index → its pdf.merge.Merger
        self.running: dict[Future[Any], _Task] = {}
        # The versions of the libraries that lay the parts out, for the part cache's keys: asked
        # of a worker (`_versions`, it has WeasyPrint imported) as this process cuts the first
        # long overview. Until they come, overviews already cut wait in `waiting`, by index.
        self.versions: dict[str, str] | Failure | None = None
        self.versions_asked = False
        self.waiting: dict[int, Any] = {}  # document index → its pdf.split.Split

    def add(self, document: Document) -> Iterator[tuple[int, bytes | Failure]]:
        """Queue the task that renders `document`; or cut a long overview into parts here and
        queue those, yielding the overview if it is done (failed, or every part stored)."""
        index = len(self.documents)
        self.documents.append(document)
        if _splits(document):
            if self.cache is not None and not self.versions_asked:
                self.versions_asked = True
                self.push(-1000, _versions, index)
                self.submit()  # a worker answers once WeasyPrint is imported, as this process cuts
            result = _prepare(document, self.templates)
            if isinstance(result, Failure):
                yield index, result
            elif self.cache is not None and self.versions is None:
                self.waiting[index] = result  # split once the versions are known
            else:
                yield from self.split(index, result)
        else:
            self.push(-kinds.of(document.kind).cost, _render, index)

    def push(self, priority: int, function: Callable[..., Any], index: int, *arguments: Any,
             part: int | None = None) -> None:
        document = self.documents[index]
        reference = document if self.by_index is None else self.by_index[id(document)]
        heapq.heappush(self.queue, _Task(priority, next(self.counter), function,
                                         (reference, self.templates, *arguments), index, part))

    def run(self, documents: Iterable[Document]) -> Iterator[tuple[int, bytes | Failure]]:
        """Render `documents`; yield each result once `documents` is read to its end."""
        early: list[tuple[int, bytes | Failure]] = []  # results that came while documents still came
        for document in documents:
            early += self.add(document)
            self.submit()
            early += self.collect(block=False)
        yield from early
        while self.queue or self.running:
            self.submit()
            yield from self.collect(block=True)

    def submit(self) -> None:
        """Hand queued tasks to the workers, up to `slots` at a time."""
        while self.queue and len(self.running) < self.slots:
            task = heapq.heappop(self.queue)
            self.running[self.executor.submit(task.function, *task.arguments)] = task

    def collect(self, *, block: bool) -> list[tuple[int, bytes | Failure]]:
        """Take the results of finished tasks (waiting for one when `block`); return the documents done."""
        if not self.running:
            return []
        done, _ = wait(self.running, timeout=None if block else 0, return_when=FIRST_COMPLETED)
        results: list[tuple[int, bytes | Failure]] = []
        for future in sorted(done, key=lambda f: self.running[f]):
            results += self.finished(self.running.pop(future), future.result())
        return results

    def finished(self, task: _Task, result: Any) -> Iterator[tuple[int, bytes | Failure]]:
        """Take a task's result; yield its document when that is done (or has failed)."""
        index = task.document
        if task.function is _render:
            yield index, result
        elif task.function is _versions:
            self.versions = result
            if self.cache is not None and not isinstance(result, Failure):
                self.cache.learn(result)
            for waiting in list(self.waiting):
                yield from self.split(waiting, self.waiting.pop(waiting))
        elif isinstance(result, Failure):  # laying out a part, or the footers, failed
            if self.merges.pop(index, None) is not None:
                yield from self.fail(index, result)
        elif task.function is _footers:
            if self.cache is not None:
                self.cache.store_footers(self.part_keys[index][-1], result)
            yield from self.finish(index, result)
        elif (merger := self.merges.get(index)) is not None:  # else the overview failed already
            if self.cache is not None:
                self.cache.store(self.part_keys[index][task.part], result)
            merger.add(task.part, result)
            yield from self.merged(index)

    def fail(self, index: int, failure: Failure) -> Iterator[tuple[int, bytes | Failure]]:
        """Yield a long overview's failure, its queued parts and footers dropped."""
        self.queue = [t for t in self.queue if t.document != index or t.function is _versions]
        heapq.heapify(self.queue)
        yield index, failure

    def split(self, index: int, split: Any) -> Iterator[tuple[int, bytes | Failure]]:
        """Queue the parts of a long overview, except those the cache has already."""
        from pipeline.render.pdf.merge import Merger

        if isinstance(self.versions, Failure):  # WeasyPrint cannot be imported, or asked
            yield from self.fail(index, self.versions)
            return
        document = self.documents[index]
        merger = self.merges[index] = Merger(document, split)
        cache = self.cache
        keys = self.part_keys[index] = [] if cache is None else [
            cache.key(document, source, first=number == 0) for number, source in enumerate(split.sources)]
        stored = [cache.holds(key) for key in keys] if cache is not None else [False] * len(split.sources)
        for number, source in enumerate(split.sources):
            if not stored[number]:
                self.push(-1000, _layout, index, number, source, part=number)
        self.submit()  # the workers lay out the new parts while this process merges the stored ones
        for number, source in enumerate(split.sources):
            if stored[number]:
                if (part := cache.load(keys[number])) is not None:
                    merger.add(number, part)
                else:  # stored, but damaged or planted: laid out again
                    self.push(-1000, _layout, index, number, source, part=number)
        yield from self.merged(index)

    def merged(self, index: int) -> Iterator[tuple[int, bytes | Failure]]:
        """Once all parts of a long overview are merged, queue its footers (unless the cache has them)."""
        merger = self.merges[index]
        if not merger.complete:
            return
        if self.cache is not None:
            key = self.cache.footers_key(self.documents[index], merger.footer, merger.page_count)
            self.part_keys[index].append(key)
            if (footers := self.cache.load_footers(key)) is not None:
                yield from self.finish(index, footers)
                return
        self.push(-1000, _footers, index, merger.footer, merger.page_count)

    def finish(self, index: int, footers: Any) -> Iterator[tuple[int, bytes | Failure]]:
        """Yield a long overview, its parts merged and `footers` (a pdf.part.Footers) laid over them."""
        merger = self.merges.pop(index)
        result = _guarded(merger.finish, footers)
        if self.cache is not None and isinstance(result, bytes):
            self.cache.keep_only(self.documents[index], set(self.part_keys[index]))
        yield index, result


def _splits(document: Document) -> bool:
    """True for an overview PDF long enough to be laid out in parts."""
    if document.kind is not DocumentKind.OVERVIEW:
        return False
    from pipeline.render.overview import part_rows

    try:
        return part_rows(document) is not None
    except PipelineError:
        return False  # rendering it whole reports the problem


def _prepare(reference: int | Document, templates: Path) -> Any:
    """Return the parts of a long overview (a pdf.split.Split), or why they cannot be made.
    Run by the build's own process (Jinja and lxml only) while the workers import WeasyPrint:
    in a worker, the one part a one-row change needs waited for that import, or for a worker
    busy with an orientation case."""
    from pipeline.documents.kinds import build_context
    from pipeline.render.overview import prepare_split

    document = _document(reference)
    return _guarded(lambda: prepare_split(document, build_context(document), templates))


# --- In the workers ------------------------------------------------------------------------------

def _document(reference: int | Document) -> Document:
    return _documents[reference] if isinstance(reference, int) else reference


def _render(reference: int | Document, templates: Path) -> bytes | Failure:
    """Return a whole document's bytes, or the reason it could not be made."""
    from pipeline.render.dispatch import render

    return _guarded(render, _document(reference), templates)


def _versions(_reference: int | Document, _templates: Path) -> Any:
    """Return the versions of the libraries that lay out the overview's parts (the part cache's
    keys hold them), or why they cannot be found. Finding Pango's imports WeasyPrint."""
    from pipeline.render.pdf.cache import library_versions

    _warm("weasyprint")
    return _guarded(library_versions)


def _layout(reference: int | Document, templates: Path, part: int, source: str) -> Any:
    """Return one laid-out part of a long overview (a pdf.part.Part), or why it failed."""
    from pipeline.render.pdf.merge import layout_part

    _warm("weasyprint")
    year = _document(reference).year
    return _guarded(lambda: layout_part(source, templates.resolve(), year, first=part == 0))


def _footers(reference: int | Document, templates: Path, footer: str, page_count: int) -> Any:
    """Return a long overview's footers for `page_count` pages (a pdf.part.Footers), or why not."""
    from pipeline.render.pdf.merge import layout_footers

    _warm("weasyprint")
    year = _document(reference).year
    return _guarded(lambda: layout_footers(footer, page_count, templates.resolve(), year))


_warmed: set[str] = set()  # the modules this worker has imported and frozen


def _warm(module: str) -> None:
    """Import `module` in this worker (once), then tell the cycle collector to leave its objects
    alone, which live as long as the worker: otherwise each full collection (one before every
    overview part) walks WeasyPrint's again, about 60 ms. (Not in the build's own process,
    `--jobs 1`: what it freezes would never be collected.)"""
    if module in _warmed or _scratch is None:
        return
    _warmed.add(module)
    _guarded(importlib.import_module, module)  # guarded: WeasyPrint makes temporary files (ctypes' find_library)
    gc.collect()
    gc.freeze()


def _start_worker(parent: int, warm: tuple[str, ...]) -> None:
    """Set up a worker process: it dies with its build, and imports the modules `warm` names now.

    What the worker inherited from the build (the plan, its documents) lives as long as the
    worker, so the cycle collector is told to leave it alone (`gc.freeze`): otherwise every
    full collection walks a 10,000-row plan again and copies the pages it touches."""
    _die_with_parent(parent)
    # Ctrl-C in a terminal reaches every process of the build; the build (the parent) stops its
    # workers itself. SIGTERM, which it stops them with, ends a task by unwinding it, and an
    # idle worker at once; either way the worker's scratch folder goes with it.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # until the scratch folder is known
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    sys.unraisablehook = _unraisable
    _make_scratch()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    gc.enable()  # whatever the parent's state: the build pauses its own while workers render (build._heap_frozen)
    gc.freeze()
    for module in warm:
        _warm(module)


# The worker's own temporary folder: every temporary file of its libraries goes there (WeasyPrint's
# font folders, the sealed fontconfig, ctypes' probes). Their cleanup can be cut short by a stop
# arriving in the middle of it; the worker then removes the whole folder as it ends.
_scratch: str | None = None


def _make_scratch() -> None:
    global _scratch
    _scratch = tempfile.mkdtemp(prefix="pipeline-worker-")
    tempfile.tempdir = _scratch
    os.environ["TMPDIR"] = _scratch
    # Run when the pool ends the worker normally (a forked worker runs these, not atexit's).
    multiprocessing.util.Finalize(None, _remove_scratch, exitpriority=0)


def _remove_scratch() -> None:
    if _scratch is not None:
        shutil.rmtree(_scratch, ignore_errors=True)


def _exit() -> None:
    """End this worker at once, its scratch folder removed."""
    _remove_scratch()
    os._exit(0)


class _Stop(BaseException):
    """Raised in a worker's task by SIGTERM: the build is stopping."""


_busy = False  # True while this worker runs a task


def _stop_worker(_number: int, _frame: Any) -> None:
    if _busy:
        raise _Stop  # unwinds the task; `_guarded` then ends the process
    # Idle: what the last task left in reference cycles (a WeasyPrint font folder, removed in
    # its __del__) is collected before the process ends without running any more Python.
    gc.collect()
    _exit()


def _unraisable(info: Any) -> None:
    """A stop that lands in code whose exceptions Python cannot pass on (a weakref callback
    while a module is imported) ends the worker there, instead of being printed and lost."""
    if isinstance(info.exc_value, _Stop):
        _exit()
    sys.__unraisablehook__(info)


def _guarded(function: Callable[..., Any], *arguments: Any) -> Any:
    """Return `function(*arguments)`, or the Failure that says why it failed (never raises)."""
    global _busy
    _busy = True
    try:
        return function(*arguments)
    except _Stop:
        pass  # the build is stopping: end this worker below, once the task is let go of
    except PipelineError as error:
        return Failure(str(error))
    except Exception as error:  # one bad document must not stop the others
        return Failure(f"uventet fejl ({type(error).__name__}: {error})")
    finally:
        _busy = False
    # Out of the except clause the traceback, and with it the task's frames, are gone; collected,
    # what they held cleans up after itself (WeasyPrint's font folder is removed in __del__), and
    # what a cleanup cut short left goes with the scratch folder.
    gc.collect()
    _exit()


def _die_with_parent(parent: int) -> None:
    """Make a worker process end when the build that forked it ends, even by SIGKILL (Linux).

    Otherwise a killed build leaves its workers waiting for work forever.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return  # not Linux: workers still end when the pool is shut down normally
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1
