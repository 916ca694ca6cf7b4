"""Rendering a build's documents in worker processes, the longest work first.

Each document is rendered whole by one worker, except a long overview PDF: a worker first
cuts it into parts (`overview_parts.prepare`), the workers lay the parts out like any other
task, and this process merges them in order as they come back (`overview_parts.Merger`). So
on a 10,000-row plan both cores lay out the overview, instead of one core laying out all of
it while the other finishes the Word documents and waits.

The parent keeps its own queue and gives each worker the most expensive task left: the
overview and its parts, then orientation cases, the web page, discussion notes. Workers are
forked once the documents are known, so a task names its document by its index instead of
sending it pickled.
"""

from __future__ import annotations

import ctypes
import heapq
import itertools
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError
from pipeline.model import Document, DocumentKind

# Rough relative rendering cost of one task of each kind (for scheduling only).
_COST = {DocumentKind.OVERVIEW: 100, DocumentKind.ORIENTATION: 10, DocumentKind.WEBPAGE: 2,
         DocumentKind.DISCUSSION: 1}

# The documents and templates of the running build. Set before the pool forks its workers,
# which render from their copy; never changed while the pool is running.
_documents: list[Document] = []
_templates: Path = Path()


def render_all(documents: list[Document], templates: Path, workers: int) -> Iterator[tuple[int, bytes | str]]:
    """Yield (index into `documents`, the file's bytes or a Danish reason it failed) as each
    document is done, rendering in up to `workers` processes."""
    if workers <= 1 or len(documents) <= 1:
        for index, document in enumerate(documents):
            yield index, render_one(document, templates)
        return
    global _documents, _templates
    _documents, _templates = documents, templates
    try:
        yield from _Scheduler(documents, templates, workers).run()
    finally:
        _documents, _templates = [], Path()


def render_one(document: Document, templates: Path) -> bytes | str:
    """Return the document's bytes, or the reason it could not be made (never raises)."""
    from pipeline.render import render

    return _guarded(render, document, templates)


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
    def __init__(self, documents: list[Document], templates: Path, workers: int):
        self.documents = documents
        self.root = templates.resolve()
        self.workers = min(workers, len(documents))
        self.queue: list[_Task] = []
        self.counter = itertools.count()
        self.merges: dict[int, Any] = {}  # document index → its overview_parts.Merger
        for index, document in enumerate(documents):
            if _splits(document):
                self.push(-1000, _prepare, index)
            else:
                self.push(-_COST[document.kind], _render, index)

    def push(self, priority: int, function: Callable[..., Any], document: int, *arguments: Any,
             part: int | None = None) -> None:
        heapq.heappush(self.queue, _Task(priority, next(self.counter), function,
                                         (document, *arguments), document, part))

    def run(self) -> Iterator[tuple[int, bytes | str]]:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(self.workers, mp_context=context, initializer=_die_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            running: dict[Future[Any], _Task] = {}
            while self.queue or running:
                # One task more than workers, so a worker never waits for the next one.
                while self.queue and len(running) <= self.workers:
                    task = heapq.heappop(self.queue)
                    running[pool.submit(task.function, *task.arguments)] = task
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: running[f]):
                    yield from self.finished(running.pop(future), future.result())

    def finished(self, task: _Task, result: Any) -> Iterator[tuple[int, bytes | str]]:
        """Take a task's result; yield its document when that is done (or has failed)."""
        index = task.document
        if task.function is _render:
            yield index, result
        elif isinstance(result, str):  # cutting the overview, or laying out a part, failed
            if task.function is _prepare or self.merges.pop(index, None) is not None:
                self.queue = [t for t in self.queue if t.document != index]  # its other parts
                heapq.heapify(self.queue)
                yield index, result
        elif task.function is _prepare:
            from pipeline.overview_parts import Merger

            self.merges[index] = Merger(self.documents[index], self.root, result)
            for number, source in enumerate(result.sources):
                self.push(-1000, _layout, index, number, source, part=number)
        elif (merger := self.merges.get(index)) is not None:  # else the overview failed already
            merger.add(task.part, result)
            if merger.complete:
                del self.merges[index]
                yield index, _guarded(merger.finish)


def _splits(document: Document) -> bool:
    """True for an overview PDF long enough to be laid out in parts."""
    if document.kind is not DocumentKind.OVERVIEW:
        return False
    from pipeline.overview import part_rows

    try:
        return part_rows(document) is not None
    except PipelineError:
        return False  # rendering it whole reports the problem


# --- In the workers ------------------------------------------------------------------------------

def _render(index: int) -> bytes | str:
    return render_one(_documents[index], _templates)


def _prepare(index: int) -> Any:
    """Return the parts of a long overview (an overview_parts.Split), or why they cannot be made."""
    from pipeline.context import build_context
    from pipeline.overview import prepare_split

    document = _documents[index]
    return _guarded(lambda: prepare_split(document, build_context(document), _templates))


def _layout(index: int, part: int, source: str) -> Any:
    """Return one laid-out part of a long overview (an overview_parts.Part), or why it failed."""
    from pipeline.overview_parts import layout_part

    return _guarded(lambda: layout_part(source, _templates.resolve(), _documents[index].year, first=part == 0))


def _guarded(function: Callable[..., Any], *arguments: Any) -> Any:
    """Return `function(*arguments)`, or a Danish reason why it failed (never raises)."""
    try:
        return function(*arguments)
    except PipelineError as error:
        return str(error)
    except Exception as error:  # one bad document must not stop the others
        return f"uventet fejl ({type(error).__name__}: {error})"


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
