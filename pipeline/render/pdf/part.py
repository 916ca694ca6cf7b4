"""What travels between the adapter and the writer: a laid-out part, and the footers, as plain data.

A part's objects are numbered locally, 0 … count-1, and every reference to one of them is
written as the marker `\\xffN\\xff`, so the writer can give the part the next free numbers with
one regular expression and never parses a dictionary. A 0xFF byte never occurs in what pydyf
writes for a dictionary or an array (names and numbers are ASCII, and a string is written as
ASCII or as hex digits); `checked` makes sure of it for every serialised value. References to
the merged document's page tree and /Document element are written as the fixed numbers PAGES
and DOCUMENT.

Everything here is numbers, bytes and text, so a part can be stored on disk without pickle
(`pipeline.render.pdf.record`) and tested without WeasyPrint.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# The merged document's own objects; the parts' and footers' objects come after them.
PAGES, DOCUMENT, ROOT = 1, 2, 3

MARKED = re.compile(rb"\xff(\d+)\xff")


def marker(local: int) -> bytes:
    """Return how a part writes a reference to its own object `local` until the merge numbers it."""
    return b"\xff%d\xff" % local


def checked(data: bytes) -> bytes:
    """Return serialised `data`, making sure every 0xFF byte in it belongs to a marker."""
    if data.count(b"\xff") != 2 * len(MARKED.findall(data)):
        raise RuntimeError("a PDF object of the overview holds a byte the merge cannot tell from its markers")
    return data


def relocation(shift: int) -> Callable[[bytes], bytes]:
    """Return a function that turns marked references into `N+shift 0 R`."""
    def replace(match: re.Match[bytes]) -> bytes:
        return b"%d 0 R" % (int(match[1]) + shift)

    return lambda data: MARKED.sub(replace, data)


def with_entries(dictionary: bytes, entries: bytes) -> bytes:
    """Return a serialised dictionary (`<<…>>`) with serialised `entries` added at its end."""
    return dictionary[:-2] + entries + b">>"


Bookmark = tuple[int, str, tuple[float, float], str]  # (level, label, (x, y), state) as WeasyPrint keeps it


@dataclass
class BookmarkPage:
    """A page's headings for the outline, and its size: what building the bookmark tree reads."""

    bookmarks: list[Bookmark]
    width: float
    height: float


@dataclass
class Part:
    """One part laid out and serialised by a worker, ready to be appended to the merged PDF.

    Its objects are numbered and referenced as the module docstring says. The few entries the
    merge still sets are left out of their dictionaries and kept beside them: a page's
    /Parent, /Contents and /StructParents, the pages' /XObject resources (the footers join
    them), and the /StructParent key of an annotation. Parent tree keys are the part's own,
    0, 1, …; the merge adds the number of keys before the part."""

    count: int
    objects: list[tuple[int, bytes]]  # dictionaries and arrays: (local number, serialised)
    streams: list[tuple[int, bytes, bytes]]  # (local number, dictionary, compressed content)
    keyed: list[tuple[int, bytes, int]]  # (local number, dictionary, its /StructParent key)
    pages: list[tuple[int, bytes, bytes, int | None]]  # (number, dictionary, /Contents, key)
    resources: tuple[int, bytes, bytes]  # (number, dictionary, its /XObject entries)
    kids: list[bytes]  # the structure elements directly under /Document
    nums: list[bytes]  # the parent tree's values, by this part's keys 0, 1, …
    bookmark_pages: list[BookmarkPage]
    catalog: dict[str, bytes]  # the first part's catalog entries for the merged document
    info: bytes


@dataclass
class Footers:
    """The footer document: one form XObject per page of the merged PDF, and what they use.

    Numbered and referenced like a part's objects; `objects` are in the order they are written,
    a stream's content beside its dictionary (None for any other object)."""

    count: int
    objects: list[tuple[int, bytes, bytes | None]]  # (local number, dictionary, stream content)
    forms: list[int]  # the local number of each page's form XObject, by page
