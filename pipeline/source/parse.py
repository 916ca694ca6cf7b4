"""Small parsers, one per field rule. Each takes cell text and returns a value or raises `Invalid`.

`Invalid` carries the Danish predicate of an error message ("er ikke en gyldig dato"); the
validator adds the file, sheet, row, column and value around it.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from pipeline.core import danish
from pipeline.core.model import Committee, DocumentKind, Period, Status
from pipeline.core.text import loose


class Invalid(ValueError):
    """A cell's value breaks its field rule; the message is a Danish predicate."""


# --- Cell text ---------------------------------------------------------------------------------

_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f\u2000-\u200a\u3000]+")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u000b\u000c\u0085\u2028\u2029]")
_DASHES = re.compile(r"\s*[-\u2010-\u2015\u2212]\s*")
# Control characters (but tab and line feed), surrogates and U+FFFE/U+FFFF: no XML may hold them.
_DROPPED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def normalise_text(value: str) -> str:
    """Return cell text with one space between words and one `\\n` between paragraphs.

    Non-breaking and other odd spaces become plain spaces, control characters (and the
    characters no XML document may hold: surrogates, U+FFFE, U+FFFF) are dropped, Excel's
    `_x000D_` escapes and every kind of line break become `\\n`, and blank lines go.
    """
    value = _DROPPED.sub("", _LINE_BREAKS.sub("\n", value))
    value = value.replace("_x000D_", "\n").replace("_x000d_", "\n")
    lines = (_SPACES.sub(" ", line).strip() for line in value.split("\n"))
    return "\n".join(line for line in lines if line)


# --- Periods -----------------------------------------------------------------------------------

_EXAMPLES = '(skriv fx "8. maj", "Juni-september", "uge 12", "2. kvartal" eller "Løbende")'
NOT_A_DATE = "er ikke en gyldig dato"
NOT_A_PERIOD = f"er ikke en dato eller periode, som kan læses {_EXAMPLES}"

_YEAR = r"(?:\s+(?P<year>\d{4}))?"
_ISO = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})")
# Day first, as Danish Excel writes a short date into a CSV file (19-06-2017, 19-06-17) and as
# people type it (19.6.2017, 19/6/17). A date needs all three parts, so no word range
# ("Juni-september") and no bare number can be taken for one.
_NUMERIC = re.compile(r"(?P<day>\d{1,2})\s*[./-]\s*(?P<month>\d{1,2})\s*[./-]\s*(?P<year>\d{4}|\d{2})")
_DAY_MONTH = re.compile(r"(?P<day>\d{1,3})\.?\s*(?P<month>[a-zæøå]+\.?)" + _YEAR)
_WEEK = re.compile(r"uge\s*(?P<week>\d{1,2})" + _YEAR)
_QUARTER = re.compile(r"(?P<quarter>[1-4])\.?\s*kvartal" + _YEAR)
_RANGE = re.compile(r"(?P<first>[a-zæøå.]+)\s*(?:-|/|\btil\b)\s*(?P<last>[a-zæøå.]+)" + _YEAR)
_TERM = re.compile(r"(?P<term>[a-zæøå.]+)" + _YEAR)


@functools.lru_cache(maxsize=4096)  # a long plan repeats its date labels; a Period cannot change
def parse_period(text: str, year: int) -> Period:
    """Return the period a Danish date label names, in `year` unless the label gives one."""
    label = normalise_text(text).replace("\n", " ")
    key = _DASHES.sub("-", label.casefold())
    if (day := _numeric_date(key, year)) is not None:
        return period_from_date(day)
    start, end = _parse_key(key, year)
    return Period(start, end, label)


def period_from_date(value: date) -> Period:
    """Return the one-day period of a real date cell, labelled `19. juni 2017`."""
    day = value.date() if isinstance(value, datetime) else value
    return Period(day, day, danish.short_date(day))


def _numeric_date(key: str, year: int) -> date | None:
    """Return the day a date written in digits names (`2017-06-19`, `19-06-2017`, `9.6.17`), or None.

    Such a date is labelled like a date cell (`19. juni 2017`): a CSV file that Danish Excel
    saved with `19-06-2017` then gives the same documents as the workbook it came from.
    A two-digit year is the one nearest the plan year (`17` in a 2017 plan is 2017, `99` is 1999).
    """
    if match := _ISO.fullmatch(key):
        _check_year(int(match["year"]))
        return _day(int(match["year"]), int(match["month"]), int(match["day"]))
    if match := _NUMERIC.fullmatch(key):
        written = int(match["year"])
        if len(match["year"]) == 2:
            century = year - year % 100
            written = min((century - 100 + written, century + written, century + 100 + written),
                          key=lambda candidate: (abs(candidate - year), candidate))
        _check_year(written)
        return _day(written, int(match["month"]), int(match["day"]))
    return None


