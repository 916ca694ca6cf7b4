"""Small text helpers every stage uses: shortening for messages, and the loose compare key."""

from __future__ import annotations

ELLIPSIS = "…"


def shorten(text: str, limit: int = 80) -> str:
    """Return `text` on one line (runs of white space as one space), cut to `limit` characters
    with "…" at the end, so a message stays readable however long the cell was."""
    return cut(" ".join(text.split()), limit)


def cut(text: str, limit: int) -> str:
    """Return `text` cut to `limit` characters, the last of them "…"; as it is when it fits."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def loose(text: str) -> str:
    """Return the form words are compared by: one line, single spaces, case-folded."""
    return " ".join(text.split()).casefold()
