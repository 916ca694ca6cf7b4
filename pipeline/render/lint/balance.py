"""Check that every block in a Word part's real Jinja text closes exactly the XML it opens.

The rules in `structure.py` are about tags as the user sees them; this is the net behind them,
on the text Jinja really renders (docxtpl's patched XML). A block whose body opens an XML
element it does not close (or closes one it did not open) gives XML that is not well-formed
for some data (when the block is left out, or repeated). docxtpl's lenient parser would then
silently cut the document off, so it is reported here instead.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.render.lint.locate import Locator
from pipeline.render.lint.model import BRANCHES, TAG, Source, closes_block, opens_block
from pipeline.render.lint.report import Report, spot

_XML_TAG = re.compile(r"<(/?)([A-Za-z_][\w.:-]*)[^>]*?(/?)>")
_BLOCK_KEYWORD = re.compile(r"\{%[-+]?\s*(\w*)")


def check_balance(source: Source, report: Report) -> None:
    """Report a block whose body does not close exactly the XML elements it opens."""
    written = Locator(source).written
    for opener, closer in unbalanced_blocks(source.jinja):
        first, last = written.get(opener), written.get(closer)
        if first is None or last is None:
            report.say(source.place,
                       "en blok passer ikke med Words afsnit og tabeller, så dokumentet ville blive ødelagt",
                       "lad hvert {%p … %}- og {%tr … %}-tag stå i sit eget afsnit eller sin egen tabelrække")
            continue
        report.say(first, f'blokken fra "{first.text}" til "{last.text}" ({spot(last, first)}) passer ikke med '
                          "Words afsnit og tabeller, så dokumentet ville blive ødelagt",
                   "lad tagsene stå hvert i sit eget afsnit ({%p … %}) eller sin egen tabelrække "
                   "({%tr … %}), samme sted i dokumentet og uden for links og indholdskontrolelementer")


def unbalanced_blocks(jinja: str) -> list[tuple[int, int]]:
    """Return (opening tag, closing or branch tag) for each block whose body is not balanced XML.

    Tags are numbered in the order they occur in `jinja`.
    """
    stack: list[str] = []  # the names of the XML elements open here
    frames: list[tuple[tuple[str, ...], int]] = []  # per open block: the XML stack at its opener, the opener
    found: list[tuple[int, int]] = []
    raw = False
    for _, kind, event in _events(jinja):
        if kind == 1:
            closing, name, empty = event.groups()
            if raw or empty:
                continue
            if not closing:
                stack.append(name)
            elif stack and stack[-1] == name:
                stack.pop()
            continue
        number, text = event
        keyword = _BLOCK_KEYWORD.match(text)[1]
        if raw or keyword == "raw":
            raw = (raw or keyword == "raw") and keyword != "endraw"
            continue
        if opens_block(keyword, text):
            frames.append((tuple(stack), number))
        elif frames and (keyword in BRANCHES or closes_block(keyword)):
            before, opener = frames[-1]
            if tuple(stack) != before:
                found.append((opener, number))
            stack = list(before)
            if keyword.startswith("end"):
                frames.pop()
    return found


def _events(jinja: str) -> list[tuple[int, int, Any]]:
    """Return the XML tags (kind 1, the match) and block tags (kind 0, number and text) in text order.

    Block tags inside an XML tag (an attribute's value) are left out: they cannot change the nesting.
    """
    tags = list(TAG.finditer(jinja))
    masked = list(jinja)
    for match in tags:  # tags may hold < and > (comparisons): hide them from the XML scan
        masked[match.start():match.end()] = "x" * (match.end() - match.start())
    events: list[tuple[int, int, Any]] = [(m.start(), 1, m) for m in _XML_TAG.finditer("".join(masked))]
    spans = [(m.start(), m.end()) for _, _, m in events]
    for number, match in enumerate(tags):
        if match.group().startswith("{%") and not any(s < match.start() < e for s, e in spans):
            events.append((match.start(), 0, (number, match.group())))
    events.sort(key=lambda event: (event[0], event[1]))
    return events