def _parse_key(key: str, year: int) -> tuple[date, date]:
    if key in ("løbende", "hele året"):
        return date(year, 1, 1), date(year, 12, 31)
    if re.fullmatch(r"\d{4}", key):
        whole = int(key)
        _check_year(whole)
        return date(whole, 1, 1), date(whole, 12, 31)
    if (match := _DAY_MONTH.fullmatch(key)) and match["month"] in danish.month_numbers():
        month = danish.month_numbers()[match["month"]]
        day = _day(_year(match, year), month, int(match["day"]))
        return day, day
    if match := _WEEK.fullmatch(key):
        return _week(_year(match, year), int(match["week"]))
    if match := _QUARTER.fullmatch(key):
        first = 3 * int(match["quarter"]) - 2
        return _month_span(_year(match, year), first, first + 2)
    if (match := _TERM.fullmatch(key)) and (span := _term(match["term"])):
        return _month_span(_year(match, year), *span)
    if match := _RANGE.fullmatch(key):
        first, last = _term(match["first"]), _term(match["last"])
        if first and last:
            start, _ = _month_span(_year(match, year), *first)
            # The range ends at the end of its last term, after the start (Nov-Feb crosses a year).
            end_year = start.year if last[0] >= first[0] else start.year + 1
            _, end = _month_span(end_year, *last)
            return start, end
    raise Invalid(NOT_A_PERIOD)


def _term(word: str) -> tuple[int, int] | None:
    """Return the first and last month of a month name or season, or None."""
    word = word.rstrip(".")
    if word in danish.month_numbers():
        month = danish.month_numbers()[word]
        return month, month
    season = word.removesuffix("et")  # "efteråret"
    return danish.SEASONS.get(word) or danish.SEASONS.get(season)


def _year(match: re.Match[str], default: int) -> int:
    if match["year"] is None:
        return default
    year = int(match["year"])
    _check_year(year)
    return year


def _check_year(year: int) -> None:
    if not 1900 <= year <= 2200:
        raise Invalid(NOT_A_DATE)


def _day(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise Invalid(NOT_A_DATE) from None


def _week(year: int, week: int) -> tuple[date, date]:
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise Invalid(f"er ikke en uge i {year}") from None
    return monday, monday + timedelta(days=6)


def _month_span(year: int, first: int, last: int) -> tuple[date, date]:
    """Return the first day of month `first` and the last day of month `last` (next year if before)."""
    end_year = year if last >= first else year + 1
    return date(year, first, 1), date(end_year, last, calendar.monthrange(end_year, last)[1])


# --- Years -------------------------------------------------------------------------------------

def parse_year(text: str) -> int:
    """Return a plan year written as four digits (`2017`, also `2017.0` from a number cell)."""
    match = re.fullmatch(r"\s*(\d{4})(?:\.0+)?\s*", text)
    if not match or not 1900 <= int(match[1]) <= 2200:
        raise Invalid("er ikke et årstal (skriv fx 2017)")
    return int(match[1])


def year_from_file_name(name: str) -> int | None:
    """Return the one four-digit year (19xx/20xx) in a file name, or None if there is not exactly one."""
    years = set(re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", name))
    return int(years.pop()) if len(years) == 1 else None


# --- Committees --------------------------------------------------------------------------------

DEFAULT_COMMITTEES: tuple[Committee, ...] = (
    Committee("KMB", "Kommunalbestyrelsen", ("KB",)),
    Committee("ØKU", "Økonomiudvalget", ("ØU",)),
    Committee("BSU", "Børne- og Skoleudvalget"),
    Committee("TMU", "Teknik- og Miljøudvalget"),
    Committee("SSU", "Social- og Sundhedsudvalget"),
    Committee("KFU", "Kultur- og Fritidsudvalget"),
    Committee("EBU", "Erhvervs- og Beskæftigelsesudvalget"),
)

_SEPARATORS = re.compile(r"\s*(?:[,;/&+\n]|\bog\b|\bsamt\b)\s*", re.IGNORECASE)
_ABBREVIATION = re.compile(r"[A-ZÆØÅ]{2,6}")


def parse_committees(
    text: str, committees: Iterable[Committee]
) -> tuple[tuple[Committee, ...], tuple[str, ...]]:
    """Return the committees `text` names, in order, and the words that are not committees.

    Understands `BSU, TMU og SSU`, full names (which contain " og " themselves), aliases and a
    lead-in before a colon (`De politiske fagudvalg: …`).
    """
    return _parse_committees(text, tuple(committees))


@functools.lru_cache(maxsize=4096)  # a plan names the same few circles of participants again and again
def _parse_committees(text: str, committees: tuple[Committee, ...]
                      ) -> tuple[tuple[Committee, ...], tuple[str, ...]]:
    by_name = {loose(name): c for c in committees for name in c.names}
    work = normalise_text(text)
    found: list[tuple[int, Committee]] = []
    # Longest names first, so "Børne- og Skoleudvalget" is taken whole before any split on "og".
    for name in sorted(by_name, key=len, reverse=True):
        pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, name.split())) + r"(?!\w)"
        for match in re.finditer(pattern, work, re.IGNORECASE):
            found.append((match.start(), by_name[name]))
            work = work[: match.start()] + "," * (match.end() - match.start()) + work[match.end() :]
    rest = work.rsplit(":", 1)[-1] if ":" in work else work
    unknown = tuple(word for word in _SEPARATORS.split(rest) if word.strip(" ,.-"))
    ordered: list[Committee] = []
    for _, committee in sorted(found, key=lambda item: item[0]):
        if committee not in ordered:
            ordered.append(committee)
    return tuple(ordered), unknown


