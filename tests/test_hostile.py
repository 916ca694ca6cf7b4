"""Caps, fences and the sandbox: what stops a hostile plan or template, and the Danish it says."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

import docx
import pytest
from click.testing import CliRunner
from corpus.files import Formula, Sheet, write_raw_xlsx
from jinja2.exceptions import SecurityError

from pipeline.cli.app import cli
from pipeline.core import limits
from pipeline.core.errors import InputError, OutputError, TemplateError, UsageError
from pipeline.core.files import MAX_NAME, OutputBudget, check_name, resolve
from pipeline.core.model import DocumentKind
from pipeline.documents.kinds import build_context
from pipeline.documents.planning import plan_documents
from pipeline.render.messages import describe_error as refusal
from pipeline.render.templating import environment
from pipeline.render.word import render_docx
from pipeline.source.read import read_workbook
from pipeline.source.validate import check_together, validate

from conftest import HEADER, SAMPLE, TEMPLATES, write_csv, write_xlsx

MEETING = ("19. juni", "Status", "Orienteringssag", "KMB")
DISCUSSION = ("30. maj", "Tema", "Drøftelse: Hvad?", "BSU")


def _problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as raised:
        validate(read_workbook(path))
    return [str(problem) for problem in raised.value.problems]


# --- Caps --------------------------------------------------------------------------------------

@pytest.mark.parametrize("cap", [limits.FILE_MB, limits.UNPACKED_MB, limits.ROWS, limits.CELL_CHARACTERS,
                                 limits.OUTPUT_MB])
def test_each_cap_is_raised_by_its_environment_variable(cap: limits.Limit, monkeypatch) -> None:
    monkeypatch.delenv(cap.variable, raising=False)
    assert cap.value == cap.default
    monkeypatch.setenv(cap.variable, " 7 ")
    assert cap.value == 7
    assert cap.advice().startswith("grænsen er 7") and f"(sæt miljøvariablen {cap.variable} for at hæve den)" \
        in cap.advice()


@pytest.mark.parametrize("text", ["mange", "0", "-5", "1.5", "200.000"])
def test_a_cap_that_is_not_a_positive_whole_number_is_a_usage_error(text: str, monkeypatch) -> None:
    monkeypatch.setenv("PIPELINE_MAX_CELL", text)
    with pytest.raises(UsageError) as raised:
        _ = limits.CELL_CHARACTERS.value
    assert str(raised.value) == (f"Miljøvariablen PIPELINE_MAX_CELL skal være et helt tal større end 0 "
                                 f'(fx 10000), ikke "{text}".')


def test_output_budget_counts_the_folder_and_refuses_what_would_pass_the_cap(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PIPELINE_MAX_OUTPUT_MB", "1")
    (tmp_path / "oversigter").mkdir()
    old = tmp_path / "oversigter" / "implementeringsplan_2017.pdf"
    old.write_bytes(b"x" * 400_000)
    budget = OutputBudget.of(tmp_path)
    assert budget.used == 400_000
    budget.reserve(old, 500_000)  # replaces the old file: the folder grows by 100,000 bytes
    assert budget.used == 500_000
    new = tmp_path / "droeftelser" / "2017-05-30_BSU_droeftelse.docx"
    budget.reserve(new, 500_000)
    with pytest.raises(OutputError) as raised:
        budget.reserve(tmp_path / "droeftelser" / "2017-06-06_KFU_droeftelse.docx", 100_000)
    assert str(raised.value) == ("2017-06-06_KFU_droeftelse.docx skrives ikke: outputmappen ville fylde 1,0 MB; "
                                 "grænsen er 1 MB (sæt miljøvariablen PIPELINE_MAX_OUTPUT_MB for at hæve den)")
    budget.release(500_000)
    budget.reserve(tmp_path / "droeftelser" / "2017-06-06_KFU_droeftelse.docx", 100_000)


# --- The fence around the output folder --------------------------------------------------------

@pytest.mark.parametrize(("relative", "message"), [
    ("../x", '"../x" kan ikke skrives: ".." er ikke et filnavn'),
    ("droeftelser/../../x.docx", '"droeftelser/../../x.docx" kan ikke skrives: ".." er ikke et filnavn'),
    ("/etc/passwd", '"/etc/passwd" kan ikke skrives: stien er absolut, men dokumenter skrives kun inde i '
                    "outputmappen {output}"),
    ("CON", '"CON" kan ikke skrives: "CON" er et navn, som Windows reserverer'),
    ("oversigter/nul.txt", '"oversigter/nul.txt" kan ikke skrives: "nul.txt" er et navn, som Windows reserverer'),
    ("droeftelser/lpt1.docx", '"droeftelser/lpt1.docx" kan ikke skrives: "lpt1.docx" er et navn, som Windows '
                              "reserverer"),
    ("CONOUT$", '"CONOUT$" kan ikke skrives: "CONOUT$" er et navn, som Windows reserverer'),
    ("a:b.docx", '"a:b.docx" kan ikke skrives: "a:b.docx" indeholder tegn, som Windows ikke tillader i filnavne'),
    ("a\\b.docx", '"a\\b.docx" kan ikke skrives: "a\\b.docx" indeholder tegn, som Windows ikke tillader i filnavne'),
    ("spørgsmål?.docx", '"spørgsmål?.docx" kan ikke skrives: "spørgsmål?.docx" indeholder tegn, som Windows ikke '
                        "tillader i filnavne"),
    ("tab\t.docx", '"tab\t.docx" kan ikke skrives: "tab\t.docx" indeholder tegn, som Windows ikke tillader i filnavne'),
    ("punktum.", '"punktum." kan ikke skrives: "punktum." ender med mellemrum eller punktum, hvilket Windows ikke '
                 "tillader"),
    ("x" * (MAX_NAME + 1), f'"{"x" * (MAX_NAME + 1)}" kan ikke skrives: "{"x" * (MAX_NAME + 1)}" er længere end '
                           f"{MAX_NAME} tegn"),
])
def test_resolve_refuses_paths_that_leave_the_output_folder_or_windows_cannot_hold(
        tmp_path: Path, relative: str, message: str) -> None:
    with pytest.raises(OutputError) as raised:
        resolve(tmp_path, PurePosixPath(relative))
    assert str(raised.value) == message.format(output=tmp_path)


def test_resolve_refuses_a_folder_that_links_out_of_the_output_folder(tmp_path: Path) -> None:
    output, outside = tmp_path / "output", tmp_path / "andetsteds"
    output.mkdir()
    outside.mkdir()
    (output / "droeftelser").symlink_to(outside)
    with pytest.raises(OutputError, match="ligger uden for outputmappen"):
        resolve(output, PurePosixPath("droeftelser/2017-05-30_BSU_droeftelse.docx"))


@pytest.mark.parametrize("name", ["2017-06-19_KMB_orienteringssag.docx", "implementeringsplan_2017.pdf",
                                  "2017-05-30_OEKU_droeftelse (ny version 2).docx", "x" * MAX_NAME, "CONSOL.docx"])
def test_ordinary_names_pass(name: str) -> None:
    assert check_name(name) is None


# --- The committee register ----------------------------------------------------------------------

def test_abbreviations_that_give_one_file_name_on_a_windows_share_are_refused(tmp_path: Path) -> None:
    register = [("Forkortelse", "Navn"), ("BSU", "Børne- og Skoleudvalget"), ("Bsu", "Et andet udvalg"),
                ("ØKU", "Økonomiudvalget"), ("OEKU", "Endnu et udvalg")]
    path = write_xlsx(tmp_path / "plan_2017.xlsx", [DISCUSSION], sheets={"Udvalg": register})
    assert _problems(path) == [
        'plan_2017.xlsx, ark "Udvalg", række 3, kolonne "Forkortelse": "Bsu" giver de samme filnavne som "BSU" i '
        "række 2; giv udvalgene forskellige forkortelser",
        'plan_2017.xlsx, ark "Udvalg", række 5, kolonne "Forkortelse": "OEKU" giver de samme filnavne som "ØKU" i '
        "række 4; giv udvalgene forskellige forkortelser",
    ]


def test_a_name_belongs_to_one_committee_only(tmp_path: Path) -> None:
    register = [("Forkortelse", "Navn", "Alias"), ("KMB", "Kommunalbestyrelsen", "KB"),
                ("BSU", "Børne- og Skoleudvalget", "KB, Skoleudvalget")]
    path = write_xlsx(tmp_path / "plan_2017.xlsx", [DISCUSSION], sheets={"Udvalg": register})
    assert _problems(path) == [
        'plan_2017.xlsx, ark "Udvalg", række 3, kolonne "Alias": "KB" bruges også af udvalget "KMB" i række 2; '
        "et navn må kun høre til ét udvalg"]


def test_two_plans_that_name_one_committee_differently_cannot_be_built_together(tmp_path: Path) -> None:
    first = validate(read_workbook(write_xlsx(tmp_path / "a_2017.xlsx", [DISCUSSION])))
    second = validate(read_workbook(write_xlsx(
        tmp_path / "b_2018.xlsx", [("30. maj", "Tema", "Drøftelse: Hvem?", "BSU")],
        sheets={"Udvalg": [("Forkortelse", "Navn"), ("BSU", "Børne- og skoleudvalget")]})))
    assert check_together([first, first]) == []
    assert [str(problem) for problem in check_together([first, second])] == [
        'b_2018.xlsx: udvalget "BSU" (Børne- og skoleudvalget) får de samme filnavne som "BSU" '
        "(Børne- og Skoleudvalget) i a_2017.xlsx; skriv udvalget ens i arket Udvalg i alle planerne"]


def test_two_plans_that_name_one_committee_differently_are_not_a_silent_overwrite(tmp_path, monkeypatch) -> None:
    (tmp_path / "input").mkdir()
    write_xlsx(tmp_path / "input" / "a_2017.xlsx", [DISCUSSION])
    write_xlsx(tmp_path / "input" / "b_2017.xlsx", [("30. maj", "Tema", "Drøftelse: Hvem?", "BSU")],
               sheets={"Udvalg": [("Forkortelse", "Navn"), ("BSU", "Børne- og skoleudvalget")]})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 2
    assert 'udvalget "BSU" (Børne- og skoleudvalget) får de samme filnavne' in result.output


def test_a_build_stops_writing_at_the_output_cap(tmp_path: Path, monkeypatch) -> None:
    archive = tmp_path / "output" / "arkiv" / "gamle-sager.zip"  # the cap counts the whole output folder
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"\0" * 2**20)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["build", str(SAMPLE), "-o", "output", "--jobs", "1", "-t", str(TEMPLATES)],
                                env={"PIPELINE_MAX_OUTPUT_MB": "1"})
    assert result.exit_code == 1, result.output
    assert ("2017-06-19_KMB_orienteringssag.docx skrives ikke: outputmappen ville fylde 1,0 MB; grænsen er 1 MB "
            "(sæt miljøvariablen PIPELINE_MAX_OUTPUT_MB for at hæve den)") in result.output
    assert {p.name for p in (tmp_path / "output").rglob("*.docx")} == set()


# --- The reader's choices ----------------------------------------------------------------------

def test_formula_faults_outside_the_table_do_not_count(tmp_path: Path) -> None:
    title = (Formula('"Plan "&2017'),)  # a title row above the header: no result saved, not data
    row = (*MEETING, Formula("1/0", "#DIV/0!", "e"))  # a column without a header: not data either
    path = write_raw_xlsx(tmp_path / "plan_2017.xlsx", [Sheet("Plan", [title, HEADER, row])])
    plan = validate(read_workbook(path))
    assert [a.text for a in plan.activities] == ["Orienteringssag"]


def test_a_csv_reads_the_same_in_utf8_with_windows_1252_mixed_in(tmp_path: Path) -> None:
    clean = write_csv(tmp_path / "ren_2017.csv", [DISCUSSION, ("8. maj", "Æblerne på Ærø", "Møde", "Borgere")])
    mixed = tmp_path / "blandet_2017.csv"
    lines = clean.read_bytes().decode("cp1252").splitlines(keepends=True)
    mixed.write_bytes(b"".join(line.encode("utf-8" if i % 2 else "cp1252") for i, line in enumerate(lines)))
    assert read_workbook(mixed).sheets == read_workbook(clean).sheets


def test_the_sample_still_reads_as_before() -> None:
    book = read_workbook(SAMPLE)
    assert list(book.sheets) == ["Plan", "Udvalg", "Indsatser"]
    assert book.hidden == frozenset() and book.faults == {}
    assert book.plan_sheet() == "Plan"


# --- Templates run in a sandbox ------------------------------------------------------------------

ESCAPES = ["{{ ''.__class__.__mro__ }}", "{{ cycler.__init__.__globals__ }}", "{{ aar.__class__.__subclasses__() }}",
           "{{ lipsum.__globals__['os'] }}", "{{ plan_filer.append('x') }}"]


@pytest.mark.parametrize("code", ESCAPES)
def test_the_environment_refuses_python_internals(code: str) -> None:
    with pytest.raises(SecurityError):
        environment().from_string(code).render(aar=2017, plan_filer=[])


@pytest.mark.parametrize("code", ["{{ 'x' * 10000000 }}", "{{ [1, 2] * 99999999 }}", "{{ 99999999 * 'x' }}",
                                  "{{ 9 ** 999999999 }}"])
def test_the_environment_refuses_arithmetic_that_would_exhaust_memory(code: str) -> None:
    with pytest.raises(SecurityError):
        environment().from_string(code).render()


def test_ordinary_arithmetic_still_works_in_templates() -> None:
    code = "{{ 2 * 3 }} {{ 'ab' * 3 }} {{ 2 ** 10 }} {{ 1.5 * 2 }} {{ '-' * 20 }}"
    assert environment().from_string(code).render() == "6 ababab 1024 3.0 " + "-" * 20


def test_the_sandbox_refusal_is_danish() -> None:
    error = SecurityError("access to attribute '__class__' of 'str' object is unsafe.")
    assert refusal(error) == ('"__class__" er ikke tilladt i en skabelon; en skabelon kan kun vise '
                              "pipelinens variabler med dens filtre")
    assert refusal(SecurityError("Range too big.")).startswith("skabelonen forsøger noget, som ikke er tilladt i en "
                                                               "skabelon")


def _word_template_with(tmp_path: Path, code: str) -> Path:
    templates = shutil.copytree(TEMPLATES, tmp_path / "templates")
    template = templates / "orienteringssag.docx"
    document = docx.Document(str(template))
    document.add_paragraph(code)
    document.save(str(template))
    return templates


@pytest.mark.parametrize(("code", "name"), [(ESCAPES[0], "__class__"), (ESCAPES[1], "__init__")])
def test_a_word_template_reaching_for_internals_fails_in_danish(tmp_path: Path, sample_documents, code: str,
                                                                 name: str) -> None:
    templates = _word_template_with(tmp_path, code)
    document = sample_documents["orienteringssager/2017-06-19_KMB_orienteringssag.docx"]
    with pytest.raises(TemplateError) as raised:
        render_docx(document, build_context(document), templates / "orienteringssag.docx")
    message = str(raised.value)
    assert message.startswith(f'orienteringssag.docx: skabelonen kan ikke udfyldes: "{name}" er ikke tilladt i en '
                              "skabelon; en skabelon kan kun vise pipelinens variabler med dens filtre")
    assert "<class" not in message and "unsafe" not in message and "function" not in message


def test_a_build_with_such_a_word_template_fails_that_document_only(tmp_path: Path, monkeypatch) -> None:
    templates = _word_template_with(tmp_path, ESCAPES[0])
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["build", str(SAMPLE), "-o", "output", "-t", str(templates), "--jobs", "1"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "<class" not in result.output
    assert 'skabelonen kan ikke udfyldes: "__class__" er ikke tilladt i en skabelon' in result.output
    assert not (tmp_path / "output" / "orienteringssager").exists()
    assert len(list((tmp_path / "output" / "droeftelser").glob("*.docx"))) == 6


@pytest.mark.parametrize("code", ESCAPES[:2])
def test_an_html_template_reaching_for_internals_is_a_template_error(tmp_path: Path, code: str) -> None:
    from pipeline.render.overview import render_template

    templates = shutil.copytree(TEMPLATES, tmp_path / "templates")
    page = templates / "oversigt.html"
    page.write_text(page.read_text(encoding="utf-8").replace("<h1>{{ titel }}</h1>", f"<h1>{code}</h1>"),
                    encoding="utf-8")
    document = next(d for d in plan_documents([validate(read_workbook(SAMPLE))]) if d.kind is DocumentKind.WEBPAGE)
    with pytest.raises(TemplateError) as raised:
        render_template(build_context(document), templates)
    message = str(raised.value)
    assert message.startswith('Skabelonen "oversigt.html" kan ikke udfyldes')
    assert "<class" not in message and "mro" not in message and "globals" not in message
