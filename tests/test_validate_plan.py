"""Validation into typed records, and the documents a plan calls for."""

from datetime import date

import pytest

from pipeline.core.errors import InputError
from pipeline.core.model import DocumentKind
from pipeline.documents.kinds import output_path
from pipeline.documents.planning import plan_documents
from pipeline.source.read import read_workbook
from pipeline.source.validate import check_together, validate

from conftest import HEADER, write_csv, write_xlsx

EXPECTED_SAMPLE = [
    "droeftelser/2017-05-30_BSU_droeftelse.docx",
    "droeftelser/2017-05-30_SSU_droeftelse.docx",
    "droeftelser/2017-05-30_TMU_droeftelse.docx",
    "droeftelser/2017-06-06_EBU_droeftelse.docx",
    "droeftelser/2017-06-06_KFU_droeftelse.docx",
    "droeftelser/2017-06-13_OEKU_droeftelse.docx",
    "orienteringssager/2017-06-19_KMB_orienteringssag.docx",
    "oversigter/implementeringsplan_2017.html",
    "oversigter/implementeringsplan_2017.pdf",
]


def _problems(path, year=None):
    with pytest.raises(InputError) as raised:
        validate(read_workbook(path), year)
    return [str(p) for p in raised.value.problems]


def test_sample_plan(sample_plan):
    assert sample_plan.year == 2017
    assert len(sample_plan.activities) == 13
    meeting = sample_plan.activities[8]
    assert (meeting.source.row, meeting.period.start, meeting.kinds) == (
        12, date(2017, 6, 19), (DocumentKind.ORIENTATION,))
    assert [c.abbreviation for c in sample_plan.activities[4].committees] == ["BSU", "TMU", "SSU"]
    assert len(sample_plan.activities[4].questions) == 2


def test_sample_documents(sample_documents):
    assert list(sample_documents) == EXPECTED_SAMPLE


def test_same_plan_as_danish_excel_csv_gives_the_same_documents(tmp_path, sample_plan):
    rows = [(a.period.label, a.theme, a.text, a.participants) for a in sample_plan.activities]
    path = write_csv(tmp_path / "implementeringsplan_2017.csv", rows)  # ';' and Windows-1252
    documents = plan_documents([validate(read_workbook(path))])
    assert [str(d.path) for d in documents] == EXPECTED_SAMPLE


def test_file_names_spell_danish_letters_in_ascii():
    from pipeline.source.parse import DEFAULT_COMMITTEES

    oeku = DEFAULT_COMMITTEES[1]
    assert str(output_path(DocumentKind.DISCUSSION, 2017, oeku, date(2017, 6, 13))) == (
        "droeftelser/2017-06-13_OEKU_droeftelse.docx")


def test_every_problem_is_reported_at_once(tmp_path):
    path = write_xlsx(tmp_path / "plan_2017.xlsx", [
        ("32. maj", "Tema", "Drøftelse: Hvad?", "BSU"),
        ("snart", "Tema", "Noget", "Alle"),
        ("6. juni", "Tema", "Drøftelse: Hvad?", "De politiske fagudvalg: BSU og XYZ"),
        ("Juni", "Status", "Orienteringssag", "KMB"),
    ])
    problems = _problems(path)
    assert problems[0] == 'plan_2017.xlsx, ark "Plan", række 2, kolonne "Dato": "32. maj" er ikke en gyldig dato'
    assert problems[1].startswith('plan_2017.xlsx, ark "Plan", række 3, kolonne "Dato": "snart" er ikke en dato')
    assert problems[2] == ('plan_2017.xlsx, ark "Plan", række 4, kolonne "Deltagerkreds": "XYZ" er ikke et '
                           'kendt udvalg (kendte udvalg: KMB, ØKU, BSU, TMU, SSU, KFU, EBU)')
    assert problems[3] == ('plan_2017.xlsx, ark "Plan", række 5, kolonne "Dato": "Juni" er ikke én bestemt '
                           'dato; en orienteringssag skal have mødedatoen (fx "19. juni")')
    assert len(problems) == 4


def test_year_comes_from_column_option_or_file_name(tmp_path):
    row = ("19. juni", "Status", "Orienteringssag", "KMB")
    with_column = write_xlsx(tmp_path / "plan.xlsx", [(*row, 2019)], header=(*HEADER, "År"))
    assert validate(read_workbook(with_column)).year == 2019
    no_year = write_xlsx(tmp_path / "plan.xlsx", [row])
    assert validate(read_workbook(no_year), 2018).year == 2018
    named = write_xlsx(tmp_path / "plan_2016.xlsx", [row])
    assert validate(read_workbook(named)).activities[0].period.start == date(2016, 6, 19)


