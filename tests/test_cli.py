"""The command line: exit codes and the exact Danish messages a case officer sees."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from pipeline.cli.app import cli

from conftest import HEADER, ROOT, SAMPLE, write_xlsx


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_validate_sample():
    result = run("validate", SAMPLE)
    assert result.exit_code == 0
    assert result.output == "implementeringsplan_2017.xlsx: 13 aktiviteter i 2017 – ingen fejl fundet.\n"


def test_list_sample_from_the_project_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    result = run("list", "-o", tmp_path)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "orienteringssager/2017-06-19_KMB_orienteringssag.docx  (ny)" in lines
    assert sum("_droeftelse.docx" in line for line in lines) == 6
    assert "oversigter/implementeringsplan_2017.pdf  (ny)" in lines


BAD_ROW = ("30. maj", "Tema", "Drøftelse: Hvad?", "BSU")


@pytest.mark.parametrize(
    ("rows", "header", "name", "message"),
    [
        ([BAD_ROW[:3]], HEADER[:3], "plan_2017.xlsx",
         'plan_2017.xlsx, ark "Plan", række 1: overskriftsrækken mangler kolonnen "Deltagerkreds"'),
        ([("32. maj", "Tema", "Cykeltur", "Borgere")], HEADER, "plan_2017.xlsx",
         'plan_2017.xlsx, ark "Plan", række 2, kolonne "Dato": "32. maj" er ikke en gyldig dato'),
        ([("30. maj", "Tema", "Drøftelse: Hvad?", "De politiske fagudvalg: BSU og ABC")], HEADER,
         "plan_2017.xlsx",
         'plan_2017.xlsx, ark "Plan", række 2, kolonne "Deltagerkreds": "ABC" er ikke et kendt udvalg '
         "(kendte udvalg: KMB, ØKU, BSU, TMU, SSU, KFU, EBU)"),
        ([BAD_ROW], HEADER, "plan.xlsx",
         'plan.xlsx, ark "Plan": det fremgår ikke, hvilket år planen gælder: tilføj en kolonne "År", '
         "skriv årstallet i filnavnet (fx implementeringsplan_2017.xlsx) eller brug --year 2017"),
    ],
)
def test_bad_input_exits_2_with_one_clear_message(tmp_path, rows, header, name, message):
    path = write_xlsx(tmp_path / name, rows, header=header)
    result = run("validate", path)
    assert result.exit_code == 2
    assert result.output == f"Fejl: {message}\nRet regnearket og prøv igen; ingen dokumenter er ændret.\n"


def test_text_file_named_xlsx(tmp_path):
    path = tmp_path / "plan_2017.xlsx"
    path.write_text("Dato;Tema;Aktivitet;Deltagerkreds\n", encoding="utf-8")
    result = run("validate", path)
    assert result.exit_code == 2
    assert result.output.startswith("Fejl: plan_2017.xlsx: filen er ikke et Excel-regneark, selv om navnet "
                                    "ender på .xlsx")


def test_several_problems_are_counted(tmp_path):
    path = write_xlsx(tmp_path / "plan_2017.xlsx", [("32. maj", "T", "A", "B"), ("33. maj", "T", "A", "B")])
    result = run("validate", path)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == "2 fejl fundet. Ret regnearket og prøv igen; ingen dokumenter er ændret."


def test_missing_plan_file_is_a_usage_error(tmp_path):
    result = run("validate", tmp_path / "findes-ikke.xlsx")
    assert result.exit_code == 2
    assert f"Planen {tmp_path / 'findes-ikke.xlsx'} findes ikke." in result.output


def test_year_option_gives_the_year(tmp_path):
    path = write_xlsx(tmp_path / "plan.xlsx", [BAD_ROW])
    assert run("validate", "--year", "2017", path).exit_code == 0


def test_real_process_prints_no_traceback_and_help_is_danish(tmp_path):
    path = write_xlsx(tmp_path / "plan_2017.xlsx", [("32. maj", "T", "A", "B")])
    bad = subprocess.run([sys.executable, "-m", "pipeline", "validate", str(path)],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and '"32. maj" er ikke en gyldig dato' in bad.stderr
    shown = subprocess.run([sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True)
    assert shown.returncode == 0 and "Afslutningskoder" in shown.stdout


def test_help_does_not_import_heavy_libraries():
    code = ("import sys; from pipeline.cli.app import cli\n"
            "try: cli(['--help'])\nexcept SystemExit: pass\n"
            "print(sorted(m for m in ('pandas', 'docxtpl', 'weasyprint') if m in sys.modules))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert shown.stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize("command", [["validate", str(SAMPLE)], ["list", str(SAMPLE), "-o", "{tmp}"]])
def test_validate_and_list_import_neither_pandas_nor_the_renderers(command, tmp_path):
    arguments = [part.format(tmp=tmp_path) for part in command]
    code = ("import sys; from pipeline.cli.app import cli\n"
            f"try: cli({arguments!r})\nexcept SystemExit: pass\n"
            "print(sorted(m for m in ('pandas', 'docxtpl', 'weasyprint') if m in sys.modules))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert shown.stdout.splitlines()[-1] == "[]"
