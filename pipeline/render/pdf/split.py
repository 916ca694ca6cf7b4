"""Cutting a long overview's HTML into parts, and the document that draws every page's footer.

A part keeps the elements around its rows (sections, the table with its <colgroup> and
<thead>, so the header row repeats on every page), and the first part also the title block.
Nothing in the template knows about parts. A part never begins at an odd row of a <tbody>, so a
group heading row stays with its first row and stripes stay right. Each part's page margin boxes
(the footer) are switched off: the footer document, laid out once the page count is known,
draws them over every page instead, so `Side X af Y` comes from WeasyPrint's own page counters
over the whole document.

This is HTML only (lxml); nothing here lays anything out.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

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


@dataclass
class Split:
    """What a split overview is made from: each part's HTML, and the footer document's HTML
    (the template's head and the hidden title; `footer_pages` adds one page per page)."""

    sources: list[str]
    footer: str


def prepare(html: str, part_rows: int) -> Split:
    """Return the parts of the overview `html` and its footer document (no layout yet)."""
    import lxml.html

    tree = lxml.html.document_fromstring(html)  # parsed once: 0.1 s for a plan of 10,000 rows
    return Split(_parts(tree, part_rows), _footer(tree))


def split_html(html: str, part_rows: int) -> list[str]:
    """Return the overview HTML cut into parts of about `part_rows` rows (one part if it is short)."""
    import lxml.html

    return _parts(lxml.html.document_fromstring(html), part_rows)


def _parts(tree: Any, part_rows: int) -> list[str]:
    """Return the parsed overview `tree` cut into parts, as HTML (the tree is left as it is)."""
    import lxml.html

    body = tree.find("body")
    units: list[Any] = []  # leaves in document order: table body rows and table-free elements
    _collect(body, units)
    cuts = _cuts(units, part_rows)
    head = copy.deepcopy(tree.find("head"))
    style = lxml.html.Element("style")
    style.text = NO_MARGIN_BOXES
    head.append(style)
    parts = []
    for start, end in pairwise(cuts):
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


def _may_begin_part(unit: Any) -> bool:
    """A part never begins at an odd row of a table body: the group heading (row 0) stays with
    its first row, and striped rows (nth-child) keep their stripes."""
    return not (_is_row(unit) and unit.getparent().index(unit) % 2 == 1)


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


def _weight(section: Any) -> int:
    """Return how many rows a row of the table body `section` counts as: ROW_WEIGHTS by its
    table's class, else 1."""
    table = section.getparent()
    classes = (table.get("class") or "").split() if table is not None else []
    return max([ROW_WEIGHTS.get(name, 1) for name in classes], default=1)


def _cuts(units: list[Any], part_rows: int) -> list[int]:
    """Return the indexes where parts begin (and the end): after about every `part_rows` rows."""
    cuts = [0]
    rows = 0
    weights: dict[Any, int] = {}  # by table body: a plan of 10,000 rows has a handful
    for index, unit in enumerate(units):
        if rows >= part_rows and index > cuts[-1] and _may_begin_part(unit):
            cuts.append(index)
            rows = 0
        if _is_row(unit):
            section = unit.getparent()
            if (weight := weights.get(section)) is None:
                weight = weights[section] = _weight(section)
            rows += weight
    cuts.append(len(units))
    return cuts


def _footer(tree: Any) -> str:
    """Return the footer document of the parsed overview `tree` (left as it is): the overview's
    head, and its first <h1> hidden (it sets the running title, `string(plannavn)`), on one empty
    page; `footer_pages` adds the others."""
    import lxml.html

    page = _shallow(tree)
    head = copy.deepcopy(tree.find("head"))
    style = lxml.html.Element("style")
    style.text = "html, body { background: none !important; }"  # lies over the page: only the footer
    head.append(style)
    page.append(head)
    source = tree.find("body")
    body = _shallow(source)
    body.text = None
    if (heading := source.find(".//h1")) is not None:
        hidden = copy.deepcopy(heading)
        hidden.tail = None
        hidden.set("style", "visibility: hidden")
        body.append(hidden)
    page.append(body)
    return lxml.html.tostring(page, doctype="<!DOCTYPE html>", encoding="unicode")


def footer_pages(source: str, total: int) -> str:
    """Return the footer document `source` with `total` pages."""
    import lxml.html

    tree = lxml.html.document_fromstring(source)
    body = tree.find("body")
    for _ in range(total - 1):
        body.append(lxml.html.fromstring('<div style="break-before: page"></div>'))
    return lxml.html.tostring(tree, doctype="<!DOCTYPE html>", encoding="unicode")
