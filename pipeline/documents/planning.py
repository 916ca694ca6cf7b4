"""Deciding which documents the plans call for, with their fixed output paths (README, "Kom i gang")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from pathlib import PurePosixPath

from pipeline.core.errors import InputError, Problem
from pipeline.core.model import Activity, Committee, Document, DocumentKind, Plan
from pipeline.core.text import loose
from pipeline.documents.kinds import PLAN_KINDS, output_path


def plan_documents(plans: Iterable[Plan]) -> list[Document]:
    """Return every document the plans (one per year) call for, one per output path, sorted by path.

    Each document belongs to exactly one plan; rows of one plan that call for the same file are
    one document. Raise InputError when two plans would write the same file (naming both files,
    and the rows)."""
    problems: list[Problem] = []  # (two plans for one year are refused when they are loaded)
    documents: list[Document] = []
    owners: dict[PurePosixPath, Document] = {}
    for plan in plans:
        for document in _plan_documents(plan):
            other = owners.setdefault(document.path, document)
            if other is not document:
                problems.append(_collision(document, other))
            documents.append(document)
    if problems:
        raise InputError(problems)
    return sorted(documents, key=lambda d: d.path)


def _collision(document: Document, other: Document) -> Problem:
    """Return the problem of two plans' rows that would write one file."""
    def rows(of: Document) -> str:
        return ", ".join(f"række {a.source.row}" for a in of.activities) or "oversigten"

    return Problem(document.plans[0], f"{rows(document)} giver filen {document.path}, som {other.plans[0]} "
                   f"({rows(other)}) også giver; ret datoen eller udvalget i den ene plan")


def _plan_documents(plan: Plan) -> list[Document]:
    year = plan.year
    activities = tuple(sorted(plan.activities, key=_chronological))
    files = (plan.file,)

    # Keyed by output path: rows that map to one file are one document, whatever else differs.
    calls: dict[PurePosixPath, tuple[DocumentKind, Committee, date, list[Activity]]] = {}
    for activity in activities:
        for kind in activity.kinds:
            for committee in activity.committees:
                day = activity.period.start
                path = output_path(kind, year, committee, day)
                calls.setdefault(path, (kind, committee, day, []))[3].append(activity)

    documents = [Document(kind, output_path(kind, year), year, shown=activities,
                          has_status=plan.has_status, plans=files)
                 for kind in PLAN_KINDS]
    attachments = (output_path(DocumentKind.OVERVIEW, year),)
    matters = _by_matter(activities)
    for path, (kind, committee, day, rows) in calls.items():
        if kind is DocumentKind.ORIENTATION:
            shown, for_committee = activities, ()
        else:
            shown = _same_matter(rows, matters)
            for_committee = tuple(i for i in plan.initiatives if i.committee in (None, committee))
        documents.append(Document(kind, path, year, committee, day, tuple(rows), shown, for_committee,
                                  plan.has_status, files, attachments=attachments))
    return _with_neighbours(documents)


def _with_neighbours(documents: list[Document]) -> list[Document]:
    """Return `documents` with each orientation case given the meeting dates of the plan's
    previous and next orientation cases (any committee; None at either end)."""
    days = sorted({d.date for d in documents if d.kind is DocumentKind.ORIENTATION and d.date})
    result = []
    for document in documents:
        if document.kind is DocumentKind.ORIENTATION and document.date is not None:
            at = days.index(document.date)
            document = replace(document, previous=days[at - 1] if at else None,
                               next=days[at + 1] if at + 1 < len(days) else None)
        result.append(document)
    return result


def _by_matter(activities: tuple[Activity, ...]) -> dict[str, list[Activity]]:
    """Return the discussion rows of `activities` by matter (same Tema), in chronological order."""
    matters: dict[str, list[Activity]] = {}
    for activity in activities:
        if DocumentKind.DISCUSSION in activity.kinds:
            matters.setdefault(_matter(activity), []).append(activity)
    return matters


def _same_matter(rows: list[Activity], matters: dict[str, list[Activity]]) -> tuple[Activity, ...]:
    """Return every discussion row on the same matter as `rows`, theirs included, in chronological order."""
    themes = {_matter(a) for a in rows}
    if len(themes) == 1:
        return tuple(matters.get(themes.pop(), ()))
    return tuple(sorted((a for theme in themes for a in matters.get(theme, ())), key=_chronological))


def _matter(activity: Activity) -> str:
    return loose(activity.theme or activity.text)


def _chronological(activity: Activity) -> tuple:
    """Sort key: by start, shorter periods first, then sheet order."""
    return (activity.period.start, activity.period.end, activity.source.file, activity.source.row)
