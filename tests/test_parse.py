"""The field parsers: Danish periods, years, committees, questions, document kinds, status."""

from datetime import date

import pytest

from pipeline.core.model import Committee, DocumentKind, Status
from pipeline.source.parse import (
    DEFAULT_COMMITTEES,
    Invalid,
    normalise_text,
    parse_committees,
    parse_kinds,
    parse_period,
    parse_questions,
    parse_status,
    parse_year,
    period_from_date,
    year_from_file_name,
)

D = date


@pytest.mark.parametrize(
    ("label", "start", "end"),
    [
        # Every form in the seed plan ...
        ("Løbende", D(2017, 1, 1), D(2017, 12, 31)),
        ("Maj", D(2017, 5, 1), D(2017, 5, 31)),
        ("8. maj", D(2017, 5, 8), D(2017, 5, 8)),
        ("13. juni", D(2017, 6, 13), D(2017, 6, 13)),
        ("Juni-september", D(2017, 6, 1), D(2017, 9, 30)),
        ("Juni – september", D(2017, 6, 1), D(2017, 9, 30)),
        ("Efterår/Vinter", D(2017, 9, 1), D(2018, 2, 28)),
        ("2018", D(2018, 1, 1), D(2018, 12, 31)),
        # ... and the seasons the README's "Regnearket" section lists.
        ("Efterår", D(2017, 9, 1), D(2017, 11, 30)),
        ("Vinter", D(2017, 12, 1), D(2018, 2, 28)),
        ("Forår", D(2017, 3, 1), D(2017, 5, 31)),
        ("Sommer", D(2017, 6, 1), D(2017, 8, 31)),
        ("uge 12", D(2017, 3, 20), D(2017, 3, 26)),
        ("2. kvartal", D(2017, 4, 1), D(2017, 6, 30)),
        # Spacing, case, dashes and abbreviations people type.
        ("juni—september", D(2017, 6, 1), D(2017, 9, 30)),
        ("JUNI -  SEPTEMBER", D(2017, 6, 1), D(2017, 9, 30)),
        ("8.maj", D(2017, 5, 8), D(2017, 5, 8)),
        ("8. sep.", D(2017, 9, 8), D(2017, 9, 8)),
        ("19. juni 2018", D(2018, 6, 19), D(2018, 6, 19)),
        ("Uge 1", D(2017, 1, 2), D(2017, 1, 8)),
        ("november-februar", D(2017, 11, 1), D(2018, 2, 28)),
        ("Efteråret", D(2017, 9, 1), D(2017, 11, 30)),
        ("4. kvartal", D(2017, 10, 1), D(2017, 12, 31)),
        ("Juni til september", D(2017, 6, 1), D(2017, 9, 30)),
    ],
)
def test_period_forms(label, start, end):
    # Dates written in digits (2017-06-19, 19-06-2017) are in tests/test_csv_dates.py: their
    # label is the Danish date, not the text as written.
    period = parse_period(label, 2017)
    assert (period.start, period.end) == (start, end)
    assert period.label == " ".join(label.split())


def test_period_label_keeps_the_text_as_written_but_on_one_line():
    assert parse_period("Juni –\n september", 2017).label == "Juni – september"


def test_single_day_periods_are_days():
    assert parse_period("19. juni", 2017).is_day
    assert not parse_period("Juni", 2017).is_day


def test_excel_date_cell_becomes_a_day_with_a_danish_label():
    period = period_from_date(D(2017, 6, 19))
    assert (period.start, period.end, period.label) == (D(2017, 6, 19), D(2017, 6, 19), "19. juni 2017")


@pytest.mark.parametrize("label", ["32. maj", "30. februar", "2017-02-30", "0. juni"])
def test_impossible_dates_are_not_valid_dates(label):
    with pytest.raises(Invalid, match=r"^er ikke en gyldig dato$"):
        parse_period(label, 2017)


@pytest.mark.parametrize("label", ["snart", "maj-snart", "Q3", "", "uge", "5. kvartal"])
def test_unreadable_periods_say_what_to_write(label):
    with pytest.raises(Invalid, match=r'skriv fx "8\. maj"'):
        parse_period(label, 2017)


