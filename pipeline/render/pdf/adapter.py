"""The one module that reaches into WeasyPrint's and pydyf's internals.

WeasyPrint lays a document out and hands its PDF objects to pydyf, which writes the file.
A long overview needs the objects themselves, so this module relies on things neither
library promises to keep (tests/test_weasyprint_shape.py fails, naming what changed, when an
upgrade breaks one of them):

- `weasyprint.pdf.generate_pdf` and `VARIANTS`: the first half of `Document.write_pdf`, which
  returns the pydyf document before it is written;
- the finisher hook of `write_pdf`, called with that pydyf document (`add_header_scopes`);
- the shape of WeasyPrint's pydyf document: the catalog's /StructTreeRoot with one /Document
  element and a /ParentTree, one shared /Resources for all pages, pages with /Contents and
  /StructParents, annotations with /StructParent, an outline under /Outlines;
- pydyf's private serialiser `_to_bytes`, and how `pydyf.Stream` compresses;
- the Pango and HarfBuzz handles in `weasyprint.text.ffi`, for their versions.

What leaves this module is plain data (`pipeline.render.pdf.part`): bytes, numbers and text.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from typing import Any

import pydyf

from pipeline.core.digest import package_versions
from pipeline.render.pdf.part import DOCUMENT, PAGES, BookmarkPage, Footers, Part, checked, marker

PDF_VARIANT = "pdf/ua-1"
# The libraries whose versions shape the PDF's bytes (the part cache's key holds them).
PACKAGES = ("weasyprint", "pydyf", "fonttools")
_REFERENCE = re.compile(rb"(\d+) (\d+) R")


# --- WeasyPrint's PDF objects ------------------------------------------------------------------

def whole_pdf(layout: Callable[..., Any], html: str, identifier: bytes) -> bytes:
    """Lay `html` out with `layout` and return it as one tagged PDF/UA-1 file with the /ID `identifier`."""
    options = {"pdf_variant": PDF_VARIANT, "pdf_identifier": identifier}
    return layout(html, **options).write_pdf(finisher=add_header_scopes, **options)


def pdf_objects(laid_out: Any, **options: Any) -> Any:
    """Return WeasyPrint's PDF objects (a pydyf.PDF) for a laid-out document, not yet written.

    This is the first half of `weasyprint.Document.write_pdf` (which then calls the finisher
    and writes the file); the merge writes the objects itself instead."""
    from weasyprint import DEFAULT_OPTIONS
    from weasyprint.pdf import VARIANTS, generate_pdf

    settings = {**DEFAULT_OPTIONS, **options}
    if variant := settings["pdf_variant"]:
        _, properties = VARIANTS[variant]
        for key, value in tuple(settings.items()):
            if value is None and key in properties:
                settings[key] = properties[key]
    return generate_pdf(laid_out, None, 1, **settings)


def add_header_scopes(_document: Any, pdf: Any) -> None:
    """Give every tagged table header cell (/TH) a /Scope: /Column in a thead, else /Row.

    A finisher for `write_pdf`: WeasyPrint tags header cells without a scope, which PDF/UA-1
    requires for a table whose headers are not all in its first row."""
    objects = pdf.objects

    def parent(element: Any) -> Any:
        reference = element.get("P")
        return objects[int(reference.split()[0])] if isinstance(reference, bytes) else None

    for element in objects:
        if isinstance(element, dict) and element.get("S") == "/TH":
            row = parent(element)
            section = parent(row) if row is not None else None
            in_head = section is not None and section.get("S") == "/THead"
            attributes = element.setdefault("A", type(element)({"O": "/Table"}))
            attributes["Scope"] = "/Column" if in_head else "/Row"


def tagged_objects(laid_out: Any) -> tuple[Any, list[BookmarkPage]]:
    """Return a laid-out part's tagged PDF objects (a pydyf.PDF, table headers scoped) and its
    pages' headings; the layout itself is not needed after this."""
    pdf = pdf_objects(laid_out, pdf_variant=PDF_VARIANT)
    add_header_scopes(laid_out, pdf)
    return pdf, [BookmarkPage(page.bookmarks, page.width, page.height) for page in laid_out.pages]


def serialised_part(pdf: Any, bookmark_pages: list[BookmarkPage], *, first: bool) -> Part:
    """Return a part's PDF objects (from `tagged_objects`) as a Part, serialised for the merge;
    `first` keeps the catalog entries and XMP metadata the merged document takes from it."""
    return _PartReader(pdf, first=first).part(bookmark_pages)