def looks_like_abbreviation(word: str) -> bool:
    """True for a word written like a committee abbreviation (`BSU`, `ØKU`)."""
    return bool(_ABBREVIATION.fullmatch(word.strip()))


# --- Discussion questions ----------------------------------------------------------------------

_DISCUSSION = re.compile(r"drøftelse\s*:", re.IGNORECASE)


def split_discussion(text: str) -> tuple[str, str]:
    """Return an activity's text before `Drøftelse:` and the questions after it ('' when none)."""
    lead, *questions = _DISCUSSION.split(text, maxsplit=1)
    return lead.strip(), questions[0].strip() if questions else ""


def parse_questions(text: str) -> tuple[str, ...]:
    """Return the questions after `Drøftelse:`, one per question mark, in order."""
    _, body = split_discussion(normalise_text(text))
    if not body:
        return ()
    *asked, tail = " ".join(body.split()).split("?")
    questions = [question.strip() + "?" for question in asked if question.strip()]
    if tail.strip():
        questions.append(tail.strip())
    return tuple(questions)


# --- Document kinds and status -----------------------------------------------------------------

_KIND_WORDS = {
    "orienteringssag": (DocumentKind.ORIENTATION,),
    "orientering": (DocumentKind.ORIENTATION,),
    "drøftelse": (DocumentKind.DISCUSSION,),
    "drøftelsessag": (DocumentKind.DISCUSSION,),
    "ingen": (),
}
NOT_A_KIND = 'er ikke en dokumenttype (skriv "Orienteringssag", "Drøftelse", "Ingen" eller lad feltet stå tomt)'


def parse_kinds(document_type: str, activity: str) -> tuple[DocumentKind, ...]:
    """Return the documents a row calls for: from `Dokumenttype`, else inferred from `Aktivitet`."""
    key = loose(document_type)
    if key:
        if key not in _KIND_WORDS:
            raise Invalid(NOT_A_KIND)
        return _KIND_WORDS[key]
    words = loose(activity)
    if "orienteringssag" in words:
        return (DocumentKind.ORIENTATION,)
    if "drøftelse" in words:
        return (DocumentKind.DISCUSSION,)
    return ()


def parse_status(text: str) -> Status | None:
    """Return the `Status` a cell names (any case), or None when it is empty."""
    key = loose(text).replace(" ", "")
    if not key:
        return None
    for status in Status:
        if status.value.casefold().replace(" ", "") == key:
            return status
    allowed = ", ".join(f'"{s.value}"' for s in Status)
    raise Invalid(f"er ikke en status (brug {allowed})")
