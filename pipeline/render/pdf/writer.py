"""The streaming writer of a merged PDF: parts and footers in, one tagged PDF file out, bytes only.

The parts come in order (`Writer.add_part`): a part's objects get the next free numbers (one
regular expression relocates its marked references, see `pipeline.render.pdf.part`) and are
written at once, so memory holds about one part at a time. Dictionaries and arrays go into
compressed object streams of OBJECT_STREAM objects each; streams are written as they come.

Held back until the end are only the small things that need the whole document: the page
dictionaries (their /Parent, their footers), each part's shared page resources, the structure
elements directly under /Document, the parent tree's values, and the headings for the outline.
`Writer.finish` then writes the pages, one structure tree (a single /Document element over
every part's elements, /StructParents and the /ParentTree renumbered), each footer laid over
its page as a form XObject in a /Pagination artifact, the outline, the catalog (the first
part's entries: /Lang, /MarkInfo, /ViewerPreferences, XMP metadata), /Info, and a
cross-reference stream.

This module knows PDF syntax (`pipeline.render.pdf.syntax`) and nothing of WeasyPrint or
pydyf: what it is given is plain data, and tests/test_pdf_writer.py builds that by hand.
"""

from __future__ import annotations

import hashlib
from io import BytesIO
from typing import Any

from pipeline.render.pdf import syntax
from pipeline.render.pdf.outline import Outline
from pipeline.render.pdf.part import DOCUMENT, PAGES, ROOT, Footers, Part, relocation, with_entries

OBJECT_STREAM = 1000  # objects per compressed object stream of the merged PDF
FOOTER = "/PipelineFooter"  # page N draws its footer, the form XObject /PipelineFooterN


