"""The overview's own template variables: table groups and the timeline's geometry and labels.

`pipeline.documents.context` calls `overview_variables`, so the context stays the one source of
template variables.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

from babel.dates import get_month_names

from pipeline.core import danish
from pipeline.core.model import Activity, Document, DocumentKind, Status

LABEL_LENGTH = 70  # characters of a timeline row's label (theme and activity, shortened)
THEME_LENGTH = 30  # of which the theme takes at most this many
ACTIVITY_LENGTH = 20  # and the activity at least this many
# Statuses the timeline marks with a pattern, a sign and a word (the template draws them by
# `statusform`); planned and started activities are drawn plainly.
MARKED_STATUSES = {Status.DONE: "gennemfoert", Status.CANCELLED: "aflyst", Status.POSTPONED: "udskudt"}
# A plan of more activities than LANES_ABOVE gets a timeline of one lane per theme (`temaspor`:
# per month how many of the theme's activities run) instead of one line per activity
# (`tidslinje` is then empty): one line per activity costs WeasyPrint as much as the whole table
# and runs to tens of pages, the lanes take a page or two (benchmarks/TIMELINE.md). Independent
# of how the PDF is split into parts (`pipeline.render.overview`); tests patch it.
LANES_ABOVE = 600
SHADES = 4  # a lane's month cell is shaded in levels 1..SHADES by its count (0: no activity)
NO_THEME = "Uden tema"


def overview_variables(document: Document, row: Callable[[Activity], dict[str, Any]]) -> dict[str, Any]:
    """Return the overview's own template variables; `row` turns an activity into its table row."""
    year = document.year
    ongoing = [a for a in document.shown if _is_ongoing(a, year)]
    dated = [a for a in document.shown if not _is_ongoing(a, year)]

    groups: list[dict[str, Any]] = []
    if ongoing:
        groups.append({"titel": "Løbende – hele året", "loebende": True,
                       "raekker": [_table_row(a, row) for a in ongoing]})
    by_title: dict[str, dict[str, Any]] = {}
    for activity in dated:
        title = _group_title(activity)
        if title not in by_title:
            by_title[title] = {"titel": title, "loebende": False, "raekker": []}
            groups.append(by_title[title])
        by_title[title]["raekker"].append(_table_row(activity, row))

    in_order = [*ongoing, *dated]
    timeline = [] if len(in_order) > LANES_ABOVE else [
        _timeline_item(a, year, ongoing=index < len(ongoing), label=label)
        for index, (a, label) in enumerate(zip(in_order, _labels(in_order), strict=True))]
    forms = [form for form in ("periode", "loebende", "dag", "moede", "udenfor")
             if any(item["form"] == form for item in timeline)]
    statuses = [{"form": form, "tekst": status.value} for status, form in MARKED_STATUSES.items()
                if any(item["statusform"] == form for item in timeline)]
    return {
        "titel": f"Implementeringsplan {year}",
        "medie": "pdf" if document.kind is DocumentKind.OVERVIEW else "web",
        "antal": len(document.shown),
        "grupper": groups,
        "maaneder": _months(),
        "tidslinje": timeline,
        "temaspor": theme_lanes(in_order, year),
        "former": forms,
        "statusser": statuses,
        "fortsaetter": any((item["foer"] or item["efter"]) and item["form"] != "udenfor"
                           for item in timeline),
    }


def _is_ongoing(activity: Activity, year: int) -> bool:
    """True for an undated activity: `Løbende`, or any period that is the whole plan year."""
    period = activity.period
    return (period.start, period.end) == (date(year, 1, 1), date(year, 12, 31))


def _group_title(activity: Activity) -> str:
    """Return the table group an activity falls in: `Maj 2017`, or `2018` for a whole other year."""
    start, end = activity.period.start, activity.period.end
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    return f"{danish.month_name(start.month).capitalize()} {start.year}"


def _table_row(activity: Activity, row: Callable[[Activity], dict[str, Any]]) -> dict[str, Any]:
    """Return a table row: the shared row fields plus the committees it concerns."""
    return {**row(activity), "udvalg": [c.abbreviation for c in activity.committees]}


def _months() -> list[dict[str, Any]]:
    """Return the twelve months with their Danish names: `{nummer, navn, kort}`."""
    short = get_month_names("abbreviated", locale=danish.LOCALE)
    return [{"nummer": m, "navn": danish.month_name(m), "kort": short[m]} for m in range(1, 13)]


