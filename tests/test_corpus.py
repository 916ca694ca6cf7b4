"""The corpus of hostile and broken plans (tests/corpus), each case run through the command line.

Every case runs against a real output folder that already holds a case officer's note. A
failure must exit 2 with the exact Danish lines and leave every file (output folder, input,
templates, and anything beside them) as it was, down to the mtime; a success may change only
the output folder, and its documents must show the case's text literally.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from corpus.cases import BY_NAME, CASES, HTML, Case
from pypdf import PdfReader

from pipeline.cli.app import cli
from pipeline.engine.status import PAGES

from conftest import ROOT, TEMPLATES

NOTE = "sag/output/noter/sagsbehandlerens-noter.txt"
NOTE_MTIME = 1_500_000_000_000_000_000  # 14 July 2017


def snapshot(folder: Path) -> dict[str, tuple[bytes, int] | str]:
    """Every file under `folder` with its bytes and mtime, and every folder, by relative path;
    not the status page and change log every build run writes into its output folder."""
    found: dict[str, tuple[bytes, int] | str] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.name in PAGES and path.parent.name == "output":
            continue
        found[relative] = (path.read_bytes(), path.stat().st_mtime_ns) if path.is_file() else "mappe"
    return found


def prepare(case: Case, world: Path) -> tuple[Path, list[str]]:
    """Write the case into `world/sag`, with an output folder that already holds a note; return both."""
    folder = world / "sag"
    folder.mkdir()
    plans = case.make(folder)
    note = world / NOTE
    note.parent.mkdir(parents=True)
    note.write_text("Husk at sende sagerne til sekretariatet.\n", encoding="utf-8")
    os.utime(note, ns=(NOTE_MTIME, NOTE_MTIME))
    return folder, plans


def arguments(case: Case, plans: list[str]) -> list[str]:
    if case.command == "build":
        return ["build", *plans, "-o", "output", "-t", str(TEMPLATES), "--jobs", "1", "--quiet"]
    return [case.command, *plans]


# --- Reading the documents back -----------------------------------------------------------------

def word_text(path: Path) -> str:
    """All text of a .docx as python-docx reads it: body, tables, headers and footers."""
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]

    def tables(items) -> None:
        for table in items:
            for row in table.rows:
                for cell in row.cells:
                    texts.extend(p.text for p in cell.paragraphs)
                    tables(cell.tables)

    tables(document.tables)
    for section in document.sections:
        for part in (section.header, section.footer):
            texts.extend(p.text for p in part.paragraphs)
            tables(part.tables)
    return "\n".join(texts)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(path: Path) -> str:
    """The text a browser shows of an HTML page (entities decoded), one text node a line."""
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return "\n".join(parser.parts)


def pdf_text(path: Path) -> str:
    """The PDF's text with all white space removed (lines wrap anywhere in a table cell)."""
    return "".join("".join(page.extract_text() for page in PdfReader(str(path)).pages).split())


def raw_text(path: Path) -> str:
    """Every character stored in a Word or HTML file (all parts of a .docx), for what must be absent."""
    if path.suffix == ".docx":
        with zipfile.ZipFile(path) as package:
            return "".join(package.read(name).decode("utf-8") for name in package.namelist()
                           if name.endswith((".xml", ".rels")))
    return path.read_text(encoding="utf-8")


def document_text(path: Path) -> str:
    return {".docx": word_text, ".html": html_text, ".pdf": pdf_text}[path.suffix](path)


# --- The corpus ---------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, plans = prepare(case, tmp_path)
    before, templates = snapshot(tmp_path), snapshot(TEMPLATES)
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(cli, arguments(case, plans), env=case.env)
    output = result.output

    assert "Traceback" not in output and "Uventet fejl" not in output, output
    assert result.exit_code == case.exit_code, output
    lines = output.splitlines()
    if case.lines and not case.prefixes and (case.exit_code != 0 or case.command == "validate"):
        assert lines == list(case.lines)
    for line in case.lines:
        assert line in lines
    for prefix in case.prefixes:
        assert any(line.startswith(prefix) for line in lines), output

    after = snapshot(tmp_path)
    assert snapshot(TEMPLATES) == templates
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    if case.exit_code != 0 or case.command != "build":
        assert changed == set(), "a failed or read-only run changed files"
        return
    assert after[NOTE] == before[NOTE]
    assert all(path.startswith("sag/output/") for path in changed), sorted(changed)
    written = {path.removeprefix("sag/output/") for path, entry in after.items()
               if path.startswith("sag/output/") and entry != "mappe"
               and "/.pipeline/" not in f"/{path}" and path != NOTE}
    assert written == case.documents
    check_documents(case, folder / "output")


def check_documents(case: Case, output: Path) -> None:
    """The case's text is in its documents, dropped characters are in none, and no markup got through."""
    for name, texts in case.texts.items():
        path = output / name
        if path.suffix == ".pdf":
            if case.pdf_text:
                text = pdf_text(path)
                for expected in texts:
                    assert "".join(expected.split()) in text, (name, expected)
            continue
        text = document_text(path)
        for expected in texts:
            assert expected in text, (name, expected)
    for name in case.documents or ():
        if name.endswith(".pdf"):
            continue  # binary; its text is checked above
        stored = raw_text(output / name)
        for character in case.absent:
            assert character not in stored, (name, character)
    page = (output / HTML).read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page


def test_the_corpus_has_at_least_20_cases() -> None:
    print(f"\n{len(CASES)} tilfælde i korpusset:", *(f"  {case.name}" for case in CASES), sep="\n")
    assert len(CASES) >= 20


def test_the_readme_states_how_many_cases_the_corpus_has() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"tests/corpus/`?\D{0,80}?(\d+) ", readme)
    assert stated is not None, "README.md does not say how many cases tests/corpus/ has"
    assert int(stated.group(1)) == len(CASES)


@pytest.mark.parametrize("name", ["password_protected_workbook", "zip_bomb", "damaged_worksheet_xml",
                                  "committee_abbreviations_that_try_to_become_paths", "cap_set_to_nonsense"])
def test_a_real_process_prints_the_message_and_no_traceback(name: str, tmp_path: Path) -> None:
    case = BY_NAME[name]
    folder, plans = prepare(case, tmp_path)
    before = snapshot(tmp_path)
    environment = {**os.environ, **case.env, "PYTHONPATH": str(ROOT)}
    finished = subprocess.run([sys.executable, "-m", "pipeline", *arguments(case, plans)], cwd=folder,
                              env=environment, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 2
    assert "Traceback" not in finished.stderr and finished.stdout == ""
    lines = finished.stderr.splitlines()
    assert all(line in lines for line in case.lines)
    assert all(any(line.startswith(prefix) for line in lines) for prefix in case.prefixes)
    assert snapshot(tmp_path) == before
