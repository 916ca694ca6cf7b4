"""The merged PDF's outline (bookmarks), built from the parts' headings without WeasyPrint.

This is WeasyPrint's `Document.make_bookmark_tree` with `transform_pages=True` and scale 1
(weasyprint/document.py and `make_page_bookmark_tree` in weasyprint/anchors.py, BSD licence),
carried over so the parent process, which merges the parts, need not import WeasyPrint (about
a second) just to turn a list of headings into a tree. `tests/test_weasyprint_shape.py` checks
that both give the same tree, level skips included, so a WeasyPrint upgrade that changes its
tree is noticed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipeline.render.pdf.part import BookmarkPage

# The outline as WeasyPrint's bookmark tree gives it: (title, (page index, x, y), children, state),
# the children an Outline again. The merged file's writer takes it as it is.
Outline = list[tuple[str, tuple[int, float, float], Any, str]]


def bookmark_tree(pages: Sequence[BookmarkPage]) -> Outline:
    """Return the tree of every page's headings, their points in PDF coordinates (origin at the
    bottom left). A heading that skips levels (an <h1>, then an <h3>) nests one level deeper,
    not two."""
    root: Outline = []
    skipped_levels: list[int] = []  # per output depth: how many source levels it skipped
    last_by_depth: list[Outline] = [root]
    previous_level = 0
    for page_number, page in enumerate(pages):
        for level, label, (x, y), state in page.bookmarks:
            if level > previous_level:
                skipped_levels.append(level - previous_level - 1)
            else:
                temp = level
                while temp < previous_level:
                    temp += 1 + skipped_levels.pop()
                if temp > previous_level:  # too many skips taken away: put some back
                    skipped_levels.append(temp - previous_level - 1)
            previous_level = level
            depth = level - sum(skipped_levels)
            if depth != len(skipped_levels) or depth < 1:
                raise ValueError(f"heading level {level} does not fit the outline")
            children: Outline = []
            # WeasyPrint's matrix (1, 0, 0, -1, 0, height), summed in its order: the same floats.
            point = (0 + x * 1 + y * 0 + 0, 0 + x * 0 + y * -1 + page.height)
            last_by_depth[depth - 1].append((label, (page_number, *point), children, state))
            del last_by_depth[depth:]
            last_by_depth.append(children)
    return root