def theme_lanes(activities: list[Activity], year: int) -> list[dict[str, Any]]:
    """Return one lane per theme, in the order the themes first appear in `activities`.

    A lane has `tema`, `antal` (the theme's activities), `maaneder` (for each month of `year`
    `antal`, how many of them run in that month, and `niveau`, its shade: 0 for none, else 1 to
    SHADES relative to the busiest cell of the plan) and `flest` (the name of the theme's busiest
    month, the first of equals; empty when every month has as many).
    """
    bounds = [(date(year, m, 1), date(year, m, calendar.monthrange(year, m)[1])) for m in range(1, 13)]
    totals: Counter[str] = Counter()
    lanes: dict[str, list[int]] = {}  # theme → how many of its activities run in each month
    for activity in activities:
        theme = _one_line(activity.theme) or NO_THEME
        totals[theme] += 1
        counts = lanes.setdefault(theme, [0] * 12)
        for month, (first, last) in enumerate(bounds):
            if activity.period.start <= last and activity.period.end >= first:
                counts[month] += 1
    most = max((count for counts in lanes.values() for count in counts), default=0) or 1
    return [{
        "tema": theme,
        "antal": totals[theme],
        "maaneder": [{"antal": count, "niveau": -(-count * SHADES // most)} for count in counts],
        "flest": ("" if len(set(counts)) == 1
                  else danish.month_name(1 + max(range(12), key=counts.__getitem__))),
    } for theme, counts in lanes.items()]


def year_fraction(day: date, year: int, *, end: bool = False) -> float:
    """Return where `day` lies on the timeline of `year`: 0 at 1 January, 1 after 31 December.

    Every month is one twelfth of the axis (as drawn), so month boundaries fall on the grid.
    With `end`, the position after the day rather than before it. Days outside the year are
    clamped to the ends.
    """
    if day.year < year:
        return 0.0
    if day.year > year:
        return 1.0
    days = calendar.monthrange(day.year, day.month)[1]
    return (day.month - 1 + (day.day - (0 if end else 1)) / days) / 12


def _timeline_item(activity: Activity, year: int, *, ongoing: bool, label: str) -> dict[str, Any]:
    """Return one line of the timeline: what to draw, where (fractions of the year) and its text.

    `form` is periode (a bar), loebende (a bar over the whole year), dag (a single day), moede
    (a single day naming committees) or udenfor (wholly before or after the year: an arrow at
    that end). `side` says where the text goes: right of `anker`, left of it, or inside the bar.
    `etiket` is the row's label (`label`), `fuld_tekst` its theme and activity in full, and
    `status`/`statusform` the status the timeline marks (empty for planned or started).
    """
    period = activity.period
    start = year_fraction(period.start, year)
    end = year_fraction(period.end, year, end=True)
    before, after = period.start.year < year, period.end.year > year
    committees = danish.join(c.abbreviation for c in activity.committees)
    if period.end.year < year or period.start.year > year:
        form, middle = "udenfor", 0.0 if before else 1.0
        side, anchor = ("hoejre", 0.0) if before else ("venstre", 1.0)
        note = f"før {year}" if before else f"efter {year}"
    else:
        middle = (start + end) / 2
        note = (f"begynder i {period.start.year}" if before
                else f"fortsætter i {period.end.year}" if after else "")
        if ongoing:
            form, side, anchor = "loebende", "inde", start
        elif period.is_day:
            form = "moede" if committees else "dag"
            side, anchor = ("hoejre", middle) if middle <= 0.6 else ("venstre", middle)
        else:
            form = "periode"
            side, anchor = (("hoejre", end) if end <= 0.62 else ("venstre", start) if start >= 0.38
                            else ("inde", start))
    return {
        "etiket": label,
        "fuld_tekst": _full_text(activity),
        "dato": period.label,
        "udvalg": committees,
        "form": form,
        "start": start,
        "slut": end,
        "midt": middle,
        "foer": before,
        "efter": after,
        "side": side,
        "anker": anchor,
        "note": note,
        "status": activity.status.value.lower() if activity.status in MARKED_STATUSES else "",
        "statusform": MARKED_STATUSES.get(activity.status, ""),
    }


def _one_line(text: str) -> str:
    """Return a cell's lines on one line, joined with ` – `."""
    return " – ".join(line.strip() for line in text.splitlines() if line.strip())


def _full_text(activity: Activity) -> str:
    """Return a timeline row's full text: `Tema: Aktivitet`, each on one line."""
    return ": ".join(part for part in (_one_line(activity.theme), _one_line(activity.text)) if part)


def _label(activity: Activity, limit: int = LABEL_LENGTH) -> str:
    """Return a timeline row's label: the theme and the activity, each shortened, within `limit`."""
    theme, text = _one_line(activity.theme), _one_line(activity.text)
    if not (theme and text) or theme == text:
        return _short(theme or text, limit)
    theme = _short(theme, min(THEME_LENGTH, limit - ACTIVITY_LENGTH - 2))
    return f"{theme}: {_short(text, limit - len(theme) - 2)}"


def _labels(activities: list[Activity]) -> list[str]:
    """Return the timeline labels of `activities`, told apart: where rows would share a label,
    each gets its date (`· 30. maj`), and where that is shared too, its number among them."""
    labels = [_label(a) for a in activities]
    shared = {label for label, count in Counter(labels).items() if count > 1}
    for index, activity in enumerate(activities):
        if labels[index] in shared:
            suffix = f" · {activity.period.label}"
            labels[index] = _label(activity, LABEL_LENGTH - len(suffix)) + suffix
    seen: Counter[str] = Counter()
    repeated = {label for label, count in Counter(labels).items() if count > 1}
    for index, label in enumerate(labels):
        if label in repeated:
            seen[label] += 1
            labels[index] = f"{label} ({seen[label]})"
    return labels


def _short(text: str, limit: int = LABEL_LENGTH) -> str:
    """Return the first line of `text`, cut at a word boundary to at most `limit` characters."""
    line = text.split("\n", 1)[0].strip()
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:–-")
    return f"{cut}…"


