"""`pipeline new-plan`: a new plan workbook with drop-down lists that validates empty and builds filled."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from pipeline.cli.app import cli
from pipeline.core.model import Committee, Status
from pipeline.source.newplan import LAST_ROW, new_plan_bytes, write_new_plan
from pipeline.source.parse import DEFAULT_COMMITTEES
from pipeline.source.read import read_workbook
from pipeline.source.validate import OPTIONAL, REQUIRED, validate

from conftest import TEMPLATES

NAME = "implementeringsplan_2019.xlsx"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """An empty project folder as the current directory, where `new-plan 2019` has run."""
    monkeypatch.chdir(tmp_path)
    result = run("new-plan", 2019)
    assert result.exit_code == 0, result.output
    assert result.output == (f"Ny plan: {Path('input', NAME)}. Åbn den i Excel, og udfyld arket Plan "
                             "(se arket Vejledning).\n")
    return tmp_path


def headers(sheet) -> dict[str, str]:
    """Return the header row of `sheet` as header → column letter."""
    return {cell.value: cell.column_letter for cell in sheet[1] if cell.value}


def named_values(book, name: str) -> list[str]:
    """Return the values of the cells a workbook name points at."""
    (sheet_name, reference), = book.defined_names[name].destinations
    sheet = book[sheet_name]
    return [cell.value for row in sheet[reference.replace("$", "")] for cell in row]


def list_validations(sheet) -> dict[str, object]:
    """Return the list validations of `sheet` by the one column each covers (its letter)."""
    found = {}
    for validation in sheet.data_validations.dataValidation:
        for cells in validation.sqref.ranges:
            first_column, first_row, last_column, last_row = range_boundaries(cells.coord)
            assert (first_column, first_row, last_row) == (last_column, 2, LAST_ROW)
            found[cells.coord[0]] = validation
    return found


def test_the_plan_sheet_has_every_column_a_frozen_header_and_widths(project):
    book = load_workbook(project / "input" / NAME)
    assert book.sheetnames == ["Plan", "Udvalg", "Indsatser", "Vejledning", "Lister"]
    plan = book["Plan"]
    assert list(headers(plan)) == [*REQUIRED, *OPTIONAL]
    assert plan.freeze_panes == "A2"
    assert plan.max_row == 1
    assert all(plan.column_dimensions[letter].width >= 8 for letter in headers(plan).values())
    assert plan.column_dimensions[headers(plan)["Aktivitet"]].width > plan.column_dimensions["A"].width
    assert book.active.title == "Plan"


def test_drop_downs_point_at_named_lists_on_a_hidden_sheet(project):
    book = load_workbook(project / "input" / NAME)
    plan = book["Plan"]
    columns = headers(plan)
    validations = {v.promptTitle.split(" (")[0]: v for v in plan.data_validations.dataValidation}
    lists = {header: validations[header] for header in ("Status", "Dokumenttype", "Deltagerkreds")}
    for header, validation in lists.items():
        assert validation.type == "list"
        assert str(validation.sqref) == f"{columns[header]}2:{columns[header]}{LAST_ROW}"
    assert named_values(book, lists["Status"].formula1) == [status.value for status in Status]
    assert named_values(book, lists["Dokumenttype"].formula1) == ["Orienteringssag", "Drøftelse", "Ingen"]
    assert named_values(book, lists["Deltagerkreds"].formula1) == [c.abbreviation for c in DEFAULT_COMMITTEES]
    for validation in lists.values():
        (sheet_name, _), = book.defined_names[validation.formula1].destinations
        assert book[sheet_name].sheet_state == "hidden"
    # A wrong status is refused; Deltagerkreds takes free text ("De politiske fagudvalg: BSU og TMU").
    assert lists["Status"].showErrorMessage and lists["Dokumenttype"].showErrorMessage
    assert not lists["Deltagerkreds"].showErrorMessage
    assert {column for column, v in list_validations(plan).items() if v.type == "list"} == {
        columns[header] for header in lists}


def test_input_messages_show_the_date_forms_in_danish_within_excels_limits(project):
    plan = load_workbook(project / "input" / NAME)["Plan"]
    messages = {v.promptTitle: v.prompt for v in plan.data_validations.dataValidation}
    date = messages["Dato eller periode"]
    for form in ("19. juni", "19-06-2019", "Juni-september", "uge 12", "2. kvartal", "Løbende"):
        assert form in date
    for title, prompt in messages.items():
        assert len(title) <= 32 and len(prompt) <= 255, title
    assert all(v.showInputMessage for v in plan.data_validations.dataValidation)


def test_the_register_initiatives_and_guide_sheets(project):
    book = load_workbook(project / "input" / NAME)
    register = [row for row in book["Udvalg"].iter_rows(values_only=True)]
    assert register[0] == ("Forkortelse", "Navn", "Alias")
    assert register[1:] == [(c.abbreviation, c.name, ", ".join(c.aliases) or None) for c in DEFAULT_COMMITTEES]
    assert [c.value for c in book["Indsatser"][1]] == ["Indsats", "Beskrivelse", "Type", "Udvalg"]
    assert book["Indsatser"].max_row == 1
    guide = " ".join(str(row[0]) for row in book["Vejledning"].iter_rows(values_only=True))
    assert "19-06-2019" in guide and "pipeline validate --mark" in guide


def test_a_register_given_to_the_library_fills_the_sheet_and_the_list(tmp_path):
    register = (Committee("UMT", "Udvalget for Miljø og Teknik", ("Miljøudvalget",)),
                Committee("BU", "Børneudvalget"))
    path = write_new_plan(tmp_path, 2020, register)
    book = load_workbook(path)
    assert named_values(book, "Udvalgsliste") == ["UMT", "BU"]
    assert validate(read_workbook(path)).committees == register


def test_new_plan_never_overwrites(project):
    path = project / "input" / NAME
    path.write_bytes(b"last year's work")
    result = run("new-plan", 2019)
    assert result.exit_code == 2
    assert result.output == (f"Fejl: {Path('input', NAME)} findes allerede, og den overskrives ikke. "
                             "Omdøb eller flyt den, hvis du vil have en ny, tom plan.\n")
    assert path.read_bytes() == b"last year's work"
    assert [p.name for p in (project / "input").iterdir()] == [NAME]  # no temporary file left


def test_an_input_that_is_a_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "input").write_text("not a folder")
    result = run("new-plan", 2019)
    assert result.exit_code == 2
    assert result.output.startswith(f"Fejl: {Path('input', NAME)} kan ikke skrives (")
    assert "Traceback" not in result.output


def test_the_workbook_bytes_do_not_depend_on_the_clock(project):
    data = (project / "input" / NAME).read_bytes()
    assert new_plan_bytes(2019) == data
    with zipfile.ZipFile(project / "input" / NAME) as package:
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = package.read("docProps/core.xml").decode()
    assert core.count("2019-01-01T00:00:00Z") == 2  # created and modified
    assert new_plan_bytes(2020) != data


def test_the_empty_plan_validates(project):
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert result.output == f"{NAME}: 0 aktiviteter i 2019 – ingen fejl fundet.\n"


def test_filled_in_the_way_a_person_would_it_validates_and_builds(project):
    path = project / "input" / NAME
    book = load_workbook(path)
    plan = book["Plan"]
    column = headers(plan)
    rows = [
        {"Dato": "Løbende", "Tema": "Formidling af visionen", "Aktivitet": "Præsentation for ledere",
         "Deltagerkreds": "Ledergrupper", "Status": "I gang", "Ansvarlig": "Sekretariatet"},
        {"Dato": datetime(2019, 5, 28), "Tema": "Fortællinger om visionen",
         "Aktivitet": "Drøftelse af indsatser.\nDrøftelse: Hvad er vigtigst? Hvem gør hvad?",
         "Deltagerkreds": "De politiske fagudvalg: BSU og TMU", "Dokumenttype": "Drøftelse"},
        {"Dato": "17-06-2019", "Tema": "Status", "Aktivitet": "Orienteringssag", "Deltagerkreds": "KMB",
         "Status": "Planlagt", "Sagsnr.": "19/1234"},
    ]
    for number, row in enumerate(rows, start=2):
        for header, value in row.items():
            plan[f"{column[header]}{number}"] = value
    book.save(path)

    validated = run("validate")
    assert validated.exit_code == 0, validated.output
    assert validated.output == f"{NAME}: 3 aktiviteter i 2019 – ingen fejl fundet.\n"
    built = run("build", "-t", TEMPLATES, "-q")
    assert built.exit_code == 0, built.output
    files = sorted(p.relative_to(project / "output").as_posix() for p in (project / "output").rglob("*")
                   if p.is_file() and ".pipeline" not in p.parts and p.parent.name != "output")
    assert files == [
        "droeftelser/2019-05-28_BSU_droeftelse.docx",
        "droeftelser/2019-05-28_TMU_droeftelse.docx",
        "kalender/BSU.ics", "kalender/KMB.ics", "kalender/TMU.ics", "kalender/alle-moeder.ics",
        "orienteringssager/2019-06-17_KMB_orienteringssag.docx",
        "oversigter/implementeringsplan_2019.html",
        "oversigter/implementeringsplan_2019.pdf",
    ]


def test_new_plan_takes_the_register_of_the_newest_plan_in_input(tmp_path, monkeypatch):
    from conftest import write_xlsx

    monkeypatch.chdir(tmp_path)
    (tmp_path / "input").mkdir()
    write_xlsx(tmp_path / "input" / "implementeringsplan_2019.xlsx", [("8. maj", "Tema", "Møde", "Borgere")],
               sheets={"Udvalg": [("Forkortelse", "Navn"), ("UMT", "Udvalget for Miljø og Teknik"),
                                  ("BU", "Børneudvalget")]})
    assert run("new-plan", 2020).exit_code == 0
    book = load_workbook(tmp_path / "input" / "implementeringsplan_2020.xlsx")
    assert [row[:2] for row in book["Udvalg"].iter_rows(min_row=2, values_only=True)] == [
        ("UMT", "Udvalget for Miljø og Teknik"), ("BU", "Børneudvalget")]
    assert named_values(book, "Udvalgsliste") == ["UMT", "BU"]
