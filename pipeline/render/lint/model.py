"""What the linter reads a template into: parts, paragraphs and tags, each with its place.

A `Place` is where something is, said the way a case officer finds it: the template, the part
(body, page header, page footer, footnotes), the section heading above, and the paragraph
number or the table, row and column (in an HTML template: the line). A `Source` is one piece
Jinja renders as a whole, made of `Paragraph`s; a `Tag` is one `{{ }}`, `{% %}` or `{# #}` as
the user wrote it in its paragraph.

The tag grammar lives here too: which keywords open, continue and close a block, and
docxtpl's prefixes (`{%p`, `{%tr`, `{%tc`, `{%r`), mirrored from `DocxTemplate.patch_xml`;
`tests/test_check_structure.py` checks the mirror against real templates. And `clip`, which
shortens the text a message quotes (a heading in a `Place`, say).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cached_property

from pipeline.core.text import ELLIPSIS, shorten

# A whole tag (it may span lines), and where any tag begins.
TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
OPENER = re.compile(r"\{\{|\{%|\{#")
# docxtpl's prefixes: the tag stands for its whole paragraph, table row, table cell or run.
# Like docxtpl, only `{%p ` with the letter right after `{%` and then a space counts.
_PREFIXED = re.compile(r"\{([%{#])(tr|tc|p|r) ")
_KEYWORD = re.compile(r"\{%[-+]?\s*(\w+)")
# Jinja's tags that open a block closed by `end…` (`set` only without `=`), and the tags that
# continue a block, with the blocks each may continue.
BLOCKS = frozenset({"for", "if", "macro", "call", "filter", "block", "with", "autoescape", "set"})
BRANCHES = {"else": frozenset({"if", "for"}), "elif": frozenset({"if"})}


def opens_block(keyword: str, tag: str) -> bool:
    """True when a tag with `keyword` opens a block: `{% if x %}`, `{% set x %}` but not `{% set x = 1 %}`."""
    return keyword in BLOCKS and not (keyword == "set" and "=" in tag)


def closes_block(keyword: str) -> bool:
    """True for `endif`, `endfor` and the other closing keywords."""
    return keyword.startswith("end") and keyword[3:] in BLOCKS


def clip(text: str, limit: int) -> str:
    """Return `text` shortened for a message as `shorten` does, but with no space before the "…".

    The linter's messages end a cut on a character (`"{{ x }}…"`, never `"{{ x }} …"`).
    """
    short = shorten(text, limit)
    return short if short == " ".join(text.split()) else short[:-1].rstrip() + ELLIPSIS


# Why Word stored a tag in several pieces, most useful explanation first.
SPLIT_CAUSES = ("tracked", "comment", "field", "container", "bookmark", "format", "proof", "runs")


@dataclass(frozen=True)
class Place:
    """Where something is in a template, as a person finds it: heading, paragraph or table row, line."""

    template: str
    part: str = ""  # "", "sidehoved", "sidefod" or "fodnoter"
    heading: str = ""  # the nearest section heading above
    paragraph: int = 0  # paragraph number outside tables, counted from 1
    table: int = 0
    row: int = 0
    column: int = 0
    line: int = 0  # HTML templates

    def __str__(self) -> str:
        parts = [self.template]
        if self.part:
            parts.append(self.part)
        if self.heading:
            parts.append(f'under overskriften "{clip(self.heading, 50)}"')
        if self.table:
            parts.append(f"tabel {self.table}, række {self.row}"
                         + (f", kolonne {self.column}" if self.column > 1 else ""))
        elif self.paragraph:
            parts.append(f"afsnit {self.paragraph}")
        elif self.line:
            parts.append(f"linje {self.line}")
        return ", ".join(parts)

    @property
    def spot(self) -> str:
        """Return the place within its part, without the heading: `afsnit 3`, `tabel 1, række 2`."""
        return str(replace(self, template="", part="", heading="")).lstrip(", ") or "øverst"


@dataclass(frozen=True, eq=False)
class Paragraph:
    """A paragraph's text (for HTML: the whole file), where it is, and how Word stored it."""

    text: str
    place: Place
    breaks: tuple[tuple[int, str], ...] = ()  # (offset, one of SPLIT_CAUSES): a run's piece ends there
    tracked: tuple[tuple[int, int, str], ...] = ()  # (start, end, "ins"/"del"): tracked changes
    heading: bool = False
    # Where the elements docxtpl's prefixes remove are (XPath in the part): the paragraph's
    # parent (`p`), its table (`tr`), row (`tc`) and cell; "" outside a table.
    container: str = ""
    table: str = ""
    row: str = ""
    cell: str = ""
    first_line: int = 0  # HTML: the line the text begins on
    word: bool = True  # in a Word template, where docxtpl's prefixes apply

    def place_at(self, offset: int) -> Place:
        """Return the place of the character at `offset` (HTML: its line)."""
        if not self.first_line:
            return self.place
        return replace(self.place, line=self.first_line + self.text.count("\n", 0, offset))


@dataclass(frozen=True, eq=False)
class Tag:
    """One `{{ }}`, `{% %}` or `{# #}` as the user wrote it, in its paragraph."""

    text: str
    paragraph: Paragraph
    start: int
    end: int

    @property
    def place(self) -> Place:
        return self.paragraph.place_at(self.start)

    @property
    def prefix(self) -> str:
        """Return docxtpl's prefix: `p`, `tr`, `tc`, `r`, or "" for a plain tag."""
        match = _PREFIXED.match(self.text) if self.paragraph.word else None
        return match.group(2) if match else ""

    @property
    def inner(self) -> str:
        """Return the tag without its prefix, as Jinja sees it: `{%p if x %}` → `{% if x %}`."""
        prefix = self.prefix
        return self.text[:2] + " " + self.text[3 + len(prefix):] if prefix else self.text

    @property
    def keyword(self) -> str:
        """Return a block tag's keyword (`if`, `endfor`, `else` …), or "" for other tags."""
        match = _KEYWORD.match(self.inner)
        return match.group(1) if match else ""


@dataclass(frozen=True, eq=False)
class Source:
    """One piece of a template that Jinja renders as a whole: a .docx part, or an HTML file."""

    template: str  # the file name
    part: str  # "" for the body or an HTML file; "sidehoved", "sidefod", "fodnoter"
    paragraphs: tuple[Paragraph, ...]
    jinja: str  # the text Jinja parses (for .docx: docxtpl's patched XML, one paragraph a line)
    word: bool = True

    @property
    def place(self) -> Place:
        """Return where the part is, as a whole: the template, and the part unless it is the body."""
        return Place(self.template, self.part)

    @cached_property
    def tags(self) -> tuple[Tag, ...]:
        """Return every tag in document order."""
        return tuple(Tag(match.group(), paragraph, match.start(), match.end())
                     for paragraph in self.paragraphs for match in TAG.finditer(paragraph.text))


@dataclass(frozen=True)
class Comment:
    """A Word comment (margin note): its text and the place it is anchored."""

    text: str
    place: Place
