"""Find the tag as the user wrote it for a tag or a line of the text Jinja parses.

Jinja reports errors, and its tree holds names, by line of the text it parses. For an HTML
template that is the file itself; for a Word part it is docxtpl's patched XML, whose tags are
the user's, in the same order, less a few (a second `{%p` tag in one paragraph is dropped) or
more (docxtpl's own `{% vm %}` helpers). The two lists of tags are aligned to find one in the other.
"""

from __future__ import annotations

import difflib
import re

from pipeline.render.lint.model import TAG, Source, Tag


class Locator:
    """Finds the written tag behind a tag or a line of `source.jinja`."""

    def __init__(self, source: Source):
        self.source = source
        self.lines: dict[int, list[Tag]] = {}  # line of the parsed text → the written tags on it
        self.written: dict[int, Tag] = {}  # number of a tag in the patched text → the tag as written
        if not source.word:
            for tag in source.tags:
                self.lines.setdefault(tag.place.line, []).append(tag)
            return
        patched = [(m.group(), source.jinja.count("\n", 0, m.start()) + 1) for m in TAG.finditer(source.jinja)]
        matcher = difflib.SequenceMatcher(None, [_bare(t.inner) for t in source.tags],
                                          [_bare(text) for text, _ in patched], autojunk=False)
        for first, second, size in matcher.get_matching_blocks():
            for offset in range(size):
                tag = source.tags[first + offset]
                self.written[second + offset] = tag
                self.lines.setdefault(patched[second + offset][1], []).append(tag)

    def __call__(self, line: int | None, pattern: str) -> Tag | None:
        """Return the tag on `line` that matches `pattern`, else the first such tag anywhere."""
        expression = re.compile(pattern)
        for tag in self.lines.get(line, []) if line else []:
            if expression.search(tag.inner):
                return tag
        if not pattern:
            return None
        return next((tag for tag in self.source.tags if expression.search(tag.inner)), None)


def _bare(text: str) -> str:
    """Return a tag's text as docxtpl leaves it (curled quotes made straight), less white space and `-`/`+` marks."""
    for curly, plain in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'")):
        text = text.replace(curly, plain)
    return re.sub(r"\s+|(?<=^\{[%{#])[-+]|[-+](?=[%}#]\}$)", "", text)
