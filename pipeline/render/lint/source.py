"""Read a template into what the linter checks, each piece located the way a case officer finds it.

A .docx template is read part by part (body, page headers, page footers, footnotes). Each
paragraph keeps its text, where Word's runs split it and why (formatting, a bookmark, a
comment, a tracked change …), which of its text is a tracked change, and its place: the section
heading above it and its paragraph number, or its table, row and column. Each part also carries
the text Jinja really parses: docxtpl's `patch_xml` applied to it. An HTML template is one
"paragraph" whose places are line numbers. What it is all read into is in `model.py`.

This module is the linter's one adapter to docxtpl (pinned in pyproject.toml): it calls
`DocxTemplate.patch_xml`; `tests/test_check_structure.py` checks it against real templates.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

from pipeline.render.lint.model import SPLIT_CAUSES, Comment, Paragraph, Place, Source

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# The parts of a .docx docxtpl renders: body, headers, footers, footnotes.
RENDERED_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes)\.xml")


@dataclass
class _Numbering:
    """Running numbers while a part is read: paragraphs outside tables, tables, the last heading."""

    paragraphs: int = 0
    heading: str = ""
    tables: dict[str, int] = field(default_factory=dict)


# --- .docx ---------------------------------------------------------------------------------------

def docx_sources(path: Path) -> list[Source]:
    """Return the rendered parts of a .docx, body first, then headers, footers and footnotes.

    Raises zipfile.BadZipFile, KeyError or etree.XMLSyntaxError for a file that is no .docx.
    """
    from docxtpl import DocxTemplate

    patcher = DocxTemplate(path)  # only its patch_xml is used; nothing is loaded
    sources = []
    with zipfile.ZipFile(path) as package:
        names = [n for n in package.namelist() if RENDERED_PARTS.fullmatch(n)]
        if "word/document.xml" not in names:
            raise KeyError("word/document.xml")
        order = ("word/document", "word/header", "word/footer", "word/footnotes")
        names.sort(key=lambda n: (next(i for i, prefix in enumerate(order) if n.startswith(prefix)), _natural(n)))
        headings = heading_styles(package)
        counts: dict[str, int] = {}
        for name in names:
            counts[_part_name(name)] = counts.get(_part_name(name), 0) + 1
        seen: dict[str, int] = {}
        for name in names:
            root = etree.fromstring(package.read(name))
            part = _part_name(name)
            if part:
                seen[part] = seen.get(part, 0) + 1
                if counts[part] > 1:
                    part = f"{part} {seen[part]}"
            # What Jinja sees, prepared as docxtpl does: patch_xml, then each paragraph on a line of
            # its own (`DocxTemplate.render_xml_part`), so Jinja's line numbers lead to paragraphs.
            jinja = patcher.patch_xml(etree.tostring(root, encoding="unicode"))
            jinja = re.sub(r"<w:p([ >])", r"\n<w:p\1", jinja)
            paragraphs = tuple(_paragraphs(root, Place(path.name, part), headings if not part else set()))
            sources.append(Source(path.name, part, paragraphs, jinja))
    return sources


def docx_comments(path: Path) -> list[Comment]:
    """Return the comments of a .docx, each with the place its anchor is in the body."""
    with zipfile.ZipFile(path) as package:
        if "word/comments.xml" not in package.namelist():
            return []
        comments = etree.fromstring(package.read("word/comments.xml"))
        body = etree.fromstring(package.read("word/document.xml"))
        headings = heading_styles(package)
    anchors: dict[str, Place] = {}
    for paragraph, element in zip(_paragraphs(body, Place(path.name), headings), body.iter(f"{W}p")):
        for marker in element.iter(f"{W}commentRangeStart", f"{W}commentReference"):
            anchors.setdefault(marker.get(f"{W}id", ""), paragraph.place)
    found = []
    for comment in comments.iter(f"{W}comment"):
        text = "\n".join("".join(t.text or "" for t in p.iter(f"{W}t")) for p in comment.iter(f"{W}p"))
        found.append(Comment(text, anchors.get(comment.get(f"{W}id", ""), Place(path.name))))
    return found


def _natural(name: str) -> tuple:
    """Sort key that puts header2.xml before header10.xml."""
    return tuple(int(piece) if piece.isdigit() else piece for piece in re.split(r"(\d+)", name))


def _part_name(part: str) -> str:
    """Return how messages name a part: "" for the body, else where in the document it is."""
    for prefix, where in (("word/header", "sidehoved"), ("word/footer", "sidefod"),
                          ("word/footnotes", "fodnoter")):
        if part.startswith(prefix):
            return where
    return ""


_HEADING_NAME = re.compile(r"(heading|overskrift)\s*\d", re.IGNORECASE)


def heading_styles(package: zipfile.ZipFile) -> set[str]:
    """Return the ids of the paragraph styles that are section headings (Overskrift 1, 2 …)."""
    try:
        styles = etree.fromstring(package.read("word/styles.xml"))
    except (KeyError, etree.XMLSyntaxError):
        return {"Heading1", "Heading2", "Heading3"}
    found = set()
    for style in styles.iter(f"{W}style"):
        name = style.find(f"{W}name")
        outline = style.find(f"{W}pPr/{W}outlineLvl")
        if (name is not None and _HEADING_NAME.match(name.get(f"{W}val", ""))) or outline is not None:
            found.add(style.get(f"{W}styleId", ""))
    return found


def is_heading(paragraph: etree._Element, headings: set[str]) -> bool:
    """True when a `w:p` is a section heading: a heading style, or an outline level of its own."""
    style = paragraph.find(f"{W}pPr/{W}pStyle")
    return ((style is not None and style.get(f"{W}val") in headings)
            or paragraph.find(f"{W}pPr/{W}outlineLvl") is not None)


# What each element of a run adds to its paragraph's text.
_PIECES = {f"{W}t": None, f"{W}delText": None, f"{W}tab": "\t", f"{W}br": "\n", f"{W}cr": "\n"}
_MARKERS = {
    f"{W}commentRangeStart": "comment", f"{W}commentRangeEnd": "comment", f"{W}commentReference": "comment",
    f"{W}fldChar": "field", f"{W}instrText": "field",
    f"{W}bookmarkStart": "bookmark", f"{W}bookmarkEnd": "bookmark",
    f"{W}proofErr": "proof",
}
_TRACKED = {f"{W}ins": "ins", f"{W}moveTo": "ins", f"{W}del": "del", f"{W}moveFrom": "del"}
_CONTAINERS = {f"{W}hyperlink", f"{W}fldSimple", f"{W}sdt", f"{W}smartTag", f"{W}customXml"}
_RSID = re.compile(r'\s+w:rsid\w*="[^"]*"')


def _paragraphs(root: etree._Element, where: Place, headings: set[str]) -> list[Paragraph]:
    """Return each paragraph of a part with its text, place and the reasons its runs are split."""
    numbering = _Numbering()
    path = root.getroottree().getpath
    found = []
    for paragraph in root.iter(f"{W}p"):
        place = _place(paragraph, where, numbering)
        text, breaks, tracked = _text(paragraph)
        heading = bool(headings) and is_heading(paragraph, headings) and place.table == 0
        if heading:
            numbering.heading = text.strip()
        row = next(paragraph.iterancestors(f"{W}tr"), None)
        cell = next(paragraph.iterancestors(f"{W}tc"), None)
        table = next(row.iterancestors(f"{W}tbl"), None) if row is not None else None
        found.append(Paragraph(
            text, place, breaks, tracked, heading,
            container=path(paragraph.getparent()), table=path(table) if table is not None else "",
            row=path(row) if row is not None else "", cell=path(cell) if cell is not None else ""))
    return found


def _place(paragraph: etree._Element, where: Place, numbering: _Numbering) -> Place:
    """Return a paragraph's place: its table, row and column, or its paragraph number."""
    place = replace(where, heading=numbering.heading)
    cell = next(paragraph.iterancestors(f"{W}tc"), None)
    if cell is None:
        numbering.paragraphs += 1
        return replace(place, paragraph=numbering.paragraphs)
    row = cell.getparent()
    table = row.getparent()
    if table.tag != f"{W}tbl" or row.tag != f"{W}tr":  # a cell inside a content control
        table = next(cell.iterancestors(f"{W}tbl"))
        row = next(cell.iterancestors(f"{W}tr"))
    number = numbering.tables.setdefault(table.getroottree().getpath(table), len(numbering.tables) + 1)
    rows = [r for r in table.iter(f"{W}tr") if next(r.iterancestors(f"{W}tbl")) is table]
    cells = [c for c in row.iter(f"{W}tc") if next(c.iterancestors(f"{W}tr")) is row]
    return replace(place, table=number, row=rows.index(row) + 1, column=cells.index(cell) + 1)


