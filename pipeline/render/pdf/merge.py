"""A long overview PDF, laid out in parts so that memory stays bounded, merged into one file.

WeasyPrint keeps the whole layout of a document in memory (about 0.2 MB per plan row), so a
10,000-row plan needs gigabytes in one process. Above `overview.SPLIT_ABOVE` rows the PDF is
made like this instead:

1. The overview HTML is cut into parts of about `overview.PART_ROWS` rows, and the footer
   document is made from its head (`pipeline.render.pdf.split`).
2. Each part is laid out by WeasyPrint on its own (`layout_part`, in any process: the build's
   workers lay parts out in parallel) and turned into plain data right there
   (`pipeline.render.pdf.adapter`), so what travels back to the merging process is bytes, not
   millions of small Python objects. Each part begins on a new page.
3. `Merger` appends the parts in order as they come to the streaming writer
   (`pipeline.render.pdf.writer`). Knowing the page count, the footer document is laid out with
   as many empty pages (`layout_footers`, in any process, like a part), and the writer lays
   each footer over its page and finishes the file.
   (pikepdf was tried for the merge: qpdf needs about 10 kB per object, 4 GB for 10,000 rows.)

Every step is deterministic (fixed part boundaries, local numbering, font subsets,
`SOURCE_DATE_EPOCH`, and an /ID computed from the content), so the same plan gives the same
bytes whether its parts are laid out in one process or in several.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.core.model import Document
from pipeline.render.pdf import adapter
from pipeline.render.pdf.outline import bookmark_tree
from pipeline.render.pdf.part import Footers, Part
from pipeline.render.pdf.sealed import laying_out, pdf_identifier
from pipeline.render.pdf.split import Split, footer_pages, prepare
from pipeline.render.pdf.writer import Writer


def render_split(document: Document, html: str, root: Path, part_rows: int) -> bytes:
    """Return the overview PDF for `html`, laid out in parts of about `part_rows` rows, one after
    the other in this process. (The build lays the parts out in parallel workers instead.)"""
    split = prepare(html, part_rows)
    del html
    merger = Merger(document, split)
    for index, source in enumerate(split.sources):
        merger.add(index, layout_part(source, root, document.year, first=index == 0))
        split.sources[index] = ""
    return merger.finish(layout_footers(split.footer, merger.page_count, root, document.year))


def layout_part(source: str, root: Path, year: int, *, first: bool) -> Part:
    """Lay out one part's HTML and return its tagged PDF objects, serialised for the merge."""
    _release_memory()  # what the last part left behind
    with laying_out(year, root) as layout, _lenient_gc():
        laid_out = layout(source)
        pdf, bookmark_pages = adapter.tagged_objects(laid_out)
    del laid_out  # its memory goes before the objects are serialised
    return adapter.serialised_part(pdf, bookmark_pages, first=first)


def layout_footers(footer: str, page_count: int, root: Path, year: int) -> Footers:
    """Lay out the footer document `footer` (a `Split.footer`) with `page_count` pages and
    return its pages as form XObjects. About 10 ms a page in WeasyPrint, so a worker does it."""
    _release_memory()
    with laying_out(year, root) as layout, _lenient_gc():
        return adapter.footer_forms(layout(footer_pages(footer, page_count)))


class Merger:
    """Merges a split overview's parts, given in any order, into one PDF written in part order."""

    def __init__(self, document: Document, split: Split):
        self.document = document
        self.footer = split.footer  # the footer document, for `layout_footers`
        self.count = len(split.sources)
        self.writer = Writer()
        self.waiting: dict[int, Part] = {}  # parts that came before the one next in order

    @property
    def page_count(self) -> int:
        return self.writer.page_count

    @property
    def complete(self) -> bool:
        return self.writer.parts == self.count

    def add(self, index: int, part: Part) -> None:
        """Take part number `index`; write it, and any parts waiting for it, when its turn comes."""
        self.waiting[index] = part
        while self.writer.parts in self.waiting:
            self.writer.add_part(self.waiting.pop(self.writer.parts))

    def finish(self, footers: Footers) -> bytes:
        """Draw every page's footer (`layout_footers` for `page_count` pages) and return the merged PDF."""
        assert self.complete, (self.writer.parts, self.count)
        self.writer.add_footers(footers)
        outline = bookmark_tree(self.writer.bookmark_pages)
        return self.writer.finish(pdf_identifier(self.document), outline)


@contextmanager
def _lenient_gc() -> Iterator[None]:
    """Within the block, Python's cycle collector runs far less often. WeasyPrint allocates
    millions of small objects while laying out; with the default thresholds the collector
    keeps walking them (about a fifth of a part's layout time)."""
    import gc

    saved = gc.get_threshold()
    gc.set_threshold(20_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def _release_memory() -> None:
    """Give memory freed by the last part back to the system (glibc keeps it otherwise)."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to give back explicitly
        pass

