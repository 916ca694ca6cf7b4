"""How the linter says what it finds: the place first, then what is wrong, then what to do.

A `Report` collects one template's problems as Danish sentences, e.g.
`droeftelse.docx, under overskriften "Spørgsmål til drøftelse", afsnit 28: "indsatser[0]" har intet
felt "navnet" i "{{ indsatser[0].navnet }} og"; mente du "navn"?`. The excerpt a message quotes
(a tag with a little of the text around it) is cut here too.
"""

from __future__ import annotations

from pipeline.render.lint.model import TAG, Place, Source, Tag


class Report:
    """The problems of one template, in the order they are found."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self._topics: set[str] = set()

    def __len__(self) -> int:
        return len(self.problems)

    def say(self, where: Place | Tag, what: str, fix: str = "") -> None:
        """Report `what` is wrong at a place or a tag, and how to fix it."""
        place = where.place if isinstance(where, Tag) else where
        self.problems.append(f"{place}: {what}" + (f"; {fix}" if fix else ""))

    def say_near(self, source: Source, tag: Tag | None, what: str, fix: str) -> None:
        """Report `what` at a tag, quoting the text around it; at the whole part when the tag is not known."""
        if tag is None:
            self.say(source.place, what, fix)
        else:
            self.say(tag, f'{what} i "{around_tag(tag)}"', fix)

    def first_time(self, topic: str) -> bool:
        """True the first time `topic` comes up in this template, so a long explanation is given once."""
        first = topic not in self._topics
        self._topics.add(topic)
        return first

    def messages(self) -> list[str]:
        """Return the problems, each message once."""
        return list(dict.fromkeys(self.problems))


def spot(tag: Tag, near: Tag) -> str:
    """Return where `tag` is, briefly when it is in the same paragraph as `near`."""
    if tag.paragraph is near.paragraph:
        return "samme afsnit"
    return tag.place.spot


def around_tag(tag: Tag) -> str:
    """Return the tag with a little of the text around it, not reaching into neighbouring tags."""
    text = tag.paragraph.text
    before = max((m.end() for m in TAG.finditer(text, 0, tag.start) if m.end() <= tag.start), default=0)
    after = next((m.start() for m in TAG.finditer(text, tag.end)), len(text))
    return around(text[before:after], tag.start - before, tag.end - before)


def around(text: str, start: int, end: int, margin: int = 30) -> str:
    """Return text[start:end] with up to `margin` characters either side, cut at words, `…` marking cuts."""
    before, after = text[max(0, start - margin):start], text[end:end + margin]
    if start > margin:
        before = "… " + before.split(" ", 1)[-1].lstrip() if " " in before else "… "
    if end + margin < len(text):
        after = after.rsplit(" ", 1)[0].rstrip() + " …" if " " in after else " …"
    return " ".join((before + text[start:end] + after).split())
