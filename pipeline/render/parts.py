"""A long overview PDF, laid out in parts so that memory stays bounded, merged into one file.

WeasyPrint keeps the whole layout of a document in memory (about 0.2 MB per plan row), so a
10,000-row plan needs gigabytes in one process. Above `overview.SPLIT_ABOVE` rows the PDF is
made like this instead:

1. The overview HTML (the same template output as for a short plan) is cut into parts of about
   `PART_ROWS` rows: a part keeps the elements around its rows (sections, the table with its
   <colgroup> and <thead>, so the header row repeats on every page), and the first part also
   the title block. Nothing in the template knows about parts. A part never begins at an odd
   row of a <tbody>, so a group heading row stays with its first row and stripes stay right.
2. Each part is laid out by WeasyPrint on its own (`layout_part`, in any process: the build's
   workers lay parts out in parallel) and made into tagged PDF objects, with its page margin
   boxes (the footer) switched off. Each part begins on a new page. The part's objects are
   numbered locally and serialised right there (`Part`), so what travels back to the merging
   process is bytes, not millions of small Python objects.
3. Knowing the total, one small untagged WeasyPrint document with as many empty pages, the
   template's own @page rules and the title (for `string(plannavn)`), draws every page's footer
   — `Side X af Y` comes from WeasyPrint's own page counters over the whole document.
4. A streaming writer (`_Writer`, driven by `Merger`) appends the parts in order as they
   come: a part's objects get the next free numbers (one regular expression relocates its
   references) and are written at once, so memory holds about one part at a time. The
   structure elements of every part go under one /Document element; /StructParents and the
   /ParentTree are renumbered; each footer is laid over its page as a form XObject in a
   /Pagination artifact. The outline (bookmarks) is rebuilt from the parts' headings. Catalog
   entries (/Lang, /MarkInfo, /ViewerPreferences, XMP metadata with the title and the PDF/UA
   identification) and /Info are the first part's. (pikepdf was tried for the merge: qpdf
   needs about 10 kB per object, 4 GB for 10,000 rows.)

Every step is deterministic (fixed part boundaries, local numbering, font subsets,
`SOURCE_DATE_EPOCH`, and an /ID computed from the content), so the same plan gives the same
bytes whether its parts are laid out in one process or in several.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pipeline.core.model import Document

# Switches off every page margin box of a part; the footer overlay draws them instead.
_MARGIN_BOXES = (
    "top-left-corner", "top-left", "top-center", "top-right", "top-right-corner",
    "right-top", "right-middle", "right-bottom", "bottom-right-corner", "bottom-right",
    "bottom-center", "bottom-left", "bottom-left-corner", "left-bottom", "left-middle", "left-top",
)
NO_MARGIN_BOXES = "@page { " + " ".join(f"@{name} {{ content: none !important; }}"
                                        for name in _MARGIN_BOXES) + " }"


# A row of the timeline (a patterned track, positioned bars and marks) costs WeasyPrint about
# twice the memory of a table row's share of a part (measured: a part of 300 timeline rows
# peaks below one of 600 table rows), so it counts as two.
ROW_WEIGHTS = {"tidslinje": 2}
OBJECT_STREAM = 1000  # objects per compressed object stream of the merged PDF
FOOTER = "/PipelineFooter"  # page N draws its footer, the form XObject /PipelineFooterN


# --- Cutting the HTML ----------------------------------------------------------------------------

def split_html(html: str, part_rows: int) -> list[str]:
    """Return the overview HTML cut into parts of about `part_rows` rows (one part if it is short)."""
    import lxml.html

    tree = lxml.html.document_fromstring(html)
    body = tree.find("body")
    units: list[Any] = []  # leaves in document order: table body rows and table-free elements
    _collect(body, units)
    cuts = _cuts(units, part_rows)
    head = copy.deepcopy(tree.find("head"))
    style = lxml.html.Element("style")
    style.text = NO_MARGIN_BOXES
    head.append(style)
    parts = []
    for start, end in zip(cuts, cuts[1:]):
        leaves = set(units[start:end])
        ancestors = {ancestor for unit in units[start:end] for ancestor in unit.iterancestors()}
        part = _shallow(tree)
        part.append(copy.deepcopy(head))
        part.append(_copy(body, leaves, ancestors))
        parts.append(lxml.html.tostring(part, doctype="<!DOCTYPE html>", encoding="unicode"))
    return parts


def _shallow(element: Any) -> Any:
    """Return a copy of `element` without its children (tag, attributes, text, tail)."""
    import lxml.html

    made = lxml.html.Element(element.tag, dict(element.attrib))
    made.text, made.tail = element.text, element.tail
    return made


def _copy(element: Any, leaves: set[Any], ancestors: set[Any]) -> Any:
    """Return a copy of `element` (an ancestor of the part's leaves) with only the part's content:
    its leaves whole, the ancestors of leaves pruned the same way, and a kept table's caption,
    colgroup and thead (so the header row repeats on the part's pages)."""
    made = _shallow(element)
    for child in element:
        if child in leaves:
            made.append(copy.deepcopy(child))
        elif child in ancestors:
            made.append(_copy(child, leaves, ancestors))
        elif element.tag == "table" and child.tag in ("caption", "colgroup", "thead", "tfoot"):
            made.append(copy.deepcopy(child))
    return made


def _is_row(element: Any) -> bool:
    parent = element.getparent()
    return element.tag == "tr" and parent is not None and parent.tag == "tbody"


def _collect(element: Any, units: list[Any]) -> None:
    """Append the leaves under `element`: rows of table bodies, and elements holding no table."""
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments
        if child.tag == "table":
            rows = [row for section in child if section.tag == "tbody" for row in section if row.tag == "tr"]
            if rows and not any(row.tag == "tr" for row in child):
                units.extend(rows)
            else:
                units.append(child)  # rows outside a <tbody>: the table stays whole
        elif child.find(".//table") is not None:
            _collect(child, units)
        else:
            units.append(child)


def _weight(row: Any) -> int:
    """Return how many rows `row` counts as: ROW_WEIGHTS by its table's class, else 1."""
    table = row.getparent().getparent()
    classes = (table.get("class") or "").split() if table is not None else []
    return max([ROW_WEIGHTS.get(name, 1) for name in classes], default=1)


def _cuts(units: list[Any], part_rows: int) -> list[int]:
    """Return the indexes where parts begin (and the end): after about every `part_rows` rows."""
    cuts = [0]
    rows = 0
    for index, unit in enumerate(units):
        if rows >= part_rows and index > cuts[-1]:
            # A part never begins at an odd row of a table body: the group heading (row 0)
            # stays with its first row, and striped rows (nth-child) keep their stripes.
            if not (_is_row(unit) and unit.getparent().index(unit) % 2 == 1):
                cuts.append(index)
                rows = 0
        if _is_row(unit):
            rows += _weight(unit)
    cuts.append(len(units))
    return cuts


# --- Laying out parts (in any process) and merging them (in one) -----------------------------------

@dataclass
class Split:
    """What a split overview is made from: each part's HTML, and the footer document's HTML
    (the template's head and the hidden title; `Merger.finish` adds one page per page)."""

    sources: list[str]
    footer: str


@dataclass
class Part:
    """One part laid out and serialised by a worker, ready to be appended to the merged PDF.

    Its own objects are numbered 0 … count-1 and every reference to one of them is written as
    the marker `\xffN\xff` (a byte no PDF dictionary, name or literal string of ours contains),
    so the merge turns them into `shift+N 0 R` with one regular expression and never parses a
    dictionary again. References to the merged document's page tree and /Document element
    are written as the fixed PAGES and DOCUMENT numbers. The few entries the merge still
    sets are left out of their dictionaries and kept beside them: a page's /Parent, /Contents
    and /StructParents, the pages' /XObject resources (the footers join them), and the
    /StructParent key of an annotation. So a Part is plain data (numbers, bytes, text) and
    can be cached on disk without pickle (`PartCache`)."""

    count: int
    objects: list[tuple[int, bytes]]  # dictionaries and arrays: (local number, serialised)
    streams: list[tuple[int, bytes, bytes]]  # (local number, dictionary, compressed content)
    keyed: list[tuple[int, bytes, int]]  # (local number, dictionary, its /StructParent key)
    pages: list[tuple[int, bytes, bytes, int | None]]  # (number, dictionary, /Contents, key)
    resources: tuple[int, bytes, bytes]  # (number, dictionary, its /XObject entries)
    kids: list[bytes]  # the structure elements directly under /Document
    nums: list[bytes]  # the parent tree's values, by this part's keys 0, 1, …
    bookmark_pages: list[SimpleNamespace]
    catalog: dict[str, bytes]  # the first part's catalog entries for the merged document
    info: bytes


def prepare(html: str, part_rows: int) -> Split:
    """Return the parts of the overview `html` and its footer document (no layout yet)."""
    return Split(split_html(html, part_rows), _footer_source(html))


def render_split(document: Document, html: str, root: Path, part_rows: int) -> bytes:
    """Return the overview PDF for `html`, laid out in parts of about `part_rows` rows, one after
    the other in this process. (The build lays the parts out in parallel workers instead.)"""
    split = prepare(html, part_rows)
    del html
    merger = Merger(document, root, split)
    for index, source in enumerate(split.sources):
        merger.add(index, layout_part(source, root, document.year, first=index == 0))
        split.sources[index] = ""
    return merger.finish()


def layout_part(source: str, root: Path, year: int, *, first: bool) -> Part:
    """Lay out one part's HTML and return its tagged PDF objects, serialised for the merge."""
    from pipeline.render.overview import PDF_VARIANT, _add_header_scopes, laying_out

    _release_memory()  # what the last part left behind
    with laying_out(year, root) as layout, _lenient_gc():
        laid_out = layout(source)
        pdf = _pydyf(laid_out, pdf_variant=PDF_VARIANT)
        _add_header_scopes(laid_out, pdf)
    bookmark_pages = [SimpleNamespace(bookmarks=p.bookmarks, width=p.width, height=p.height)
                      for p in laid_out.pages]
    del laid_out
    return _serialised(pdf, bookmark_pages, first=first)


def _serialised(pdf: Any, bookmark_pages: list[SimpleNamespace], *, first: bool) -> Part:
    """Return a part's pydyf objects as a Part: numbered locally, streams compressed, and
    everything that is not held back serialised."""
    import pydyf

    objects = pdf.objects
    catalog = pdf.catalog
    tree_root = objects[_number(catalog["StructTreeRoot"])]
    document = objects[_number(tree_root["K"][0])]
    parent_tree = objects[_number(tree_root["ParentTree"])]
    page_numbers = [_number(reference) for reference in pdf.page_references]
    resources = {_number(objects[n]["Resources"]) for n in page_numbers}
    assert len(resources) == 1, "WeasyPrint shares one /Resources among a document's pages"
    resources_number = resources.pop()
    skipped = {catalog.number, pdf.pages.number, tree_root.number, document.number, parent_tree.number}
    skipped |= _outline_numbers(objects, catalog)
    if "Metadata" in catalog and not first:
        skipped.add(_number(catalog["Metadata"]))
    kept = [obj.number for obj in objects[1:] if obj.number not in skipped]
    local = {number: index for index, number in enumerate(kept)}
    mapping = {number: _MARK % index for number, index in local.items()}
    mapping[pdf.pages.number] = b"%d 0 R" % PAGES
    mapping[document.number] = b"%d 0 R" % DOCUMENT

    def fix(value: Any) -> Any:
        return _renumber(value, mapping)

    # The parent tree's keys (a page's /StructParents, an annotation's /StructParent) become
    # 0, 1, … in order; the merge adds the number of keys before this part.
    keys: dict[int, int] = {}
    nums: list[bytes] = []
    tree = parent_tree["Nums"]
    for index in range(0, len(tree), 2):
        keys[int(tree[index])] = len(nums)
        nums.append(_checked(_serialise(fix(tree[index + 1]))))
    for reference in document["K"]:
        objects[_number(reference)]["P"] = b"%d 0 R" % document.number  # renumbered below
    resources_dictionary = fix(objects[resources_number])
    xobjects = resources_dictionary.get("XObject", {})
    resources = (local[resources_number], _without(resources_dictionary, "XObject"),
                 b"".join(b"/%s %s" % (_serialise(name), _serialise(value)) for name, value in xobjects.items()))
    part = Part(len(kept), [], [], [], [], resources, [fix(reference) for reference in document["K"]],
                nums, bookmark_pages, {}, _checked(_serialise(pdf.info)))
    for number in kept:
        obj = objects[number]
        if number in page_numbers or number == resources_number:
            continue
        if isinstance(obj, pydyf.Stream):
            obj = _packed(obj)
            fix(obj.extra)
            extra = pydyf.Dictionary(obj.extra)
            extra["Length"] = len(obj.stream[0])
            part.streams.append((local[number], _checked(extra.data), obj.stream[0]))
        elif isinstance(obj, dict) and "StructParent" in obj:
            part.keyed.append((local[number], _without(fix(obj), "StructParent"), keys[int(obj["StructParent"])]))
        else:
            part.objects.append((local[number], _checked(fix(obj).data)))
    for number in page_numbers:
        page = fix(objects[number])
        key = keys[int(page["StructParents"])] if "StructParents" in page else None
        part.pages.append((local[number], _without(page, "Parent", "Contents", "StructParents"),
                           _checked(_serialise(page["Contents"])), key))
    if first:
        part.catalog = {key: _checked(_serialise(fix(value))) for key, value in catalog.items()
                        if key not in ("Type", "Pages", "StructTreeRoot", "Outlines")}
    return part


def _without(dictionary: Any, *keys: str) -> bytes:
    """Return a pydyf dictionary serialised without `keys` (the merge adds them)."""
    import pydyf

    return _checked(pydyf.Dictionary({k: v for k, v in dictionary.items() if k not in keys}).data)


class Merger:
    """Merges a split overview's parts, given in any order, into one PDF written in part order."""

    def __init__(self, document: Document, root: Path, split: Split):
        self.document = document
        self.root = root
        self.footer = split.footer
        self.count = len(split.sources)
        self.writer = _Writer()
        self.waiting: dict[int, Part] = {}  # parts that came before the one next in order

    @property
    def complete(self) -> bool:
        return self.writer.parts == self.count

    def add(self, index: int, part: Part) -> None:
        """Take part number `index`; write it, and any parts waiting for it, when its turn comes."""
        self.waiting[index] = part
        while self.writer.parts in self.waiting:
            self.writer.add_part(self.waiting.pop(self.writer.parts))

    def finish(self) -> bytes:
        """Draw every page's footer, knowing the page count, and return the merged PDF."""
        from pipeline.render.overview import laying_out, pdf_identifier

        assert self.complete, (self.writer.parts, self.count)
        with laying_out(self.document.year, self.root) as layout:
            self.writer.add_footers(_pydyf(layout(_footer_pages(self.footer, self.writer.page_count))))
        return self.writer.finish(pdf_identifier(self.document))


class PartCache:
    """Laid-out parts of long overviews, kept between builds in the output folder's bookkeeping.

    A part's layout depends only on its HTML, the overview's template files (CSS, fonts), the
    plan year, whether it is the first part, and the versions of the pipeline and WeasyPrint;
    the cache key hashes exactly those. So when one row changes, only the part holding it is
    laid out again. Parts are stored as plain data (`_encode`: a JSON header and a blob of
    bytes), never pickled: the output folder is shared, and a planted file must not be able to
    run code. A file that does not decode, a link, or a record (header and blob) that does not
    match its hash and key, is a miss. Each overview keeps only the parts of its latest build."""

    FORMAT = b"pipeline-overview-part 2\n"

    def __init__(self, folder: Path, templates: Path, *, read: bool = True):
        self.folder = folder
        self.templates = templates
        self.read = read  # False (`--force`): lay every part out again, and store it afresh

    @cached_property
    def salt(self) -> bytes:
        """What every key hashes: the format, the versions, the overview's template files (only
        computed when a build has a long overview)."""
        from importlib.metadata import version

        from pipeline import __version__
        from pipeline.core.files import file_sha256
        from pipeline.core.model import DocumentKind
        from pipeline.render.dispatch import template_files

        files = [(path.relative_to(self.templates).as_posix(), file_sha256(path))
                 for path in template_files(DocumentKind.OVERVIEW, self.templates)]
        return json.dumps([self.FORMAT.decode(), __version__, version("weasyprint"), files]).encode()

    def key(self, document: Document, source: str, *, first: bool) -> str:
        digest = hashlib.sha256(self.salt)
        digest.update(b"%d %d\n" % (document.year, first))
        digest.update(source.encode("utf-8"))
        return f"{document.path.stem}-{digest.hexdigest()[:40]}"

    def load(self, key: str) -> Part | None:
        if not self.read:
            return None
        path = self.folder / f"{key}.part"
        try:
            if path.is_symlink() or not path.is_file():
                return None
            data = path.read_bytes()
        except OSError:
            return None
        return _decode(data, self.FORMAT, key)

    def store(self, key: str, part: Part) -> None:
        from pipeline.core.files import atomic_write

        try:
            atomic_write(self.folder / f"{key}.part", _encode(part, self.FORMAT, key))
        except OSError:
            pass  # a cache that cannot be written only costs time next build

    def keep_only(self, document: Document, keys: set[str]) -> None:
        """Delete `document`'s cached parts other than `keys`."""
        for path in self.folder.glob(f"{document.path.stem}-*.part"):
            if path.stem not in keys:
                path.unlink(missing_ok=True)

    def prune(self, stems: set[str]) -> None:
        """Delete the cached parts of overviews that are no longer built (not in `stems`)."""
        for path in self.folder.glob("*.part"):
            if path.stem.rsplit("-", 1)[0] not in stems:
                path.unlink(missing_ok=True)


def _encode(part: Part, magic: bytes, key: str) -> bytes:
    """Return `part` as bytes: `magic`, the JSON header's length, the header (with the part's
    cache `key` and the blob's hash), the blob."""
    blob = bytearray()

    def put(data: bytes) -> list[int]:
        blob.extend(data)
        return [len(blob) - len(data), len(data)]

    header = {
        "count": part.count,
        "objects": [[number, *put(data)] for number, data in part.objects],
        "streams": [[number, *put(head), *put(content)] for number, head, content in part.streams],
        "keyed": [[number, *put(data), key] for number, data, key in part.keyed],
        "pages": [[number, *put(data), *put(contents), key] for number, data, contents, key in part.pages],
        "resources": [part.resources[0], *put(part.resources[1]), *put(part.resources[2])],
        "kids": [put(kid) for kid in part.kids],
        "nums": [put(value) for value in part.nums],
        "bookmarks": [[page.bookmarks, page.width, page.height] for page in part.bookmark_pages],
        "catalog": {key: put(value) for key, value in part.catalog.items()},
        "info": put(part.info),
    }
    header["key"] = key
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    record = b"%d\n" % len(head) + head + bytes(blob)
    return magic + hashlib.sha256(record).hexdigest().encode("ascii") + b"\n" + record


def _decode(data: bytes, magic: bytes, key: str) -> Part | None:
    """Return the Part `_encode` made for `key`, or None for anything else (checked, never trusted).

    The hash covers the whole record, header and blob: a header with one digit changed would
    otherwise point into the blob at the wrong place and make a broken PDF."""
    try:
        if not data.startswith(magic):
            return None
        digest, record = data[len(magic):].split(b"\n", 1)
        if hashlib.sha256(record).hexdigest().encode("ascii") != digest:
            return None
        length, rest = record.split(b"\n", 1)
        header = json.loads(rest[:int(length)])
        blob = memoryview(rest)[int(length):]
        if header["key"] != key:
            return None
        count = _natural(header["count"])

        def take(start: Any, size: Any) -> bytes:
            start, size = _natural(start), _natural(size)
            if start + size > len(blob):
                raise ValueError("outside the blob")
            return bytes(blob[start:start + size])

        def local(number: Any) -> int:
            if _natural(number) >= count:
                raise ValueError("object number outside the part")
            return number

        def optional(value: Any) -> int | None:
            return None if value is None else _natural(value)

        def bookmarks(entries: Any) -> list[tuple[int, str, tuple[float, float], str]]:
            return [(_natural(level), _text(label), (_real(x), _real(y)), _text(state))
                    for level, label, (x, y), state in entries]

        resources = header["resources"]
        return Part(
            count,
            [(local(n), take(a, b)) for n, a, b in header["objects"]],
            [(local(n), take(a, b), take(c, d)) for n, a, b, c, d in header["streams"]],
            [(local(n), take(a, b), _natural(k)) for n, a, b, k in header["keyed"]],
            [(local(n), take(a, b), take(c, d), optional(k)) for n, a, b, c, d, k in header["pages"]],
            (local(resources[0]), take(*resources[1:3]), take(*resources[3:5])),
            [take(a, b) for a, b in header["kids"]],
            [take(a, b) for a, b in header["nums"]],
            [SimpleNamespace(bookmarks=bookmarks(marks), width=_real(width), height=_real(height))
             for marks, width, height in header["bookmarks"]],
            {_text(name): take(a, b) for name, (a, b) in header["catalog"].items()},
            take(*header["info"]))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def _natural(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(f"not a natural number: {value!r}")
    return value


def _real(value: Any) -> float:
    if type(value) not in (int, float):
        raise ValueError(f"not a number: {value!r}")
    return float(value)


def _text(value: Any) -> str:
    if type(value) is not str:
        raise ValueError(f"not text: {value!r}")
    return value


def _packed(obj: Any) -> Any:
    """Return `obj` as a plain pydyf object that pickles: a WeasyPrint content stream (which
    holds Pango handles) becomes a pydyf.Stream of its bytes, compressed here exactly as pydyf
    would compress them when writing, so the written bytes do not change."""
    import zlib

    import pydyf

    if not isinstance(obj, pydyf.Stream):
        return obj
    content = b"\n".join(_serialise(item) for item in obj.stream)
    extra = pydyf.Dictionary(obj.extra)
    if obj.compress:
        extra["Filter"] = "/FlateDecode"
        compressor = zlib.compressobj(level=9)
        content = compressor.compress(content) + compressor.flush()
    packed = pydyf.Stream([content], extra)
    packed.number, packed.generation = obj.number, obj.generation
    return packed


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


def _pydyf(document: Any, **options: Any) -> Any:
    """Return WeasyPrint's PDF objects (a pydyf.PDF) for a laid-out document, not yet written.

    This is the first half of `weasyprint.Document.write_pdf` (which then calls the finisher and
    writes the file); the merge writes the objects itself instead."""
    from weasyprint import DEFAULT_OPTIONS
    from weasyprint.pdf import VARIANTS, generate_pdf

    settings = {**DEFAULT_OPTIONS, **options}
    if variant := settings["pdf_variant"]:
        _, properties = VARIANTS[variant]
        for key, value in tuple(settings.items()):
            if value is None and key in properties:
                settings[key] = properties[key]
    return generate_pdf(document, None, 1, **settings)


_REFERENCE = re.compile(rb"(\d+) (\d+) R")
# The merged document's own objects; a part's objects come after them.
PAGES, DOCUMENT, ROOT = 1, 2, 3
# How a part writes a reference to its own object N until the merge knows its number. A 0xFF
# byte never occurs in what pydyf writes for a dictionary: names and numbers are ASCII, and a
# string is written as ASCII or as hex digits.
_MARK = b"\xff%d\xff"
_MARKED = re.compile(rb"\xff(\d+)\xff")


def _relocation(shift: int) -> Any:
    """Return a function that turns a part's marked references into `N+shift 0 R`."""
    def replace(match: re.Match[bytes]) -> bytes:
        return b"%d 0 R" % (int(match[1]) + shift)

    return lambda data: _MARKED.sub(replace, data)


def _with(dictionary: bytes, entries: bytes) -> bytes:
    """Return a serialised dictionary (`<<…>>`) with serialised `entries` added at its end."""
    return dictionary[:-2] + entries + b">>"


def _checked(data: bytes) -> bytes:
    """Return serialised `data`, making sure every 0xFF byte in it belongs to a marker."""
    if data.count(b"\xff") != 2 * len(_MARKED.findall(data)):
        raise RuntimeError("a PDF object of the overview holds a byte the merge cannot tell from its markers")
    return data


def _serialise(value: Any) -> bytes:
    """Return a PDF value as pydyf writes it."""
    from pydyf import _to_bytes as pydyf_bytes  # pydyf's own serialiser (not exported)

    return pydyf_bytes(value)


def _number(reference: Any) -> int:
    """Return the object number of a reference (b"12 0 R")."""
    return int(_to_bytes(reference).split()[0])


def _renumber(value: Any, mapping: dict[int, bytes]) -> Any:
    """Return a PDF value with every object reference `N 0 R` replaced by `mapping[N]` (in place)."""
    if isinstance(value, (bytes, str)):
        match = _REFERENCE.fullmatch(_to_bytes(value)) if value[:1] not in ("/", b"/") else None
        return mapping[int(match[1])] if match else value
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _renumber(item, mapping)
    elif isinstance(value, list):
        value[:] = [_renumber(item, mapping) for item in value]
    return value


def _to_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("ascii")


class _Writer:
    """Writes the merged PDF object by object: a part's objects leave memory once it is added.

    Each part's objects are renumbered into one numbering. Held back until the end are only
    the small things that need the whole document: page dictionaries (their footers), each
    part's page resources, the structure elements directly under /Document, the parent tree's
    arrays of references, and the headings for the outline."""

    def __init__(self) -> None:
        self.out = BytesIO()
        # By object number: an offset, or (object stream, index). 0 is the free list's head;
        # PAGES, DOCUMENT and ROOT are the merged document's own, written last.
        self.offsets: list[Any] = [None] * (ROOT + 1)
        self.pending: list[tuple[int, bytes]] = []
        self.out.write(b"%PDF-1.7\n%\xf0\x9f\x96\xa4\n")
        # Each page: (number, dictionary without /Parent and /Contents, its /Contents, part).
        self.pages: list[tuple[int, bytes, bytes, int]] = []
        # Each part's shared page resources: (number, dictionary, its /XObject entries).
        self.resources: list[tuple[int, bytes, bytes]] = []
        self.bookmark_pages: list[Any] = []
        self.kids: list[bytes] = []
        self.nums: list[Any] = []
        self.catalog: dict[str, Any] = {}
        self.info = b""
        self.footers: list[bytes] = []

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def parts(self) -> int:
        return len(self.resources)

    def reserve(self) -> int:
        self.offsets.append(None)
        return len(self.offsets) - 1

    def put(self, number: int, obj: Any) -> None:
        """Write `obj` (a pydyf object) as object `number`."""
        self.put_data(number, obj.data, stream=not obj.compressible)

    def put_data(self, number: int, data: bytes, *, stream: bool = False) -> None:
        """Write object `number`, serialised as `data`: a stream at once, anything else into
        the compressed object streams of OBJECT_STREAM objects each."""
        if not stream:
            self.pending.append((number, data))
            if len(self.pending) >= OBJECT_STREAM:
                self.flush()
            return
        self.offsets[number] = self.out.tell()
        self.out.write(b"%d 0 obj\n%s\nendobj\n" % (number, data))

    def flush(self) -> None:
        """Write the pending objects as one object stream."""
        import pydyf

        if not self.pending:
            return
        number = self.reserve()
        header, body, position = [], [], 0
        for index, (member, data) in enumerate(self.pending):
            header += [str(member), str(position)]
            body.append(data)
            position += len(data) + 1
            self.offsets[member] = (number, index)
        first = " ".join(header).encode()
        stream = pydyf.Stream([first, *body], {"Type": "/ObjStm", "N": len(self.pending),
                                               "First": len(first) + 1}, compress=True)
        self.pending = []
        stream.number, stream.generation = number, 0
        self.offsets[number] = self.out.tell()
        self.out.write(stream.indirect + b"\n")

    def add_part(self, part: Part) -> None:
        """Append the next part: its objects get the next `part.count` numbers, and are written."""
        shift = len(self.offsets)
        self.offsets.extend([None] * part.count)
        key_base = len(self.nums)
        relocate = _relocation(shift)
        for local, data in part.objects:
            self.put_data(shift + local, relocate(data))
        for local, head, content in part.streams:
            self.put_data(shift + local, relocate(head) + b"\nstream\n" + content + b"\nendstream", stream=True)
        for local, data, key in part.keyed:
            self.put_data(shift + local, relocate(_with(data, b"/StructParent %d" % (key + key_base))))
        self.nums.extend(relocate(value) for value in part.nums)
        self.kids.extend(relocate(kid) for kid in part.kids)
        part_index = self.parts
        local, data, xobjects = part.resources
        self.resources.append((shift + local, relocate(data), relocate(xobjects)))
        for local, data, contents, key in part.pages:
            if key is not None:
                data = _with(data, b"/StructParents %d" % (key + key_base))
            self.pages.append((shift + local, relocate(data), relocate(contents), part_index))
        self.bookmark_pages.extend(part.bookmark_pages)
        if part_index == 0:
            self.catalog = {key: relocate(value) for key, value in part.catalog.items()}
            self.info = part.info

    def add_footers(self, pdf: Any) -> None:
        """Write the footer document's pages as form XObjects, one for each page."""
        objects = pdf.objects
        page_numbers = [_number(reference) for reference in pdf.page_references]
        assert len(page_numbers) == len(self.pages), (len(page_numbers), len(self.pages))
        skipped = {pdf.catalog.number, pdf.pages.number, *page_numbers} | _outline_numbers(objects, pdf.catalog)
        if "Metadata" in pdf.catalog:
            skipped.add(_number(pdf.catalog["Metadata"]))
        numbers = {obj.number: self.reserve() for obj in objects[1:] if obj.number not in skipped}
        mapping = {old: b"%d 0 R" % new for old, new in numbers.items()}
        forms = []
        for number in page_numbers:
            page = objects[number]
            content = objects[_number(page["Contents"])]
            content.extra.update({"Type": "/XObject", "Subtype": "/Form", "BBox": page["MediaBox"],
                                  "Resources": page["Resources"]})
            forms.append(content.number)

        def fix(value: Any) -> Any:
            return _renumber(value, mapping)

        for obj in objects[1:]:
            if obj.number in skipped:
                continue
            fix(obj.extra if hasattr(obj, "extra") else obj)
            self.put(numbers[obj.number], obj)
        self.footers = [mapping[number] for number in forms]

    def finish(self, identifier: bytes) -> bytes:
        """Write the pages, structure tree, outline, catalog, cross-reference table and trailer."""
        import pydyf

        start = pydyf.Stream([b"q"])
        start_number = self.reserve()
        self.put(start_number, start)
        footers: list[list[bytes]] = [[] for _ in self.resources]  # each part's footer XObjects
        for index, (number, page, contents, part) in enumerate(self.pages):
            name = f"{FOOTER[1:]}{index + 1}"
            footers[part].append(b"/%s %s" % (name.encode(), self.footers[index]))
            draw = pydyf.Stream([b"Q", b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC",
                                 f"q /{name} Do Q".encode(), b"EMC"])
            draw_number = self.reserve()
            self.put(draw_number, draw)
            self.put_data(number, _with(page, b"/Parent %d 0 R/Contents [%d 0 R %s %d 0 R]"
                                        % (PAGES, start_number, contents, draw_number)))
        for (number, resources, xobjects), added in zip(self.resources, footers):
            self.put_data(number, _with(resources, b"/XObject <<%s>>" % (xobjects + b"".join(added))))
        self.put(PAGES, pydyf.Dictionary({
            "Type": "/Pages", "Count": len(self.pages),
            "Kids": pydyf.Array([f"{number} 0 R".encode() for number, *_ in self.pages])}))
        parent_tree = pydyf.Dictionary({"Nums": pydyf.Array(
            item for key, value in enumerate(self.nums) for item in (key, value))})
        parent_tree_number = self.reserve()
        self.put(parent_tree_number, parent_tree)
        self.put(DOCUMENT, pydyf.Dictionary({
            "Type": "/StructElem", "S": "/Document", "K": pydyf.Array(self.kids),
            "P": f"{ROOT} 0 R".encode()}))
        self.put(ROOT, pydyf.Dictionary({
            "Type": "/StructTreeRoot", "K": pydyf.Array([f"{DOCUMENT} 0 R".encode()]),
            "ParentTree": f"{parent_tree_number} 0 R".encode(), "ParentTreeNextKey": len(self.nums)}))
        catalog = pydyf.Dictionary({"Type": "/Catalog", "Pages": f"{PAGES} 0 R".encode(),
                                    **self.catalog,
                                    "StructTreeRoot": f"{ROOT} 0 R".encode()})
        outline = self._outline()
        if outline is not None:
            catalog["Outlines"] = outline
        catalog_number = self.reserve()
        self.put(catalog_number, catalog)
        info_number = self.reserve()
        self.put_data(info_number, self.info)
        self.flush()
        digest = hashlib.md5(self.out.getbuffer()).hexdigest().encode()
        xref_number = self.reserve()
        xref_offset = self.out.tell()
        self.offsets[xref_number] = xref_offset
        width = max(1, (xref_offset.bit_length() + 7) // 8)
        rows = [(0, 0, 65535)]
        for entry in self.offsets[1:]:
            rows.append((2, *entry) if isinstance(entry, tuple) else (1, entry, 0))
        table = b"".join(kind.to_bytes(1, "big") + field.to_bytes(width, "big") + index.to_bytes(2, "big")
                         for kind, field, index in rows)
        xref = pydyf.Stream([table], {
            "Type": "/XRef", "Size": len(self.offsets), "W": pydyf.Array([1, width, 2]),
            "Root": f"{catalog_number} 0 R".encode(), "Info": f"{info_number} 0 R".encode(),
            "ID": pydyf.Array([pydyf.String(identifier).data, pydyf.String(digest).data])}, compress=True)
        xref.number, xref.generation = xref_number, 0
        self.out.write(xref.indirect + b"\n")
        self.out.write(f"startxref\n{xref_offset}\n%%EOF\n".encode())
        return self.out.getvalue()

    def _outline(self) -> bytes | None:
        """Write the outline (bookmarks) of the headings of every part; return its reference."""
        import pydyf
        from weasyprint.document import Document as WeasyDocument

        tree = WeasyDocument.make_bookmark_tree(SimpleNamespace(pages=self.bookmark_pages),
                                                transform_pages=True)
        if not tree:
            return None
        root_number = self.reserve()

        def add(items: list[Any], parent: int) -> tuple[list[int], int]:
            count = len(items)
            numbers = [self.reserve() for _ in items]
            for index, (title, (page, x, y), children, state) in enumerate(items):
                kids, kid_count = add(children, numbers[index])
                item = pydyf.Dictionary({
                    "Title": pydyf.String(title),
                    "Dest": pydyf.Array([f"{self.pages[page][0]} 0 R".encode(), "/XYZ", x, y, 0]),
                    "Parent": f"{parent} 0 R".encode(),
                    "Count": -kid_count if state == "closed" else kid_count})
                if state != "closed":
                    count += kid_count
                if index:
                    item["Prev"] = f"{numbers[index - 1]} 0 R".encode()
                if index + 1 < len(items):
                    item["Next"] = f"{numbers[index + 1]} 0 R".encode()
                if kids:
                    item["First"] = f"{kids[0]} 0 R".encode()
                    item["Last"] = f"{kids[-1]} 0 R".encode()
                self.put(numbers[index], item)
            return numbers, count

        numbers, count = add(tree, root_number)
        self.put(root_number, pydyf.Dictionary({
            "Count": count, "First": f"{numbers[0]} 0 R".encode(), "Last": f"{numbers[-1]} 0 R".encode()}))
        return f"{root_number} 0 R".encode()


def _outline_numbers(objects: list[Any], catalog: Any) -> set[int]:
    """Return the numbers of a part's outline objects (its root and every item)."""
    if "Outlines" not in catalog:
        return set()
    found: set[int] = set()
    stack = [_number(catalog["Outlines"])]
    while stack:
        number = stack.pop()
        if number in found:
            continue
        found.add(number)
        item = objects[number]
        stack.extend(_number(item[key]) for key in ("First", "Next") if key in item)
    return found


def _footer_source(html: str) -> str:
    """Return the footer document: the overview's head, and its first <h1> hidden (it sets the
    running title, `string(plannavn)`), on one empty page; `_footer_pages` adds the others."""
    import lxml.html

    tree = lxml.html.document_fromstring(html)
    body = tree.find("body")
    heading = body.find(".//h1")
    title = lxml.html.tostring(heading, encoding="unicode", with_tail=False) if heading is not None else ""
    for child in list(body):
        body.remove(child)
    body.text = None
    style = lxml.html.Element("style")
    style.text = "html, body { background: none !important; }"  # lies over the page: only the footer
    tree.find("head").append(style)
    if title:
        heading = lxml.html.fragment_fromstring(title)
        heading.set("style", "visibility: hidden")
        body.append(heading)
    return lxml.html.tostring(tree, doctype="<!DOCTYPE html>", encoding="unicode")


def _footer_pages(source: str, total: int) -> str:
    """Return the footer document `source` with `total` pages."""
    import lxml.html

    tree = lxml.html.document_fromstring(source)
    body = tree.find("body")
    for _ in range(total - 1):
        body.append(lxml.html.fromstring('<div style="break-before: page"></div>'))
    return lxml.html.tostring(tree, doctype="<!DOCTYPE html>", encoding="unicode")