def footer_forms(laid_out: Any) -> Footers:
    """Return the footer document's pages as form XObjects, with what they use, for the writer."""
    pdf = pdf_objects(laid_out)
    objects, catalog = pdf.objects, pdf.catalog
    page_numbers = [_number(reference) for reference in pdf.page_references]
    skipped = {catalog.number, pdf.pages.number, *page_numbers} | _outline_numbers(objects, catalog)
    if "Metadata" in catalog:
        skipped.add(_number(catalog["Metadata"]))
    kept = [obj.number for obj in objects[1:] if obj.number not in skipped]
    local = {number: index for index, number in enumerate(kept)}
    mapping = {number: marker(index) for number, index in local.items()}
    forms = []
    for number in page_numbers:
        page = objects[number]
        content = objects[_number(page["Contents"])]
        content.extra.update({"Type": "/XObject", "Subtype": "/Form", "BBox": page["MediaBox"],
                              "Resources": page["Resources"]})
        forms.append(local[content.number])
    footers = Footers(len(kept), [], forms)
    for number in kept:
        obj = objects[number]
        if isinstance(obj, pydyf.Stream):
            _renumber(obj.extra, mapping)
            footers.objects.append((local[number], *_stream_parts(obj)))
        else:
            footers.objects.append((local[number], checked(_renumber(obj, mapping).data), None))
    return footers