def _text(paragraph: etree._Element) -> tuple[str, tuple[tuple[int, str], ...], tuple[tuple[int, int, str], ...]]:
    """Return a paragraph's text, where its runs' pieces meet and why, and its tracked spans."""
    pieces: list[tuple[str, etree._Element, int]] = []  # text, run, position in document order
    markers: list[tuple[int, str]] = []
    for position, element in enumerate(paragraph.iter()):
        if element.tag in _MARKERS:
            markers.append((position, _MARKERS[element.tag]))
            continue
        if element.tag not in _PIECES or element.getparent().tag != f"{W}r":
            continue  # a tab stop in the paragraph's properties is not a tab character
        if next(element.iterancestors(f"{W}p")) is not paragraph:
            continue  # part of a text box's own paragraph
        fixed = _PIECES[element.tag]
        pieces.append((element.text or "" if fixed is None else fixed, element.getparent(), position))
    text, breaks, tracked, offset = "", [], [], 0
    for index, (piece, run, position) in enumerate(pieces):
        if index:
            previous_run, previous_position = pieces[index - 1][1], pieces[index - 1][2]
            if run is not previous_run:
                between = {cause for at, cause in markers if previous_position < at < position}
                breaks.append((offset, _split_cause(previous_run, run, between)))
        change = _change(run, piece)
        if change and piece:
            if tracked and tracked[-1][2] == change and tracked[-1][1] == offset:
                tracked[-1] = (tracked[-1][0], offset + len(piece), change)
            else:
                tracked.append((offset, offset + len(piece), change))
        text += piece
        offset += len(piece)
    return text, tuple(breaks), tuple(tracked)


