"""`pipeline check-templates --preview MAPPE`: one example of each document, never in output/.

Run through the CLI in a project folder; the examples are read back (python-docx, pypdf) and the
Word files opened by LibreOffice where it is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from pipeline.cli.app import cli
from pipeline.core.model import DocumentKind
from pipeline.documents.kinds import build_context
from pipeline.documents.samples import variables
from pipeline.engine.preview import EXAMPLE_FILE, example_documents

from conftest import SAMPLE, TEMPLATES, write_xlsx
from word_edits import ORIENTATION, copy_templates, retype

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
FROM_PLAN = ["2017-05-30_BSU_droeftelse.docx", "2017-06-19_KMB_orienteringssag.docx",
             "implementeringsplan_2017.html", "implementeringsplan_2017.pdf"]
FROM_EXAMPLES = ["eksempel_2029-05-29_BSU_droeftelse.docx", "eksempel_2029-06-18_KMB_orienteringssag.docx",
                 "eksempel_implementeringsplan_2029.html", "eksempel_implementeringsplan_2029.pdf"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """An empty project folder as the working directory (no input/, no output/)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def preview(*arguments: str):
    return CliRunner().invoke(cli, ["check-templates", "-t", str(TEMPLATES), *arguments])


def texts(path: Path) -> list[str]:
    document = docx.Document(str(path))
    cells = [p.text for table in document.tables for row in table.rows for cell in row.cells for p in cell.paragraphs]
    return [p.text for p in document.paragraphs] + cells


def pdf_text(path: Path) -> str:
    return "".join(page.extract_text() for page in PdfReader(path).pages)


def test_preview_renders_the_plan_in_input(project):
    (project / "input").mkdir()
    shutil.copy(SAMPLE, project / "input" / SAMPLE.name)
    result = preview("--preview", "eksempler")
    assert result.exit_code == 0, result.output
    assert result.output == ("Skabelonerne i " f"{TEMPLATES} er i orden.\n"
                             + "".join(f"Eksempel skrevet: eksempler/{name}\n" for name in
                                       [FROM_PLAN[1], FROM_PLAN[0], FROM_PLAN[3], FROM_PLAN[2]]))
    folder = project / "eksempler"
    assert sorted(p.name for p in folder.iterdir()) == FROM_PLAN
    orientation = texts(folder / FROM_PLAN[1])
    assert "Kommunalbestyrelsen" in orientation and "Sammendrag" in orientation
    assert not any("{{" in text or "{%" in text for text in orientation + texts(folder / FROM_PLAN[0]))
    assert "Implementeringsplan 2017" in pdf_text(folder / FROM_PLAN[3])
    assert "<title>Implementeringsplan 2017" in (folder / FROM_PLAN[2]).read_text("utf-8")
    assert not (project / "output").exists()


def test_preview_without_a_plan_uses_the_example_data(project):
    result = preview("--preview", "eksempler")
    assert result.exit_code == 0, result.output
    assert "Der er ingen plan i input/, så eksemplerne er lavet med indbyggede eksempeldata." in result.output
    folder = project / "eksempler"
    assert sorted(p.name for p in folder.iterdir()) == FROM_EXAMPLES
    discussion, orientation = texts(folder / FROM_EXAMPLES[0]), texts(folder / FROM_EXAMPLES[1])
    assert "Hvilke indsatser skal prioriteres først?" in discussion
    assert "Økonomiudvalget, tirsdag den 5. juni 2029" in discussion
    assert "Aflyst" not in orientation and "Udskudt" in orientation  # an empty list leaves its section out
    assert "Sommerkampagne om bevægelse & trivsel for <alle> aldersgrupper" in " ".join(orientation)
    text = pdf_text(folder / FROM_EXAMPLES[3])
    assert "Implementeringsplan 2029" in text and "Måløv" in text


def test_preview_falls_back_to_the_example_data_when_the_plan_cannot_be_read(project):
    (project / "input").mkdir()
    write_xlsx(project / "input" / "implementeringsplan_2017.xlsx", [("32. maj", "Tema", "Aktivitet", "BSU")])
    result = preview("--preview", "eksempler")
    assert result.exit_code == 0, result.output
    assert ("Planen i input/ kan ikke læses (1 fejl; se dem med »pipeline validate«), så eksemplerne er lavet "
            "med indbyggede eksempeldata.") in result.output
    assert sorted(p.name for p in (project / "eksempler").iterdir()) == FROM_EXAMPLES


@pytest.mark.parametrize("folder", ["output", "output/eksempler", "./output/a/../b"])
def test_preview_never_writes_into_the_output_folder(project, folder):
    (project / "output").mkdir()
    result = preview("--preview", folder)
    assert result.exit_code == 2
    assert result.output.startswith(f"Fejl: Eksemplerne kan ikke skrives i {Path(folder)}, for ")
    assert "vælg en anden mappe, fx --preview eksempler" in result.output
    assert list((project / "output").iterdir()) == []


