"""Dates written in digits, as Danish Excel writes them into a CSV file (19-06-2017) and people type them."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from pipeline.cli.app import cli
from pipeline.core import danish
from pipeline.source.parse import Invalid, parse_period
from pipeline.source.read import read_workbook
from pipeline.source.validate import validate

from conftest import SAMPLE, TEMPLATES, write_xlsx

D = date


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("19-06-2017", D(2017, 6, 19)),  # Danish Excel's short date, as it writes it into a CSV file
        ("19-06-17", D(2017, 6, 19)),
        ("19.06.2017", D(2017, 6, 19)),
        ("19/06/2017", D(2017, 6, 19)),
        ("9-6-2017", D(2017, 6, 9)),
        ("9.6.17", D(2017, 6, 9)),
        ("9/6/17", D(2017, 6, 9)),
        ("19.6.2017", D(2017, 6, 19)),
        ("19 - 06 - 2017", D(2017, 6, 19)),
        ("19–06–2017", D(2017, 6, 19)),  # an en dash typed by Word's autocorrect
        ("2017-06-19", D(2017, 6, 19)),
        ("01-01-2018", D(2018, 1, 1)),  # the year written wins over the plan year
    ],
)
def test_dates_in_digits_are_days_labelled_like_a_date_cell(text, day):
    period = parse_period(text, 2017)
    assert (period.start, period.end) == (day, day)
    assert period.label == danish.short_date(day)  # "19. juni 2017", as for a date cell
    assert parse_period(period.label, 2017) == period


@pytest.mark.parametrize(
    ("text", "plan_year", "year"),
    [("1-2-17", 2017, 2017), ("1-2-99", 2017, 1999), ("1-2-66", 2017, 2066), ("1-2-68", 2017, 1968),
     ("1-2-05", 2099, 2105), ("1-2-17", 1990, 2017)],
)
def test_a_two_digit_year_is_the_one_nearest_the_plan_year(text, plan_year, year):
    assert parse_period(text, plan_year).start == D(year, 2, 1)


@pytest.mark.parametrize("text", ["31-02-2017", "19-13-2017", "0-6-2017", "19-06-1850", "19.06.17.5"])
def test_impossible_dates_in_digits_are_refused(text):
    with pytest.raises(Invalid):
        parse_period(text, 2017)


@pytest.mark.parametrize(("text", "start", "end"), [
    ("Juni-september", D(2017, 6, 1), D(2017, 9, 30)),  # words around a dash are still a range
    ("juni-sep.", D(2017, 6, 1), D(2017, 9, 30)),
    ("2018", D(2018, 1, 1), D(2018, 12, 31)),
])
def test_ranges_and_years_are_not_taken_for_dates(text, start, end):
    period = parse_period(text, 2017)
    assert (period.start, period.end, period.label) == (start, end, text)


@pytest.mark.parametrize("text", ["6-9", "19-06", "2017-2018"])
def test_two_numbers_are_not_a_date(text):
    with pytest.raises(Invalid, match="er ikke en dato eller periode"):
        parse_period(text, 2017)


def test_a_text_date_in_a_workbook_reads_like_a_date_cell(tmp_path):
    rows = [("19-06-2017", "Status", "Orienteringssag", "KMB"),
            (datetime(2017, 6, 19), "Status", "Orienteringssag", "KMB")]
    plan = validate(read_workbook(write_xlsx(tmp_path / "plan_2017.xlsx", rows)))
    assert plan.activities[0].period == plan.activities[1].period
    assert plan.activities[0].period.label == "19. juni 2017"


# --- A Danish Excel CSV builds the same documents as its workbook ---------------------------------

def _sample_rows() -> list[list]:
    """The sample's Plan sheet with every single-day label as a real Excel date cell."""
    sheet = load_workbook(SAMPLE)["Plan"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    for row in rows[3:]:  # below the title, the blank row and the header
        label = row[0]
        try:
            period = parse_period(label, 2017)
        except Invalid:
            continue
        if period.is_day:
            row[0] = datetime(period.start.year, period.start.month, period.start.day)
    assert sum(isinstance(row[0], datetime) for row in rows) == 7
    return rows


def _as_excel_writes_csv(rows: list[list], path: Path) -> Path:
    """Write `rows` the way Danish Excel saves "CSV (semikolonsepareret)": `;`, cp1252, 19-06-2017."""
    with path.open("w", encoding="cp1252", newline="") as file:
        writer = csv.writer(file, delimiter=";", lineterminator="\r\n")
        for row in rows:
            writer.writerow([value.strftime("%d-%m-%Y") if isinstance(value, datetime)
                             else "" if value is None else value for value in row])
    return path


def _word_text(path: Path) -> list[str]:
    document = docx.Document(str(path))
    texts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        texts.extend(cell.text for row in table.rows for cell in row.cells)
    for section in document.sections:
        texts.extend(paragraph.text for paragraph in section.header.paragraphs)
    return texts


def _build(plan: Path, output: Path) -> dict[str, list[str]]:
    result = CliRunner().invoke(cli, ["build", str(plan), "-o", str(output), "-t", str(TEMPLATES), "-q"])
    assert result.exit_code == 0, result.output
    return {p.relative_to(output).as_posix(): _word_text(p) if p.suffix == ".docx" else []
            for p in sorted(output.rglob("*")) if p.is_file() and ".pipeline" not in p.parts}


def test_a_danish_excel_csv_builds_the_same_documents_as_the_workbook(tmp_path):
    rows = _sample_rows()
    (tmp_path / "xlsx").mkdir()
    (tmp_path / "csv").mkdir()
    workbook = write_xlsx(tmp_path / "xlsx" / "implementeringsplan_2017.xlsx", rows[3:], header=rows[2],
                          title_rows=rows[:2])
    text = _as_excel_writes_csv(rows, tmp_path / "csv" / "implementeringsplan_2017.csv")
    assert b"19-06-2017;Status;Orienteringssag;KMB\r\n" in text.read_bytes()
    assert "Würtzen".encode("cp1252") in text.read_bytes()

    from_workbook = _build(workbook, tmp_path / "out-xlsx")
    from_csv = _build(text, tmp_path / "out-csv")
    assert sorted(from_csv) == sorted(from_workbook)
    assert "orienteringssager/2017-06-19_KMB_orienteringssag.docx" in from_csv
    assert sum(name.startswith("droeftelser/") for name in from_csv) == 6
    assert from_csv == from_workbook
    status = from_csv["orienteringssager/2017-06-19_KMB_orienteringssag.docx"]
    assert any("30. maj 2017" in line for line in status)  # a date cell's label, from "30-05-2017"