def _change(run: etree._Element, piece: str) -> str:
    """Return "ins" or "del" when a run is a tracked insertion or deletion, else ""."""
    for ancestor in run.iterancestors():
        if ancestor.tag in _TRACKED:
            return _TRACKED[ancestor.tag]
        if ancestor.tag == f"{W}p":
            break
    return "del" if run.find(f"{W}delText") is not None else ""


def _split_cause(before: etree._Element, after: etree._Element, between: set[str]) -> str:
    """Return why two runs are separate: the first of SPLIT_CAUSES that applies."""
    causes = set(between)
    if _wrappers(before, _TRACKED) != _wrappers(after, _TRACKED):
        causes.add("tracked")
    if _wrappers(before, _CONTAINERS) != _wrappers(after, _CONTAINERS):
        causes.add("container")
    if _formatting(before) != _formatting(after):
        causes.add("format")
    return next((cause for cause in SPLIT_CAUSES if cause in causes), "runs")


def _wrappers(run: etree._Element, kinds) -> tuple[str, ...]:
    """Return the identities of the run's ancestors of the given kinds, up to its paragraph."""
    found = []
    for ancestor in run.iterancestors():
        if ancestor.tag == f"{W}p":
            break
        if ancestor.tag in kinds:
            found.append(ancestor.getroottree().getpath(ancestor))
    return tuple(found)


def _formatting(run: etree._Element) -> str:
    """Return a run's formatting as comparable text (revision ids do not count)."""
    properties = run.find(f"{W}rPr")
    if properties is None:
        return ""
    return _RSID.sub("", etree.tostring(properties, encoding="unicode"))


# --- HTML ----------------------------------------------------------------------------------------

def text_source(path: Path) -> Source:
    """Return an HTML (or other text) template as one source and one "paragraph" (tags may span lines)."""
    text = path.read_text(encoding="utf-8")
    return Source(path.name, "", (Paragraph(text, Place(path.name), first_line=1, word=False),), text, word=False)