def test_preview_respects_another_output_folder(project):
    result = preview("-o", "udgivet", "--preview", "udgivet/eksempler")
    assert (result.exit_code, result.output) == (2, "Fejl: Eksemplerne kan ikke skrives i udgivet/eksempler, for "
                                                    "den ligger i outputmappen udgivet; vælg en anden mappe, fx "
                                                    "--preview eksempler\n")


def test_preview_never_writes_into_the_templates_folder(project):
    templates = copy_templates(project / "skabeloner")
    result = CliRunner().invoke(cli, ["check-templates", "-t", "skabeloner", "--preview", "skabeloner"])
    assert (result.exit_code, result.output) == (2, "Fejl: Eksemplerne kan ikke skrives i skabeloner, for det er "
                                                    "skabelonmappen; vælg en anden mappe, fx --preview eksempler\n")
    assert sorted(p.name for p in templates.iterdir()) == sorted(p.name for p in TEMPLATES.iterdir())


def test_a_broken_template_gives_no_preview(project):
    templates = copy_templates(project / "skabeloner")
    retype(templates / ORIENTATION, "{%p endif %}", "{% endif %}", nth=1)
    result = CliRunner().invoke(cli, ["check-templates", "-t", "skabeloner", "--preview", "eksempler"])
    assert result.exit_code == 2
    assert result.output.startswith("Fejl: 1 problem(er) i skabelonerne i skabeloner:\norienteringssag.docx, ")
    assert not (project / "eksempler").exists()


def test_the_example_data_uses_every_variable_with_danish_long_and_empty_values():
    from pipeline.documents.planning import plan_documents
    from pipeline.engine.preview import example_plan

    examples = {}
    for document in plan_documents([example_plan()]):  # the first of each kind, as the preview takes it
        examples.setdefault(document.kind, document)
    assert set(examples) == set(DocumentKind)
    for kind, document in examples.items():
        context = build_context(document)
        assert set(context) == variables(kind)
        assert document.plans == (EXAMPLE_FILE,)
    orientation = build_context(examples[DocumentKind.ORIENTATION])
    assert orientation["aflyst"] == []  # an empty list
    assert len(orientation["gennemfoert"]) >= 10 and len(orientation["kommende"]) >= 10  # many rows
    assert orientation["sagsnr"] and all(orientation[k] for k in ("igang", "udskudt", "bilag"))
    rows = [*orientation["gennemfoert"], *orientation["igang"], *orientation["kommende"]]
    assert any(len(row["aktivitet"]) > 300 for row in rows)  # a long text
    assert any("\n" in row["aktivitet"] for row in rows)  # a cell with several lines
    assert any(set("æøåÆØÅ") & set(row["ansvarlig"] + row["tema"]) for row in rows)
    assert all(row["ekstra"] for row in rows)
    discussion = build_context(examples[DocumentKind.DISCUSSION])
    assert len(discussion["spoergsmaal"]) == 3 and len(discussion["indsatser"]) == 3
    assert discussion["andre_udvalg"] and discussion["indledning"]


def test_the_documents_of_the_plan_are_used_and_missing_kinds_come_from_the_examples(tmp_path):
    plan = write_xlsx(tmp_path / "implementeringsplan_2018.xlsx",
                      [("Maj", "Tema", "Aktivitet uden dokument", "BSU")])
    documents, origin, note = example_documents([plan])
    assert (origin, note) == ("implementeringsplan_2018.xlsx", "")
    assert [(d.kind, d.year) for d in documents] == [
        (DocumentKind.ORIENTATION, 2029), (DocumentKind.DISCUSSION, 2029),
        (DocumentKind.OVERVIEW, 2018), (DocumentKind.WEBPAGE, 2018)]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (.ci/run installs it)")
def test_every_previewed_word_document_opens_in_libreoffice(project):
    (project / "input").mkdir()
    shutil.copy(SAMPLE, project / "input" / SAMPLE.name)
    assert preview("--preview", "fra-plan").exit_code == 0
    shutil.rmtree(project / "input")
    assert preview("--preview", "fra-eksempler").exit_code == 0
    files = sorted(str(p) for p in project.glob("fra-*/*.docx"))
    assert len(files) == 4
    done = subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{project}/profile",
                           "--convert-to", "pdf", "--outdir", str(project / "pdf"), *files],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    pdfs = sorted((project / "pdf").glob("*.pdf"))
    assert len(pdfs) == 4
    for pdf in pdfs:
        text = pdf_text(pdf)
        assert "Ballerup Kommune" in text and "Indstilling" in text, pdf.name
        assert "{{" not in text and "{%" not in text
