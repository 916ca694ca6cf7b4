"""A long overview PDF, laid out in parts so that memory stays bounded, merged into one file.

WeasyPrint keeps the whole layout of a document in memory (about 0.2 MB per plan row), so a
10,000-row plan needs gigabytes in one process. Above `overview.SPLIT_ABOVE` rows the PDF is
made like this instead:

1. The overview HTML (the same template output as for a short plan) is cut into parts of about
   `PART_ROWS` rows: a part keeps the elements around its rows (sections, the table with its
   <colgroup> and <thead>, so the header row repeats on every page), and the first part also
   the title block. Nothing in the template knows about parts. A part never begins at an odd
   row of a <tbody>, so a group heading row stays with its first row and stripes stay right.
2. Each part is laid out and written by WeasyPrint on its own, tagged (PDF/UA-1), with its page
   margin boxes (the footer) switched off. Each part begins on a new page.
3. Knowing the total, one small untagged WeasyPrint document with as many empty pages, the
   template's own @page rules and the title (for `string(plannavn)`), draws every page's footer
   — `Side X af Y` comes from WeasyPrint's own page counters over the whole document.
4. pikepdf merges the parts: pages in order, each part's structure elements under the first
   part's one /Document element, /StructParents and the /ParentTree offset, and each footer
   laid over its page as a pagination artifact. The outline (bookmarks) is rebuilt from the
   parts' headings. Catalog entries (/Lang, /MarkInfo, /ViewerPreferences, XMP metadata with
   the title and the PDF/UA identification) are the first part's.

Every step is deterministic (fixed part boundaries, font subsets, `SOURCE_DATE_EPOCH`, and an
/ID computed from the content), so the same plan gives the same bytes. The parts are
independent until the merge, so they could be laid out in parallel processes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pipeline.model import Document

# Switches off every page margin box of a part; the footer overlay draws them instead.
_MARGIN_BOXES = (
    "top-left-corner", "top-left", "top-center", "top-right", "top-right-corner",
    "right-top", "right-middle", "right-bottom", "bottom-right-corner", "bottom-right",
    "bottom-center", "bottom-left", "bottom-left-corner", "left-bottom", "left-middle", "left-top",
)
NO_MARGIN_BOXES = "@page { " + " ".join(f"@{name} {{ content: none !important; }}"
                                        for name in _MARGIN_BOXES) + " }"


@dataclass
class _Part:
    pdf: bytes
    pages: list[Any]  # lightweight (bookmarks, width, height) per page, for the outline


# --- Cutting the HTML ----------------------------------------------------------------------------

def split_html(html: str, part_rows: int) -> list[str]:
    """Return the overview HTML cut into parts of about `part_rows` rows (one part if it is short)."""
    import lxml.html

    tree = lxml.html.document_fromstring(html)
    body = tree.find("body")
    units: list[Any] = []  # leaves in document order: table body rows and table-free elements
    _collect(body, units)
    cuts = _cuts(units, part_rows)
    parts = []
    for start, end in zip(cuts, cuts[1:]):
        keep = set()
        for unit in units[start:end]:
            keep.update(unit.iter())
            keep.update(unit.iterancestors())
        part = copy.deepcopy(tree)
        _prune(tree, part, keep)
        head = part.find("head")
        style = lxml.html.Element("style")
        style.text = NO_MARGIN_BOXES
        head.append(style)
        parts.append(lxml.html.tostring(part, doctype="<!DOCTYPE html>", encoding="unicode"))
    return parts


def _is_row(element: Any) -> bool:
    parent = element.getparent()
    return element.tag == "tr" and parent is not None and parent.tag == "tbody"


def _collect(element: Any, units: list[Any]) -> None:
    """Append the leaves under `element`: rows of table bodies, and elements holding no table."""
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments
        if child.tag == "table":
            for section in child:
                if section.tag == "tbody":
                    units.extend(row for row in section if row.tag == "tr")
        elif child.find(".//table") is not None:
            _collect(child, units)
        else:
            units.append(child)


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
            rows += 1
    cuts.append(len(units))
    return cuts


def _prune(original: Any, part: Any, keep: set[Any]) -> None:
    """Remove from `part` (a deep copy of `original`) the body elements outside `keep` (the part's
    leaves, their content and their ancestors). A kept table keeps its caption, colgroup and thead."""
    for source, target in zip(list(original.find("body").iter()), list(part.find("body").iter())):
        if source.tag == "body" or not isinstance(source.tag, str):
            continue
        if source in keep:
            continue
        parent = source.getparent()
        if parent is not None and parent.tag == "table" and parent in keep and source.tag != "tbody":
            continue  # caption, colgroup, thead, tfoot of a kept table
        if parent is not None and parent not in keep and parent.tag != "body":
            continue  # removed with its parent already
        target.getparent().remove(target)


# --- Rendering and merging -----------------------------------------------------------------------

def render_split(document: Document, html: str, root: Path, part_rows: int) -> bytes:
    """Return the overview PDF for `html`, laid out in parts of about `part_rows` rows."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    from pipeline.overview import (PDF_VARIANT, _add_header_scopes, _check_log, _sealed,
                                   _weasyprint_log, fetch_errors, pdf_identifier, template_fetcher)

    sources = split_html(html, part_rows)
    title = _title_element(html)
    parts: list[_Part] = []
    with _sealed(document.year, root / "fonts"), _weasyprint_log() as records, fetch_errors():
        for source in sources:
            fonts = FontConfiguration()  # reads FONTCONFIG_FILE now: the bundled font only
            laid_out = weasyprint.HTML(string=source, base_url=root.as_uri() + "/",
                                       url_fetcher=template_fetcher(root)).render(font_config=fonts)
            pages = [SimpleNamespace(bookmarks=p.bookmarks, width=p.width, height=p.height)
                     for p in laid_out.pages]
            pdf = laid_out.write_pdf(pdf_variant=PDF_VARIANT, finisher=_add_header_scopes,
                                     pdf_identifier=pdf_identifier(document))
            parts.append(_Part(pdf, pages))
            del laid_out
        total = sum(len(part.pages) for part in parts)
        fonts = FontConfiguration()
        footers = weasyprint.HTML(string=_footer_html(html, title, total), base_url=root.as_uri() + "/",
                                  url_fetcher=template_fetcher(root)).write_pdf(font_config=fonts)
    _check_log(records)
    return merge(parts, footers)


