"""Danish language data and formatting, built on Babel's CLDR data for `da`.

Parsers (`parse.py`) and template filters (`templating.py`) both draw on this module, so a
month name is spelled the same way wherever it is read or written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache

# Babel is imported inside the functions: a build with nothing to do (and `validate` of a
# plan without dates to write) never needs it, and importing it takes about 15 ms.

LOCALE = "da_DK"

# Meteorological seasons as Danes use them; winter runs from December into the next year.
SEASONS: dict[str, tuple[int, int]] = {
    "forår": (3, 5),
    "sommer": (6, 8),
    "efterår": (9, 11),
    "vinter": (12, 2),
}

# Latin transliteration used in file names (README "Udvalg": Æ→AE, Ø→OE, Å→AA).
FILE_NAME_LETTERS = str.maketrans({"Æ": "AE", "Ø": "OE", "Å": "AA", "æ": "ae", "ø": "oe", "å": "aa"})


@cache
def month_numbers() -> dict[str, int]:
    """Return every way Babel writes a Danish month (`juni`, `jun.`, `jun`) mapped to its number."""
    from babel.dates import get_month_names

    numbers: dict[str, int] = {}
    for width in ("wide", "abbreviated"):
        for context in ("format", "stand-alone"):
            for number, name in get_month_names(width, context, locale=LOCALE).items():
                numbers[name.casefold()] = number
                numbers[name.casefold().rstrip(".")] = number
    return numbers


@cache  # Babel looks the locale up on every call; an overview asks once per row
def month_name(month: int) -> str:
    """Return the Danish month name in lower case (`juni`)."""
    from babel.dates import get_month_names

    return get_month_names("wide", locale=LOCALE)[month]


def long_date(day: date) -> str:
    """Return `mandag den 19. juni 2017`."""
    from babel.dates import format_date

    return format_date(day, "EEEE 'den' d. MMMM y", locale=LOCALE)


def short_date(day: date) -> str:
    """Return `19. juni 2017`."""
    from babel.dates import format_date

    return format_date(day, "d. MMMM y", locale=LOCALE)


def day_month(day: date) -> str:
    """Return `19. juni`."""
    from babel.dates import format_date

    return format_date(day, "d. MMMM", locale=LOCALE)


def iso_week(day: date) -> str:
    """Return the ISO week as Danes write it: `uge 25`."""
    return f"uge {day.isocalendar().week}"


def join(items: Iterable[str]) -> str:
    """Return items joined the Danish way: `BSU, TMU og SSU`."""
    items = [str(item) for item in items]
    from babel.lists import format_list

    return format_list(items, locale=LOCALE) if items else ""


def file_name_part(text: str) -> str:
    """Return `text` with Danish letters spelled in ASCII (`ØKU` → `OEKU`)."""
    return text.translate(FILE_NAME_LETTERS)
