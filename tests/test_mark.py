"""`pipeline validate --mark`: a copy of a bad plan with every problem where it was typed."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from pipeline.cli.app import cli
from pipeline.source.mark import FILL

from conftest import HEADER, SAMPLE, write_csv, write_xlsx

RED = f"00{FILL}"
KNOWN = "kendte udvalg: KMB, ØKU, BSU, TMU, SSU, KFU, EBU"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def marked_cells(sheet) -> dict[str, str]:
    """Return every commented cell of `sheet` by coordinate, with its comment; each must be filled red."""
    found = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.comment is not None:
                assert cell.fill.fgColor.rgb == RED, cell.coordinate
                assert cell.comment.author == "pipeline"
                found[cell.coordinate] = cell.comment.text
            else:
                assert cell.fill.fgColor.rgb != RED, cell.coordinate
    return found


def problem_lines(book) -> list[tuple]:
    """Return the rows of the first sheet below its heading row: (Ark, Række, Kolonne, Værdi, Fejl, Celle)."""
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[2] == ("Ark", "Række", "Kolonne", "Værdi", "Fejl", "Celle")
    return rows[3:]


def test_bad_date_unknown_committee_and_missing_column_are_marked_in_a_copy(tmp_path):
    plan = write_xlsx(
        tmp_path / "implementeringsplan_2017.xlsx",
        [("8. maj", "Fortællinger", "Chefgruppen udvælger indsatser", "Chefgruppen"),
         ("32. maj", "Dialog", "Cykeltur", "Borgere"),
         ("30. maj", "Fortællinger", "Drøftelse: Hvad er vigtigst?", "De politiske fagudvalg: BSU og ABC")],
        title_rows=[("Implementeringsplan 2017",), ()],
        sheets={"Indsatser": [("Navn", "Beskrivelse"), ("Cykelstier", "Nye stier")]},
    )
    before = plan.read_bytes()
    result = run("validate", "--mark", plan)

    copy = tmp_path / "implementeringsplan_2017 (fejl markeret).xlsx"
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f'Fejl: {plan.name}, ark "Plan", række 5, kolonne "Dato": "32. maj" er ikke en gyldig dato',
        f'Fejl: {plan.name}, ark "Plan", række 6, kolonne "Deltagerkreds": "ABC" er ikke et kendt udvalg ({KNOWN})',
        f'Fejl: {plan.name}, ark "Indsatser": arket har ingen overskriftsrække med kolonnerne "Indsats"',
        f"Fejlene i {plan.name} er markeret i kopien {copy}; planen selv er ikke ændret.",
        "3 fejl fundet. Ret regnearket og prøv igen.",
    ]
    assert plan.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [copy.name, plan.name]

    book = load_workbook(copy)
    assert book.sheetnames == ["Fejl", "Plan", "Indsatser"]
    assert book.active.title == "Fejl"
    assert problem_lines(book) == [
        ("Plan", 5, "Dato", "32. maj", "er ikke en gyldig dato", "Plan!A5"),
        ("Plan", 6, "Deltagerkreds", "ABC", f"er ikke et kendt udvalg ({KNOWN})", "Plan!D6"),
        ("Indsatser", None, None, None, 'arket har ingen overskriftsrække med kolonnerne "Indsats"', None),
    ]
    assert book["Fejl"]["F4"].hyperlink.location == "'Plan'!A5"
    assert marked_cells(book["Plan"]) == {
        "A5": 'Fejl: "32. maj" er ikke en gyldig dato',
        "D6": f'Fejl: "ABC" er ikke et kendt udvalg ({KNOWN})',
    }
    assert marked_cells(book["Indsatser"]) == {}
    # The rest of the plan is copied as it was.
    assert [c.value for c in book["Plan"][6]] == ["30. maj", "Fortællinger", "Drøftelse: Hvad er vigtigst?",
                                                   "De politiske fagudvalg: BSU og ABC"]
    assert book["Plan"]["A1"].value == "Implementeringsplan 2017"


def test_a_missing_plan_column_goes_on_the_first_sheet(tmp_path):
    plan = write_xlsx(tmp_path / "plan_2017.xlsx", [("30. maj", "Tema", "Drøftelse: Hvad?")], header=HEADER[:3])
    result = run("validate", "--mark", plan)
    assert result.exit_code == 2
    book = load_workbook(tmp_path / "plan_2017 (fejl markeret).xlsx")
    assert problem_lines(book) == [
        ("Plan", 1, None, None, 'overskriftsrækken mangler kolonnen "Deltagerkreds"', None)]
    assert marked_cells(book["Plan"]) == {}


def test_no_year_goes_on_the_first_sheet(tmp_path):
    plan = write_xlsx(tmp_path / "plan.xlsx", [("30. maj", "Tema", "Cykeltur", "Borgere")])
    assert run("validate", "--mark", plan).exit_code == 2
    (line,) = problem_lines(load_workbook(tmp_path / "plan (fejl markeret).xlsx"))
    assert line[0] == "Plan" and line[4].startswith("det fremgår ikke, hvilket år planen gælder")


def test_a_csv_plan_gets_a_workbook_copy_and_its_text_stays_text(tmp_path):
    plan = write_csv(tmp_path / "plan_2017.csv", [
        ("19-06-2017", "Status", "Orienteringssag", "KMB"),
        ("31-06-2017", "Tema", '=HYPERLINK("http://example.com";"klik")', "Borgere"),
        ("Løbende", "Tema", "Drøftelse: Hvad nu?", "XYZ"),
    ])
    before = plan.read_bytes()
    result = run("validate", "--mark", plan)
    assert result.exit_code == 2
    assert plan.read_bytes() == before
    book = load_workbook(tmp_path / "plan_2017 (fejl markeret).xlsx")
    assert book.sheetnames == ["Fejl", "Plan"]
    sheet = book["Plan"]
    assert marked_cells(sheet) == {
        "A3": 'Fejl: "31-06-2017" er ikke en gyldig dato',
        "A4": 'Fejl: "Løbende" er ikke én bestemt dato; en drøftelse skal have mødedatoen (fx "19. juni")',
        "D4": f'Fejl: "XYZ" er ikke et kendt udvalg ({KNOWN})',
    }
    assert [cell.value for cell in sheet[1]] == list(HEADER)
    formula = sheet["C3"]
    assert formula.data_type == "s" and formula.value == '=HYPERLINK("http://example.com";"klik")'
    assert [line[:3] for line in problem_lines(book)] == [("Plan", 3, "Dato"), ("Plan", 4, "Deltagerkreds"),
                                                          ("Plan", 4, "Dato")]


def test_a_header_written_twice_is_marked_in_the_header_row(tmp_path):
    plan = write_xlsx(tmp_path / "plan_2017.xlsx", [("Maj", "A", "B", "C", "D")], header=(*HEADER, "tema "))
    assert run("validate", "--mark", plan).exit_code == 2
    sheet = load_workbook(tmp_path / "plan_2017 (fejl markeret).xlsx")["Plan"]
    assert set(marked_cells(sheet)) == {"E1"}


def test_a_bad_cell_merged_over_rows_is_marked_once_in_its_first_cell(tmp_path):
    plan = write_xlsx(tmp_path / "plan_2017.xlsx", [("32. maj", "T", "A", "B"), (None, "T2", "A2", "B2")])
    book = load_workbook(plan)
    book["Plan"].merge_cells("A2:A3")
    book.save(plan)
    result = run("validate", "--mark", plan)
    assert result.exit_code == 2 and "2 fejl fundet" in result.output  # rows 2 and 3
    sheet = load_workbook(tmp_path / "plan_2017 (fejl markeret).xlsx")["Plan"]
    assert marked_cells(sheet) == {"A2": 'Fejl: "32. maj" er ikke en gyldig dato'}


def test_a_comment_the_plan_had_is_kept_below_the_problem(tmp_path):
    from openpyxl.comments import Comment

    plan = write_xlsx(tmp_path / "plan_2017.xlsx", [("32. maj", "T", "A", "B")])
    book = load_workbook(plan)
    book["Plan"]["A2"].comment = Comment("Spørg Jesper om datoen", "Sagsbehandler")
    book.save(plan)
    assert run("validate", "--mark", plan).exit_code == 2
    sheet = load_workbook(tmp_path / "plan_2017 (fejl markeret).xlsx")["Plan"]
    assert marked_cells(sheet) == {"A2": 'Fejl: "32. maj" er ikke en gyldig dato\n\nSpørg Jesper om datoen'}


def test_only_plans_with_problems_get_a_copy_and_without_mark_nothing_is_written(tmp_path):
    good = shutil.copy(SAMPLE, tmp_path / SAMPLE.name)
    bad = write_xlsx(tmp_path / "plan_2018.xlsx", [("32. maj", "T", "A", "B")])
    assert run("validate", good, bad).exit_code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([SAMPLE.name, bad.name])
    assert run("validate", "--mark", good, bad).exit_code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([SAMPLE.name, bad.name,
                                                                 "plan_2018 (fejl markeret).xlsx"])
    result = run("validate", "--mark", good)
    assert result.exit_code == 0 and "13 aktiviteter" in result.output


def test_the_marked_copy_in_input_is_not_a_plan(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "input").mkdir()
    plan = write_xlsx(tmp_path / "input" / "plan_2017.xlsx", [("32. maj", "T", "A", "B")])
    assert run("validate", "--mark").exit_code == 2
    assert (tmp_path / "input" / "plan_2017 (fejl markeret).xlsx").is_file()
    write_xlsx(plan, [("31. maj", "T", "A", "B")])  # fixed in the plan itself
    result = run("validate")
    assert result.exit_code == 0
    assert result.output == "plan_2017.xlsx: 1 aktiviteter i 2017 – ingen fejl fundet.\n"


def test_a_file_that_cannot_be_read_gets_no_copy_and_says_so(tmp_path):
    plan = tmp_path / "plan_2017.xlsx"
    plan.write_text("Dato;Tema\n", encoding="utf-8")
    result = run("validate", "--mark", plan)
    assert result.exit_code == 2
    assert ("Der kunne ikke laves en markeret kopi af plan_2017.xlsx: filen kan ikke læses som regneark."
            in result.output.splitlines())
    assert [p.name for p in tmp_path.iterdir()] == [plan.name]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_the_copy_is_never_written_over_the_plan(tmp_path, suffix):
    # A plan already named like a marked copy gets its own copy beside it.
    name = f"plan_2017 (fejl markeret){suffix}"
    plan = (write_xlsx if suffix == ".xlsx" else write_csv)(tmp_path / name, [("32. maj", "T", "A", "B")])
    before = plan.read_bytes()
    assert run("validate", "--mark", plan).exit_code == 2
    assert plan.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != name) == [
        "plan_2017 (fejl markeret) (fejl markeret).xlsx"]