def library_versions() -> dict[str, str]:
    """Return the versions of the libraries that shape the PDF's bytes: WeasyPrint, pydyf and
    fontTools (the packages), Pango (layout) and HarfBuzz (shaping, font subsets)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset, pango

    versions = package_versions(*PACKAGES)
    versions["pango"] = str(pango.pango_version())
    found = _highest_version(harfbuzz.hb_version_atleast)
    versions["harfbuzz"] = ".".join(map(str, found)) + ("" if harfbuzz_subset else " without subset")
    return versions


def _highest_version(at_least: Callable[[int, int, int], Any]) -> tuple[int, int, int]:
    """Return the highest (major, minor, micro) for which `at_least` holds: a library's version,
    found by asking (HarfBuzz's version function is not among those WeasyPrint declares)."""
    found = [0, 0, 0]
    for position in range(3):
        low, high = 0, 1
        while at_least(*found[:position], high, *[0] * (2 - position)):
            low, high = high, high * 2
        while high - low > 1:  # at_least holds for low, not for high
            middle = (low + high) // 2
            if at_least(*found[:position], middle, *[0] * (2 - position)):
                low = middle
            else:
                high = middle
        found[position] = low
    return found[0], found[1], found[2]


# --- A part's objects as plain data --------------------------------------------------------------

class _PartReader:
    """Turns one part's pydyf document into a Part: numbered locally, streams compressed, and
    everything the merge does not change serialised. `first` keeps the catalog entries and
    the XMP metadata, which the merged document takes from its first part."""

    def __init__(self, pdf: Any, *, first: bool):
        self.pdf, self.first = pdf, first
        self.objects = objects = pdf.objects
        catalog = pdf.catalog
        tree_root = objects[_number(catalog["StructTreeRoot"])]
        self.document = objects[_number(tree_root["K"][0])]
        self.parent_tree = objects[_number(tree_root["ParentTree"])]
        self.page_numbers = [_number(reference) for reference in pdf.page_references]
        resources = {_number(objects[n]["Resources"]) for n in self.page_numbers}
        assert len(resources) == 1, "WeasyPrint shares one /Resources among a document's pages"
        self.resources_number = resources.pop()
        skipped = {catalog.number, pdf.pages.number, tree_root.number, self.document.number,
                   self.parent_tree.number} | _outline_numbers(objects, catalog)
        if "Metadata" in catalog and not first:
            skipped.add(_number(catalog["Metadata"]))
        self.kept = [obj.number for obj in objects[1:] if obj.number not in skipped]
        self.local = {number: index for index, number in enumerate(self.kept)}
        self.mapping = {number: marker(index) for number, index in self.local.items()}
        self.mapping[pdf.pages.number] = b"%d 0 R" % PAGES
        self.mapping[self.document.number] = b"%d 0 R" % DOCUMENT
        self.keys: dict[int, int] = {}  # the parent tree's keys: WeasyPrint's → the part's 0, 1, …

    def part(self, bookmark_pages: list[BookmarkPage]) -> Part:
        pdf, objects = self.pdf, self.objects
        nums = self._parent_tree()
        for reference in self.document["K"]:
            objects[_number(reference)]["P"] = b"%d 0 R" % self.document.number  # renumbered below
        resources = self.fix(objects[self.resources_number])
        xobjects = resources.get("XObject", {})
        part = Part(len(self.kept), [], [], [], [],
                    (self.local[self.resources_number], _without(resources, "XObject"),
                     b"".join(b"/%s %s" % (_serialise(name), _serialise(value)) for name, value in xobjects.items())),
                    [self.fix(reference) for reference in self.document["K"]],
                    nums, bookmark_pages, {}, checked(_serialise(pdf.info)))
        self._add_objects(part)
        if self.first:
            part.catalog = {key: checked(_serialise(self.fix(value))) for key, value in pdf.catalog.items()
                            if key not in ("Type", "Pages", "StructTreeRoot", "Outlines")}
        return part

    def fix(self, value: Any) -> Any:
        return _renumber(value, self.mapping)

    def _parent_tree(self) -> list[bytes]:
        """Return the parent tree's values; its keys (a page's /StructParents, an annotation's
        /StructParent) become 0, 1, … in order, kept in `self.keys`."""
        nums: list[bytes] = []
        tree = self.parent_tree["Nums"]
        for index in range(0, len(tree), 2):
            self.keys[int(tree[index])] = len(nums)
            nums.append(checked(_serialise(self.fix(tree[index + 1]))))
        return nums

    def _add_objects(self, part: Part) -> None:
        """Add the kept objects to `part`: streams, keyed objects, the others, then the pages."""
        local, keys = self.local, self.keys
        for number in self.kept:
            obj = self.objects[number]
            if number in self.page_numbers or number == self.resources_number:
                continue
            if isinstance(obj, pydyf.Stream):
                self.fix(obj.extra)
                part.streams.append((local[number], *_stream_parts(obj)))
            elif isinstance(obj, dict) and "StructParent" in obj:
                part.keyed.append((local[number], _without(self.fix(obj), "StructParent"),
                                   keys[int(obj["StructParent"])]))
            else:
                part.objects.append((local[number], checked(self.fix(obj).data)))
        for number in self.page_numbers:
            page = self.fix(self.objects[number])
            key = keys[int(page["StructParents"])] if "StructParents" in page else None
            part.pages.append((local[number], _without(page, "Parent", "Contents", "StructParents"),
                               checked(_serialise(page["Contents"])), key))


# --- Serialising ---------------------------------------------------------------------------------

def _serialise(value: Any) -> bytes:
    """Return a PDF value as pydyf writes it."""
    from pydyf import _to_bytes as pydyf_bytes  # pydyf's own serialiser (not exported)

    return pydyf_bytes(value)


def _stream_parts(obj: Any) -> tuple[bytes, bytes]:
    """Return a pydyf stream as (its dictionary with /Length, its content), compressed exactly
    as pydyf compresses when writing (so the written bytes do not change). A WeasyPrint
    content stream holds Pango handles; what is returned is plain bytes."""
    content = b"\n".join(_serialise(item) for item in obj.stream)
    extra = pydyf.Dictionary(obj.extra)
    if obj.compress:
        extra["Filter"] = "/FlateDecode"
        compressor = zlib.compressobj(level=9)
        content = compressor.compress(content) + compressor.flush()
    extra["Length"] = len(content)
    return checked(extra.data), content


def _without(dictionary: Any, *keys: str) -> bytes:
    """Return a pydyf dictionary serialised without `keys` (the merge adds them)."""
    return checked(pydyf.Dictionary({k: v for k, v in dictionary.items() if k not in keys}).data)


def _number(reference: Any) -> int:
    """Return the object number of a reference (b"12 0 R")."""
    return int(_ascii(reference).split()[0])


def _renumber(value: Any, mapping: dict[int, bytes]) -> Any:
    """Return a PDF value with every object reference `N 0 R` replaced by `mapping[N]` (in place)."""
    if isinstance(value, (bytes, str)):
        match = _REFERENCE.fullmatch(_ascii(value)) if value[:1] not in ("/", b"/") else None
        return mapping[int(match[1])] if match else value
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _renumber(item, mapping)
    elif isinstance(value, list):
        value[:] = [_renumber(item, mapping) for item in value]
    return value


def _ascii(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("ascii")


def _outline_numbers(objects: list[Any], catalog: Any) -> set[int]:
    """Return the numbers of a document's outline objects (its root and every item)."""
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