def _title_element(html: str) -> str:
    """Return the first <h1> of the overview as HTML (it sets the footer's running title)."""
    import lxml.html

    heading = lxml.html.document_fromstring(html).find(".//h1")
    return lxml.html.tostring(heading, encoding="unicode", with_tail=False) if heading is not None else ""


def _footer_html(html: str, title: str, total: int) -> str:
    """Return a document of `total` empty pages with the template's head, for drawing footers."""
    import lxml.html

    tree = lxml.html.document_fromstring(html)
    body = tree.find("body")
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
    for _ in range(total - 1):
        body.append(lxml.html.fromstring('<div style="break-before: page"></div>'))
    return lxml.html.tostring(tree, doctype="<!DOCTYPE html>", encoding="unicode")


def merge(parts: list[_Part], footers: bytes) -> bytes:
    """Return the parts as one tagged PDF, with each page's footer drawn over it as an artifact."""
    import pikepdf

    out = pikepdf.open(BytesIO(parts[0].pdf))
    tree_root = out.Root.StructTreeRoot
    top = tree_root.K[0]  # the one /Document element
    nums = tree_root.ParentTree.Nums
    next_key = max(int(nums[i]) for i in range(0, len(nums), 2)) + 1
    for part in parts[1:]:
        source = pikepdf.open(BytesIO(part.pdf))
        first = len(out.pages)
        for page in source.pages:
            out.pages.append(page)
        source_nums = source.Root.StructTreeRoot.ParentTree.Nums
        keys = {}
        for i in range(0, len(source_nums), 2):
            keys[int(source_nums[i])] = next_key
            nums.append(next_key)
            value = source_nums[i + 1]  # a page's array of elements, or an annotation's element
            nums.append(out.copy_foreign(value) if value.is_indirect
                        else pikepdf.Array([out.copy_foreign(item) for item in value]))
            next_key += 1
        for page in out.pages[first:]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = keys[int(page.obj.StructParents)]
            for annotation in page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    annotation.StructParent = keys[int(annotation.StructParent)]
        for element in source.Root.StructTreeRoot.K[0].K:
            copied = out.copy_foreign(element)
            copied.P = top
            top.K.append(copied)
    tree_root.ParentTree.Nums = nums
    _overlay_footers(out, footers)
    _outline(out, [page for part in parts for page in part.pages])
    buffer = BytesIO()
    out.save(buffer, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate,
             compress_streams=True)
    return buffer.getvalue()


def _overlay_footers(out: Any, footers: bytes) -> None:
    """Draw page i of `footers` over page i of `out`, marked as a pagination artifact."""
    import pikepdf

    overlay = pikepdf.open(BytesIO(footers))
    assert len(overlay.pages) == len(out.pages), (len(overlay.pages), len(out.pages))
    for page, footer in zip(out.pages, overlay.pages):
        form = out.copy_foreign(pikepdf.Page(footer).as_form_xobject())
        name = page.add_resource(form, pikepdf.Name.XObject, prefix="Fp")
        page.contents_add(pikepdf.Stream(out, b"q\n"), prepend=True)
        page.contents_add(pikepdf.Stream(
            out, b"Q\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC\nq\n"
                 + bytes(name) + b" Do\nQ\nEMC\n"))


def _outline(out: Any, pages: list[Any]) -> None:
    """Replace the first part's outline by one made from every part's headings."""
    import pikepdf
    from weasyprint.document import Document as WeasyDocument

    tree = WeasyDocument.make_bookmark_tree(SimpleNamespace(pages=pages), transform_pages=True)
    if "/Outlines" in out.Root:
        del out.Root.Outlines
    if not tree:
        return

    def add(items: list[Any], parent: Any) -> tuple[list[Any], int]:
        count = len(items)
        made: list[Any] = []
        for title, (page, x, y), children, state in items:
            item = out.make_indirect(pikepdf.Dictionary(
                Title=pikepdf.String(title),
                Dest=pikepdf.Array([out.pages[page].obj, pikepdf.Name.XYZ, x, y, 0])))
            item.Parent = parent
            kids, kid_count = add(children, item)
            item.Count = -kid_count if state == "closed" else kid_count
            if state != "closed":
                count += kid_count
            if made:
                item.Prev = made[-1]
                made[-1].Next = item
            if kids:
                item.First, item.Last = kids[0], kids[-1]
            made.append(item)
        return made, count

    outlines = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
    made, count = add(tree, outlines)
    outlines.First, outlines.Last, outlines.Count = made[0], made[-1], count
    out.Root.Outlines = outlines