def test_unknown_year_says_how_to_give_it(tmp_path):
    path = write_xlsx(tmp_path / "plan.xlsx", [("19. juni", "Status", "Orienteringssag", "KMB")])
    assert _problems(path) == [
        'plan.xlsx, ark "Plan": det fremgår ikke, hvilket år planen gælder: tilføj en kolonne "År", '
        "skriv årstallet i filnavnet (fx implementeringsplan_2017.xlsx) eller brug --year 2017"]


def test_committee_register_and_initiatives_from_their_sheets(tmp_path):
    path = write_xlsx(tmp_path / "plan_2017.xlsx", [("30. maj", "Tema", "Drøftelse: Hvad?", "UMT")], sheets={
        "Udvalg": [("Forkortelse", "Navn"), ("UMT", "Udvalget for Miljø og Teknik")],
        "Indsatser": [("Indsats", "Beskrivelse", "Type", "Udvalg"),
                      ("Grønne tage", "Flere grønne tage", "kommende", "UMT"),
                      ("Fælles", "For alle", "eksisterende", None)],
    })
    plan = validate(read_workbook(path))
    assert [c.abbreviation for c in plan.committees] == ["UMT"]
    (note,) = [d for d in plan_documents([plan]) if d.kind is DocumentKind.DISCUSSION]
    assert str(note.path) == "droeftelser/2017-05-30_UMT_droeftelse.docx"
    assert [i.name for i in note.initiatives] == ["Grønne tage", "Fælles"]


def test_dokumenttype_column_decides(tmp_path):
    path = write_xlsx(tmp_path / "plan_2017.xlsx", [
        ("30. maj", "Tema", "Møde om indsatser", "BSU", "Drøftelse"),
        ("19. juni", "Status", "Orienteringssag", "KMB", "Ingen"),
        ("20. juni", "Status", "Orienteringssag", "KMB", ""),
    ], header=(*HEADER, "Dokumenttype"))
    paths = [str(d.path) for d in plan_documents([validate(read_workbook(path))])]
    assert "droeftelser/2017-05-30_BSU_droeftelse.docx" in paths
    assert "orienteringssager/2017-06-19_KMB_orienteringssag.docx" not in paths
    assert "orienteringssager/2017-06-20_KMB_orienteringssag.docx" in paths


def test_two_rows_for_one_file_are_one_document(tmp_path):
    path = write_xlsx(tmp_path / "plan_2017.xlsx", [
        ("30. maj", "Tema A", "Drøftelse: Hvad?", "BSU"),
        ("30. maj", "Tema B", "Drøftelse: Hvorfor?", "Børne- og Skoleudvalget"),
    ])
    notes = [d for d in plan_documents([validate(read_workbook(path))]) if d.kind is DocumentKind.DISCUSSION]
    assert len(notes) == 1 and len(notes[0].activities) == 2


def test_two_plans_for_one_year_are_one_plan_too_many(tmp_path):
    discussion = [("30. maj", "Tema", "Drøftelse: Hvad?", "BSU")]
    first = validate(read_workbook(write_xlsx(tmp_path / "a_2017.xlsx", discussion)))
    second = validate(read_workbook(write_xlsx(tmp_path / "b_2017.xlsx", [("8. maj", "Tema", "Cykeltur", "Borgere")])))
    assert [str(problem) for problem in check_together([first, second])] == [
        "b_2017.xlsx: planen gælder 2017 ligesom a_2017.xlsx; der må kun være én plan pr. år – flyt den ene ud af "
        "mappen, eller ret dens år"]


def test_two_plans_that_would_write_one_file_name_both_files_and_rows(tmp_path):
    discussion = [("30. maj", "Tema", "Drøftelse: Hvad?", "BSU")]
    first = validate(read_workbook(write_xlsx(tmp_path / "a_2017.xlsx", discussion)))
    second = validate(read_workbook(write_xlsx(
        tmp_path / "b_2018.xlsx", [("8. maj", "Tema", "Cykeltur", "Borgere"),
                                   ("30. maj 2017", "Tema", "Drøftelse: Hvem?", "BSU")])))
    with pytest.raises(InputError) as raised:
        plan_documents([first, second])
    assert [str(problem) for problem in raised.value.problems] == [
        "b_2018.xlsx: række 3 giver filen droeftelser/2017-05-30_BSU_droeftelse.docx, som a_2017.xlsx (række 2) "
        "også giver; ret datoen eller udvalget i den ene plan"]
