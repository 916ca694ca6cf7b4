"""The variables a template may use, built from the typed records. This module is their only source.

Names are Danish (in ASCII) because case officers read and edit the templates. The README's
"Skabelonvariabler" section lists them; `tests/test_docs.py` keeps the two in step.
Values are plain dicts, lists, strings and dates, so a template cannot reach the records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from pipeline.core.model import (
    Activity,
    Committee,
    Document,
    Initiative,
    Status,
)
from pipeline.source.parse import split_discussion

Context = dict[str, Any]
RowMaker = Callable[[Activity], Any]


def _common(document: Document) -> Context:
    return {
        "aar": document.year,
        "plan_filer": list(document.plans),
        "sagsnr": next((a.case_number for a in document.activities if a.case_number), ""),
    }


def committee(value: Committee) -> Context:
    """Return a committee as `{forkortelse, navn}`."""
    return {"forkortelse": value.abbreviation, "navn": value.name}


def row(activity: Activity) -> Context:
    """Return one plan row as the templates see it."""
    return {
        "dato": activity.period.label,
        "start": activity.period.start,
        "slut": activity.period.end,
        "tema": activity.theme,
        "aktivitet": activity.text,
        "deltagerkreds": activity.participants,
        "status": activity.status.value if activity.status else "",
        "ansvarlig": activity.responsible,
        "bemaerkning": activity.remark,
        "ekstra": dict(activity.extra),
    }


def initiative(value: Initiative) -> Context:
    """Return one row of the `Indsatser` sheet."""
    return {"navn": value.name, "beskrivelse": value.description, "type": value.type,
            "udvalg": value.committee.abbreviation if value.committee else ""}


def status_on(activity: Activity, day: date) -> Status:
    """Return an activity's status on `day`: the `Status` cell when filled, else from its dates."""
    if activity.status is not None:
        return activity.status
    if activity.period.end < day:
        return Status.DONE
    if activity.period.start <= day:
        return Status.IN_PROGRESS
    return Status.PLANNED


# The key each status is counted under in `antal`, as the templates see it.
_COUNT_KEYS = {Status.PLANNED: "planlagt", Status.IN_PROGRESS: "igang", Status.DONE: "gennemfoert",
               Status.CANCELLED: "aflyst", Status.POSTPONED: "udskudt"}


def orientation(document: Document, row: RowMaker) -> Context:
    """Return an orientation case's context: every other row of the plan counted by status on
    the meeting date; listed only what changed since the previous orientation case and what
    comes up before the next one. Later rows are counted in `senere`."""
    assert document.committee is not None and document.date is not None
    day, previous, following = document.date, document.previous, document.next
    groups: dict[Status, list[Context]] = {status: [] for status in Status}
    counts = dict.fromkeys(_COUNT_KEYS.values(), 0)
    later = 0
    own = {id(activity) for activity in document.activities}
    for activity in document.shown:
        if id(activity) in own:
            continue  # the orientation case itself is not part of the status it reports
        status = status_on(activity, day)
        counts[_COUNT_KEYS[status]] += 1
        if status is Status.PLANNED:
            listed = following is None or activity.period.start <= following
        else:
            if previous is not None and _before(activity, status, previous):
                continue  # it had this status already at the previous orientation case
            listed = following is None or _changed_on(activity, status) <= day
        if listed:
            groups[status].append(row(activity))
        else:
            later += 1  # a later orientation case lists it
    return {
        **_common(document),
        "udvalg": committee(document.committee),
        "dato": day,
        "forrige": previous,
        "naeste": following,
        "tema": _first(a.theme for a in document.activities),
        "antal": {**counts, "i_alt": sum(counts.values())},
        "senere": later,
        "gennemfoert": groups[Status.DONE],
        "igang": groups[Status.IN_PROGRESS],
        "kommende": groups[Status.PLANNED],
        "aflyst": groups[Status.CANCELLED],
        "udskudt": groups[Status.POSTPONED],
        "bilag": _attachments(document),
    }


def _before(activity: Activity, status: Status, previous: date) -> bool:
    """Return whether the dates gave `activity` its `status` already on the `previous` meeting
    date (as `status_on` reads them: done once ended before the day, started from its start)."""
    if status is Status.DONE:
        return activity.period.end < previous
    return activity.period.start <= previous


def _changed_on(activity: Activity, status: Status) -> date:
    """Return the day an activity is taken to have reached `status`.

    The plan keeps no history, so its dates stand in: a completed activity changed on its end
    date, a started, cancelled or postponed one on its start date. An orientation case lists
    the changes after the previous case up to its own meeting (the last case: all the rest).
    """
    return activity.period.end if status is Status.DONE else activity.period.start


def _attachments(document: Document) -> list[Context]:
    """Return the bilag of a Word document: the plan's PDF overview as Bilag 1."""
    return [{"nummer": number, "titel": f"Implementeringsplan {document.year} – oversigt", "fil": path.name}
            for number, path in enumerate(document.attachments, 1)]


def discussion(document: Document, _row: RowMaker) -> Context:
    assert document.committee is not None and document.date is not None
    others = [
        {"udvalg": committee(other), "dato": activity.period.start}
        for activity in document.shown
        for other in activity.committees
        if (other, activity.period.start) != (document.committee, document.date)
    ]
    others.sort(key=lambda item: (item["dato"], item["udvalg"]["forkortelse"]))
    return {
        **_common(document),
        "udvalg": committee(document.committee),
        "dato": document.date,
        # A row without a Tema still needs a title: its activity text's first line stands in.
        "tema": _first(a.theme for a in document.activities)
                or _first(a.text.split("\n")[0] for a in document.activities),
        "aktivitet": _first(a.text for a in document.activities),
        "indledning": _first(split_discussion(a.text)[0] for a in document.activities),
        "spoergsmaal": _unique(q for a in document.activities for q in a.questions),
        "indsatser": [initiative(i) for i in document.initiatives],
        "andre_udvalg": others,
        "bilag": _attachments(document),
    }


def overview(document: Document, row: RowMaker) -> Context:
    # The timeline's geometry and the date groups (pipeline.documents.overview) need Babel's month
    # names: imported when an overview is made, so reading and checking a plan do without it.
    from pipeline.documents.overview import overview_variables

    return {
        **_common(document),
        "aktiviteter": [row(a) for a in document.shown],
        "har_status": document.has_status,
        **overview_variables(document, row),
    }


def _first(texts: Iterable[str]) -> str:
    return next((text for text in texts if text), "")


def _unique(texts: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(texts))
