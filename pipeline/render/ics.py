"""Calendars of the meetings the plan sets, as iCalendar files (RFC 5545) that Outlook and Google
Calendar can subscribe to from the shared folder.

`calendar_files(documents)` returns `kalender/<UDVALG>.ics` for each committee with a meeting
(the abbreviation in its file-name form: ØKU → `OEKU.ics`) and `kalender/alle-moeder.ics` with
every meeting. The hyphen keeps that name apart from every committee: an abbreviation holds
only letters and digits. A calendar without meetings is not made, because RFC 5545 wants at
least one event in a calendar.

Every orientation case and discussion is an all-day event on its meeting date, titled like the
Word document (`word.title`) and naming the document's file. The bytes depend only on the data:
- `UID` is made of what places the meeting (date, committee, kind), the same parts that name
  its document, e.g. `2017-05-30-BSU-droeftelse@implementeringsplan`. An edit that does not
  move the meeting keeps it, so a subscribed calendar updates the event instead of adding one.
- `DTSTAMP` is the meeting date at midnight UTC, not the clock.
The text is written by hand: escaped (`\\`, `;`, `,`, line breaks), lines folded at 75 octets
without splitting a UTF-8 character, and CRLF line ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import PurePosixPath

from pipeline.core.danish import file_name_part
from pipeline.core.model import Document
from pipeline.documents import kinds
from pipeline.documents.kinds import build_context
from pipeline.render.word import title

FOLDER = PurePosixPath("kalender")
ALL_MEETINGS = "alle-moeder.ics"
UID_DOMAIN = "implementeringsplan"
PRODUCT = "-//Implementeringsplan//pipeline//DA"
_LINE_OCTETS = 75
# RFC 5545 TEXT holds no control characters but tab; a line break is written as \n.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def calendar_files(documents: Iterable[Document]) -> dict[str, bytes]:
    """Return the calendar files of the meetings among `documents`, by path inside the output folder."""
    meetings = sorted((d for d in documents if d.kind in kinds.MEETING_KINDS and d.committee and d.date),
                      key=lambda d: (d.date, d.committee.abbreviation, d.kind.value, str(d.path)))
    if not meetings:
        return {}
    events = {id(document): _event(document) for document in meetings}
    files = {str(FOLDER / ALL_MEETINGS): _calendar("Implementeringsplan – alle møder",
                                                   [events[id(d)] for d in meetings])}
    by_committee: dict[str, list[Document]] = {}
    for document in meetings:
        by_committee.setdefault(file_name_part(document.committee.abbreviation), []).append(document)
    for name, own in sorted(by_committee.items()):
        heading = f"Implementeringsplan – {own[0].committee.name}"
        files[str(FOLDER / f"{name}.ics")] = _calendar(heading, [events[id(d)] for d in own])
    return files


def event_uid(document: Document) -> str:
    """Return the stable UID of a meeting, e.g. `2017-05-30-BSU-droeftelse@implementeringsplan`."""
    assert document.committee is not None and document.date is not None
    return (f"{document.date.isoformat()}-{file_name_part(document.committee.abbreviation)}-"
            f"{document.kind.value}@{UID_DOMAIN}")


def _event(document: Document) -> list[str]:
    day: date = document.date
    return [
        "BEGIN:VEVENT",
        f"UID:{event_uid(document)}",
        f"DTSTAMP:{day:%Y%m%d}T000000Z",
        f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape(title(document, build_context(document, lambda activity: None)))}",  # rows unused
        f"DESCRIPTION:{escape(f'Dokument: {document.path}')}",
        "TRANSP:TRANSPARENT",  # an all-day note of the meeting does not make the day busy
        "END:VEVENT",
    ]


def _calendar(name: str, events: list[list[str]]) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODUCT}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape(name)}"]
    for event in events:
        lines.extend(event)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines).encode("utf-8")


def escape(text: str) -> str:
    """Return `text` as an iCalendar TEXT value: `\\`, `;` and `,` escaped, line breaks as `\\n`."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    return _CONTROL.sub("", text)


def fold(line: str) -> str:
    """Return a content line folded into lines of at most 75 octets (RFC 5545, 3.1).

    A continuation line starts with a space, which counts in its 75 octets; a UTF-8 character
    is never split.
    """
    parts: list[str] = []
    current, size, limit = [], 0, _LINE_OCTETS
    for character in line:
        octets = len(character.encode("utf-8"))
        if size + octets > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, _LINE_OCTETS - 1
        current.append(character)
        size += octets
    parts.append("".join(current))
    return "\r\n ".join(parts)
