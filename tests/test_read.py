"""Reading plan files: Excel and the CSV dialects Danish offices produce, header detection, cells."""

from datetime import date, datetime

import pytest
from openpyxl import Workbook

from pipeline.core.errors import InputError
from pipeline.source.read import read_workbook
from pipeline.source.validate import OPTIONAL, REQUIRED

from conftest import HEADER, SAMPLE, write_csv, write_xlsx

ROWS = [
    ("8. maj", "Fortællinger", "Chefgruppen udvælger indsatser", "Chefgruppen"),
    ("Juni – september", "Formidling", "Hjemmeside\nPresse", "Borgere og virksomheder"),
]


def _table(path):
    book = read_workbook(path)
    return book.table(book.plan_sheet(), REQUIRED, OPTIONAL)


def _cells(table, column):
    return [table.get(row, column) for row in table.rows]


def test_sample_has_13_rows_below_its_title_with_line_breaks_kept():
    table = _table(SAMPLE)
    assert table.header_row == 3
    assert [row.number for row in table.rows] == list(range(4, 17))
    assert table.text(table.rows[3], "Deltagerkreds") == (
        "Borgere og politikere\nÅben invitation i Ballerup Bladet og på de digitale medier")


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("cp1252", ";"), ("utf-8-sig", ";"), ("utf-8", ";"), ("utf-8", ","), ("utf-8-sig", ",")],
)
def test_csv_dialects_read_the_same(tmp_path, encoding, delimiter):
    path = write_csv(tmp_path / "plan_2017.csv", ROWS, encoding=encoding, delimiter=delimiter)
    table = _table(path)
    assert table.sheet is None
    assert _cells(table, "Tema") == ["Fortællinger", "Formidling"]
    assert _cells(table, "Aktivitet")[1] == "Hjemmeside\nPresse"
    assert [row.number for row in table.rows] == [2, 3]


def test_title_rows_reordered_and_loosely_named_columns(tmp_path):
    header = ("  deltagerkreds ", "AKTIVITET", "Noter", "Tema", "Dato:")
    rows = [(r[3], r[2], "egen note", r[1], r[0]) for r in ROWS]
    path = write_xlsx(tmp_path / "plan_2017.xlsx", rows, header=header,
                      title_rows=[("Implementeringsplan 2017",), (), ("Udkast",)])
    table = _table(path)
    assert table.header_row == 4
    assert _cells(table, "Dato") == ["8. maj", "Juni – september"]
    assert table.extra == ("Noter",)
    assert table.rows[0].text("Noter") == "egen note"
    assert [row.number for row in table.rows] == [5, 6]


def test_blank_rows_are_skipped_and_row_numbers_stay_excel_numbers(tmp_path):
    path = write_xlsx(tmp_path / "plan_2017.xlsx", [ROWS[0], (None, None, None, None), ("  ",) * 4, ROWS[1]])
    assert [row.number for row in _table(path).rows] == [2, 5]


def test_leading_empty_rows_do_not_shift_row_numbers(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "Plan"
    for column, name in enumerate(HEADER, start=1):
        sheet.cell(row=4, column=column + 1, value=name)
    for column, value in enumerate(ROWS[0], start=1):
        sheet.cell(row=5, column=column + 1, value=value)
    path = tmp_path / "plan_2017.xlsx"
    book.save(path)
    table = _table(path)
    assert (table.header_row, table.rows[0].number) == (4, 5)


def test_excel_date_cells_become_dates(tmp_path):
    path = write_xlsx(tmp_path / "plan_2017.xlsx", [(datetime(2017, 6, 19), "Status", "Orienteringssag", "KMB")])
    assert _cells(_table(path), "Dato") == [date(2017, 6, 19)]


def test_cell_text_is_normalised(tmp_path):
    path = write_xlsx(tmp_path / "plan_2017.xlsx", [("8. maj", " Tema\u00a0med   luft ", "a\r\n\r\nb", 42)])
    table = _table(path)
    row = table.rows[0]
    assert (table.text(row, "Tema"), table.text(row, "Aktivitet"), table.text(row, "Deltagerkreds")) == (
        "Tema med luft", "a\nb", "42")


@pytest.mark.parametrize("text", ["NA", "N/A", "null", "None", "nan"])
def test_a_cell_reads_as_written_in_excel_and_in_csv(tmp_path, text):
    """Texts that data-frame readers take for "no value" are a case officer's words here."""
    rows = [("8. maj", "Tema", "Aktivitet", text)]
    for path in (write_xlsx(tmp_path / "plan_2017.xlsx", rows), write_csv(tmp_path / "plan_2017.csv", rows)):
        assert _cells(_table(path), "Deltagerkreds") == [text], path.name


def test_numbers_booleans_and_times_read_as_excel_shows_them(tmp_path):
    path = write_xlsx(tmp_path / "plan_2017.xlsx", [("8. maj", 2.5, True, 7.0)])
    row = _table(path).rows[0]
    assert [_table(path).text(row, column) for column in ("Tema", "Aktivitet", "Deltagerkreds")] == [
        "2.5", "Ja", "7"]


def test_plan_sheet_by_name_else_first(tmp_path):
    path = write_xlsx(tmp_path / "plan_2017.xlsx", [], header=("Noget",),
                      sheets={"Implementeringsplan": [HEADER, ROWS[0]]})
    assert read_workbook(path).plan_sheet() == "Plan"
    book = Workbook()
    book.active.title = "Ark1"
    book.active.append(list(HEADER))
    book.save(tmp_path / "ark.xlsx")
    assert read_workbook(tmp_path / "ark.xlsx").plan_sheet() == "Ark1"


def test_missing_required_column_names_the_header_row(tmp_path):
    path = write_xlsx(tmp_path / "plan_2017.xlsx", [r[:3] for r in ROWS], header=HEADER[:3],
                      title_rows=[("Titel",)])
    with pytest.raises(InputError) as raised:
        _table(path)
    assert [str(p) for p in raised.value.problems] == [
        'plan_2017.xlsx, ark "Plan", række 2: overskriftsrækken mangler kolonnen "Deltagerkreds"']


def test_text_file_named_xlsx_is_refused(tmp_path):
    path = tmp_path / "plan_2017.xlsx"
    path.write_text("Dato;Tema\n", encoding="utf-8")
    with pytest.raises(InputError, match="filen er ikke et Excel-regneark"):
        read_workbook(path)


def test_other_file_types_are_refused(tmp_path):
    path = tmp_path / "plan.docx"
    path.write_bytes(b"x")
    with pytest.raises(InputError, match=r"hverken et Excel-regneark \(.xlsx\) eller en CSV-fil"):
        read_workbook(path)