def test_week_53_only_exists_in_some_years():
    assert parse_period("uge 53", 2020).start == D(2020, 12, 28)
    with pytest.raises(Invalid, match="er ikke en uge i 2017"):
        parse_period("uge 53", 2017)


def test_year():
    assert parse_year("2017") == 2017
    assert parse_year("2017.0") == 2017  # a number cell read as text
    with pytest.raises(Invalid):
        parse_year("17")


@pytest.mark.parametrize(
    ("name", "year"),
    [("implementeringsplan_2017.xlsx", 2017), ("plan-2018 v2.csv", 2018),
     ("plan.xlsx", None), ("plan 2017-2018.xlsx", None)],
)
def test_year_from_file_name(name, year):
    assert year_from_file_name(name) == year


def _abbreviations(text, committees=DEFAULT_COMMITTEES):
    found, unknown = parse_committees(text, committees)
    return [c.abbreviation for c in found], list(unknown)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("KMB", ["KMB"]),
        ("De politiske fagudvalg: BSU, TMU og SSU", ["BSU", "TMU", "SSU"]),
        ("De politiske fagudvalg:\nEBU og KFU", ["EBU", "KFU"]),
        ("De politiske fagudvalg: ØKU", ["ØKU"]),
        ("ØU og KB", ["ØKU", "KMB"]),
        ("Børne- og Skoleudvalget samt Teknik- og Miljøudvalget", ["BSU", "TMU"]),
        ("bsu / tmu", ["BSU", "TMU"]),
        ("BSU, BSU", ["BSU"]),
    ],
)
def test_committees(text, expected):
    assert _abbreviations(text) == (expected, [])


def test_words_that_are_not_committees_are_returned_as_unknown():
    assert _abbreviations("Borgere og politikere") == ([], ["Borgere", "politikere"])
    assert _abbreviations("BSU og XYZ") == (["BSU"], ["XYZ"])


def test_register_from_the_sheet_replaces_the_default():
    register = (Committee("UMT", "Udvalget for Miljø og Teknik", ("Miljøudvalget",)),)
    assert _abbreviations("Miljøudvalget og UMT", register) == (["UMT"], [])
    assert _abbreviations("TMU", register) == ([], ["TMU"])


def test_questions_one_per_question_mark_after_droeftelse():
    text = ("Drøftelse af de udvalgte indsatser.\n"
            "Drøftelse: Hvad er de vigtigste politiske tiltag for realisering af Vision 2029?  "
            "Hvilke konsekvenser har det for det politiske udvalgsarbejde?")
    assert parse_questions(text) == (
        "Hvad er de vigtigste politiske tiltag for realisering af Vision 2029?",
        "Hvilke konsekvenser har det for det politiske udvalgsarbejde?",
    )


def test_questions_keep_a_final_point_without_question_mark():
    assert parse_questions("Drøftelse: Hvad nu? Og så videre") == ("Hvad nu?", "Og så videre")
    assert parse_questions("Ingen spørgsmål her") == ()


@pytest.mark.parametrize(
    ("document_type", "activity", "kinds"),
    [
        ("", "Orienteringssag", (DocumentKind.ORIENTATION,)),
        ("", "Drøftelse af indsatser", (DocumentKind.DISCUSSION,)),
        ("", "Cykeltur", ()),
        ("Drøftelse", "Cykeltur", (DocumentKind.DISCUSSION,)),
        ("orienteringssag", "", (DocumentKind.ORIENTATION,)),
        ("Ingen", "Drøftelse af indsatser", ()),
    ],
)
def test_document_kinds(document_type, activity, kinds):
    assert parse_kinds(document_type, activity) == kinds


def test_unknown_document_type_is_invalid():
    with pytest.raises(Invalid, match="er ikke en dokumenttype"):
        parse_kinds("Referat", "")


def test_status():
    assert parse_status("i gang") is Status.IN_PROGRESS
    assert parse_status("Gennemført") is Status.DONE
    assert parse_status("") is None
    with pytest.raises(Invalid, match=r'er ikke en status .*"Planlagt"'):
        parse_status("Færdig")


def test_normalise_text():
    assert normalise_text("  Hjemmeside\u00a0 \r\n\r\n Presse\x07 ") == "Hjemmeside\nPresse"
    assert normalise_text("a_x000D_\nb") == "a\nb"
