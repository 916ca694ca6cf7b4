"""Typed, frozen records that every stage after the reader works with."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath


class Status(enum.Enum):
    """The values the optional `Status` column may hold."""

    PLANNED = "Planlagt"
    IN_PROGRESS = "I gang"
    DONE = "Gennemført"
    CANCELLED = "Aflyst"
    POSTPONED = "Udskudt"


class DocumentKind(enum.Enum):
    """What a planned document is; the value is the folder-name stem of its output."""

    ORIENTATION = "orienteringssag"
    DISCUSSION = "droeftelse"
    OVERVIEW = "oversigt"
    WEBPAGE = "webside"


@dataclass(frozen=True)
class Period:
    """A Danish period such as `Juni-september`: first and last day, and the label as written."""

    start: date
    end: date
    label: str

    @property
    def is_day(self) -> bool:
        """True when the period is a single day (a meeting date)."""
        return self.start == self.end


@dataclass(frozen=True)
class Committee:
    """A political committee: `BSU`, `Børne- og Skoleudvalget`, other names it goes by."""

    abbreviation: str
    name: str
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the committee may be written as."""
        return (self.abbreviation, self.name, *self.aliases)


@dataclass(frozen=True)
class Source:
    """Where a record came from, for messages: file name, sheet (None for CSV), Excel row."""

    file: str
    sheet: str | None
    row: int


@dataclass(frozen=True)
class Activity:
    """One row of the plan."""

    source: Source
    period: Period
    theme: str
    text: str
    participants: str
    committees: tuple[Committee, ...] = ()
    kinds: tuple[DocumentKind, ...] = ()
    questions: tuple[str, ...] = ()
    status: Status | None = None
    case_number: str = ""
    responsible: str = ""
    remark: str = ""
    # Columns the schema does not know, kept as (header, text) pairs in sheet order.
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Initiative:
    """One row of the `Indsatser` sheet; `committee` None means it concerns every committee."""

    source: Source
    name: str
    description: str
    type: str
    committee: Committee | None


@dataclass(frozen=True)
class Plan:
    """One validated plan file."""

    file: str
    year: int
    activities: tuple[Activity, ...]
    initiatives: tuple[Initiative, ...]
    committees: tuple[Committee, ...]
    has_status: bool


@dataclass(frozen=True)
class Document:
    """One output file the build will produce, and the records it is made from.

    `activities` are the rows that call for the document; `shown` is the wider plan data the
    document displays (the whole plan for a status report, the sibling meetings of a
    discussion), which is part of what the document depends on. `previous` and `next` are the
    meeting dates of the plan's neighbouring orientation cases (orientation cases only).
    """

    kind: DocumentKind
    path: PurePosixPath
    year: int
    committee: Committee | None = None
    date: date | None = None
    activities: tuple[Activity, ...] = ()
    shown: tuple[Activity, ...] = ()
    initiatives: tuple[Initiative, ...] = ()
    has_status: bool = False
    plans: tuple[str, ...] = field(default=())
    # An orientation case reports what happened since the plan's previous orientation case and
    # what comes before its next one, so their meeting dates are part of what it is made from.
    previous: date | None = None
    next: date | None = None
    # Other documents of the plan it refers to as its bilag (a Word document: the PDF overview).
    attachments: tuple[PurePosixPath, ...] = ()

