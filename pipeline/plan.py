"""Stage 3: decide which documents the plans call for, with their fixed output paths (README, "Kom i gang")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from pathlib import PurePosixPath

from pipeline.danish import file_name_part
from pipeline.model import Activity, Committee, Document, DocumentKind, Plan


def output_path(kind: DocumentKind, year: int, committee: Committee | None = None,
                day: date | None = None) -> PurePosixPath:
    """Return a document's path inside the output folder, e.g. `droeftelser/2017-05-30_OEKU_droeftelse.docx`."""
    if kind is DocumentKind.OVERVIEW:
        return PurePosixPath("oversigter", f"implementeringsplan_{year}.pdf")
    if kind is DocumentKind.WEBPAGE:
        return PurePosixPath("oversigter", f"implementeringsplan_{year}.html")
    assert committee is not None and day is not None
    folder = {DocumentKind.ORIENTATION: "orienteringssager", DocumentKind.DISCUSSION: "droeftelser"}[kind]
    return PurePosixPath(folder, f"{day.isoformat()}_{file_name_part(committee.abbreviation)}_{kind.value}.docx")


def plan_documents(plans: Iterable[Plan]) -> list[Document]:
    """Return every document the plans call for, one per output path, sorted by path.

    Plans for the same year are one plan: their overview and status reports show the rows of
    all of them, and rows from several files that call for the same document are merged into it.
    """
    by_year: dict[int, list[Plan]] = defaultdict(list)
    for plan in plans:
        by_year[plan.year].append(plan)
    documents: list[Document] = []
    for year, group in sorted(by_year.items()):
        documents.extend(_year_documents(year, group))
    return sorted(documents, key=lambda d: d.path)


def _year_documents(year: int, plans: list[Plan]) -> list[Document]:
    activities = tuple(sorted((a for p in plans for a in p.activities), key=_chronological))
    initiatives = tuple(i for p in plans for i in p.initiatives)
    has_status = any(p.has_status for p in plans)
    files = tuple(p.file for p in plans)

    # Keyed by output path: rows that map to one file are one document, whatever else differs.
    calls: dict[PurePosixPath, tuple[DocumentKind, Committee, date, list[Activity]]] = {}
    for activity in activities:
        for kind in activity.kinds:
            for committee in activity.committees:
                day = activity.period.start
                path = output_path(kind, year, committee, day)
                calls.setdefault(path, (kind, committee, day, []))[3].append(activity)

    documents = [Document(kind, output_path(kind, year), year, shown=activities,
                          has_status=has_status, plans=files)
                 for kind in (DocumentKind.OVERVIEW, DocumentKind.WEBPAGE)]
    for path, (kind, committee, day, rows) in calls.items():
        if kind is DocumentKind.ORIENTATION:
            shown, for_committee = activities, ()
        else:
            shown = _same_matter(rows, activities)
            for_committee = tuple(i for i in initiatives if i.committee in (None, committee))
        documents.append(Document(kind, path, year, committee, day, tuple(rows), shown, for_committee,
                                  has_status, files))
    return documents


def _same_matter(rows: list[Activity], activities: tuple[Activity, ...]) -> tuple[Activity, ...]:
    """Return every discussion row on the same matter (same Tema) as `rows`, theirs included."""
    themes = {_matter(a) for a in rows}
    return tuple(a for a in activities if DocumentKind.DISCUSSION in a.kinds and _matter(a) in themes)


def _matter(activity: Activity) -> str:
    return " ".join((activity.theme or activity.text).split()).casefold()


def _chronological(activity: Activity) -> tuple:
    """Sort key: by start, shorter periods first, then sheet order."""
    return (activity.period.start, activity.period.end, activity.source.file, activity.source.row)