class Writer:
    """Writes the merged PDF object by object: a part's objects leave memory once it is added."""

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
        self.nums: list[bytes] = []
        self.catalog: dict[str, bytes] = {}
        self.info = b""
        self.footers: list[bytes] = []

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def parts(self) -> int:
        return len(self.resources)

    def reserve(self) -> int:
        """Return the next free object number."""
        self.offsets.append(None)
        return len(self.offsets) - 1

    def put(self, number: int, data: bytes) -> None:
        """Write object `number`, a dictionary or an array serialised as `data`, into the
        compressed object streams."""
        self.pending.append((number, data))
        if len(self.pending) >= OBJECT_STREAM:
            self.flush()

    def put_stream(self, number: int, data: bytes) -> None:
        """Write object `number`, a stream serialised as `data`, at once."""
        self.offsets[number] = self.out.tell()
        self.out.write(syntax.indirect(number, data) + b"\n")

    def flush(self) -> None:
        """Write the pending objects as one object stream."""
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
        content = b"\n".join([first, *body])
        entries = {"Type": "/ObjStm", "N": len(self.pending), "First": len(first) + 1}
        self.pending = []
        self.put_stream(number, syntax.stream(content, entries, compress=True))

    def add_part(self, part: Part) -> None:
        """Append the next part: its objects get the next `part.count` numbers, and are written."""
        shift = len(self.offsets)
        self.offsets.extend([None] * part.count)
        key_base = len(self.nums)
        relocate = relocation(shift)
        for local, data in part.objects:
            self.put(shift + local, relocate(data))
        for local, head, content in part.streams:
            self.put_stream(shift + local, relocate(head) + b"\nstream\n" + content + b"\nendstream")
        for local, data, key in part.keyed:
            self.put(shift + local, relocate(with_entries(data, b"/StructParent %d" % (key + key_base))))
        self.nums.extend(relocate(value) for value in part.nums)
        self.kids.extend(relocate(kid) for kid in part.kids)
        part_index = self.parts
        local, data, xobjects = part.resources
        self.resources.append((shift + local, relocate(data), relocate(xobjects)))
        for local, data, contents, key in part.pages:
            if key is not None:
                data = with_entries(data, b"/StructParents %d" % (key + key_base))
            self.pages.append((shift + local, relocate(data), relocate(contents), part_index))
        self.bookmark_pages.extend(part.bookmark_pages)
        if part_index == 0:
            self.catalog = {key: relocate(value) for key, value in part.catalog.items()}
            self.info = part.info

    def add_footers(self, footers: Footers) -> None:
        """Write the footer document's objects: a form XObject for each page, and what they use."""
        assert len(footers.forms) == len(self.pages), (len(footers.forms), len(self.pages))
        shift = len(self.offsets)
        self.offsets.extend([None] * footers.count)
        relocate = relocation(shift)
        for local, head, content in footers.objects:
            if content is None:
                self.put(shift + local, relocate(head))
            else:
                self.put_stream(shift + local, relocate(head) + b"\nstream\n" + content + b"\nendstream")
        self.footers = [syntax.reference(shift + local) for local in footers.forms]

    def finish(self, identifier: bytes, outline: Outline | None = None) -> bytes:
        """Write the pages, structure tree, outline, catalog, /Info and cross-reference stream;
        return the whole file. `identifier` is the first half of the file's /ID."""
        self._write_pages()
        parent_tree_number = self.reserve()
        self.put(parent_tree_number, syntax.dictionary({"Nums": syntax.array(
            item for key, value in enumerate(self.nums) for item in (key, value))}))
        self.put(DOCUMENT, syntax.dictionary({
            "Type": "/StructElem", "S": "/Document", "K": syntax.array(self.kids),
            "P": syntax.reference(ROOT)}))
        self.put(ROOT, syntax.dictionary({
            "Type": "/StructTreeRoot", "K": syntax.array([syntax.reference(DOCUMENT)]),
            "ParentTree": syntax.reference(parent_tree_number), "ParentTreeNextKey": len(self.nums)}))
        catalog = {"Type": "/Catalog", "Pages": syntax.reference(PAGES), **self.catalog,
                   "StructTreeRoot": syntax.reference(ROOT)}
        if outline:
            catalog["Outlines"] = self._write_outline(outline)
        catalog_number = self.reserve()
        self.put(catalog_number, syntax.dictionary(catalog))
        info_number = self.reserve()
        self.put(info_number, self.info)
        self.flush()
        self._write_cross_references(catalog_number, info_number, identifier)
        return self.out.getvalue()

    def _write_pages(self) -> None:
        """Write each page (its footer drawn last, over its content), the resources and the page tree."""
        start_number = self.reserve()
        self.put_stream(start_number, syntax.stream(b"q"))
        footers: list[list[bytes]] = [[] for _ in self.resources]  # each part's footer XObjects
        for index, (number, page, contents, part) in enumerate(self.pages):
            name = f"{FOOTER[1:]}{index + 1}"
            footers[part].append(b"/%s %s" % (name.encode(), self.footers[index]))
            draw = b"\n".join([b"Q", b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC",
                               f"q /{name} Do Q".encode(), b"EMC"])
            draw_number = self.reserve()
            self.put_stream(draw_number, syntax.stream(draw))
            self.put(number, with_entries(page, b"/Parent %d 0 R/Contents [%d 0 R %s %d 0 R]"
                                          % (PAGES, start_number, contents, draw_number)))
        for (number, resources, xobjects), added in zip(self.resources, footers):
            self.put(number, with_entries(resources, b"/XObject <<%s>>" % (xobjects + b"".join(added))))
        self.put(PAGES, syntax.dictionary({
            "Type": "/Pages", "Count": len(self.pages),
            "Kids": syntax.array(syntax.reference(number) for number, *_ in self.pages)}))

    def _write_outline(self, tree: Outline) -> bytes:
        """Write the outline (bookmarks) of `tree`; return a reference to its root."""
        root_number = self.reserve()

        def add(items: Outline, parent: int) -> tuple[list[int], int]:
            count = len(items)
            numbers = [self.reserve() for _ in items]
            for index, (title, (page, x, y), children, state) in enumerate(items):
                kids, kid_count = add(children, numbers[index])
                item = {
                    "Title": syntax.string(title),
                    "Dest": syntax.array([syntax.reference(self.pages[page][0]), "/XYZ", x, y, 0]),
                    "Parent": syntax.reference(parent),
                    "Count": -kid_count if state == "closed" else kid_count}
                if state != "closed":
                    count += kid_count
                if index:
                    item["Prev"] = syntax.reference(numbers[index - 1])
                if index + 1 < len(items):
                    item["Next"] = syntax.reference(numbers[index + 1])
                if kids:
                    item["First"] = syntax.reference(kids[0])
                    item["Last"] = syntax.reference(kids[-1])
                self.put(numbers[index], syntax.dictionary(item))
            return numbers, count

        numbers, count = add(tree, root_number)
        self.put(root_number, syntax.dictionary({
            "Count": count, "First": syntax.reference(numbers[0]), "Last": syntax.reference(numbers[-1])}))
        return syntax.reference(root_number)

    def _write_cross_references(self, catalog: int, info: int, identifier: bytes) -> None:
        """Write the cross-reference stream (with the trailer's entries) and `startxref`.

        The /ID's second half is the MD5 of everything written before it: the same content
        gives the same /ID, and no clock is involved."""
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
        self.out.write(syntax.indirect(xref_number, syntax.stream(table, {
            "Type": "/XRef", "Size": len(self.offsets), "W": syntax.array([1, width, 2]),
            "Root": syntax.reference(catalog), "Info": syntax.reference(info),
            "ID": syntax.array([syntax.string(identifier), syntax.string(digest)])}, compress=True)) + b"\n")
        self.out.write(f"startxref\n{xref_offset}\n%%EOF\n".encode())
