"""The status page, the change log and night runs, through the command line on real files."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock
from openpyxl import load_workbook

from pipeline.cli.progress import trim_log
from pipeline.engine.changes import diff_rows

from conftest import SAMPLE, TEMPLATES

ORIENTATION = "orienteringssager/2017-06-19_KMB_orienteringssag.docx"
LOG = Path("output/.pipeline/nightly.log")


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the sample plan and the templates, so tests may change them."""
    (tmp_path / "input").mkdir()
    shutil.copy(SAMPLE, tmp_path / "input")
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    return tmp_path


def pipeline(project: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pipeline", *args]
    if args[0] in ("build", "list"):
        command += ["--today", "2017-01-01"]  # before the sample's meetings: nothing is closed
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300)


def edit_cell(project: Path, cell: str, value: str) -> None:
    path = project / "input" / SAMPLE.name
    book = load_workbook(path)
    book["Plan"][cell] = value
    book.save(path)


def documents(project: Path) -> dict[str, tuple[bytes, int]]:
    """Every document under output/ (not the pipeline's pages or bookkeeping), its bytes and mtime."""
    output = project / "output"
    return {p.relative_to(output).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(output.rglob("*"))
            if p.is_file() and ".pipeline" not in p.parts and p.parent != output}


def page(project: Path, name: str) -> str:
    return (project / "output" / name).read_text(encoding="utf-8")


def test_a_night_run_on_a_broken_plan_exits_2_and_says_where_in_the_log_and_status(project):
    assert pipeline(project, "build", "--nightly").returncode == 0
    before = documents(project)
    edit_cell(project, "A6", "32. maj")

    result = pipeline(project, "build", "--nightly")

    assert result.returncode == 2
    problem = 'implementeringsplan_2017.xlsx, ark "Plan", række 6, kolonne "Dato": "32. maj" er ikke en gyldig dato'
    assert f"Fejl: {problem}" in result.stderr
    log = (project / LOG).read_text(encoding="utf-8").splitlines()
    assert log[-2].endswith(f"Fejl: {problem}")
    assert log[-1].endswith("Resultat: stoppet med afslutningskode 2; ingen dokumenter er ændret.")
    status = page(project, "status.html")
    assert ("<tr><th scope=\"row\">implementeringsplan_2017.xlsx</th><td>Plan</td><td>6</td><td>Dato</td>"
            "<td>32. maj</td><td>er ikke en gyldig dato</td></tr>") in status
    assert "Stoppet: fejl i regnearket. Ingen dokumenter er ændret. (afslutningskode 2)" in status
    assert documents(project) == before  # bytes and mtimes


def test_a_night_run_that_finds_the_lock_held_exits_3_and_says_so(project):
    assert pipeline(project, "build", "--nightly").returncode == 0
    with FileLock(project / "output/.pipeline/build.lock"):
        result = pipeline(project, "build", "--nightly", "--wait", "0.5")
    assert result.returncode == 3
    log = (project / LOG).read_text(encoding="utf-8").splitlines()
    assert "Fejl: En anden kørsel bygger allerede i output/ (ventede 0.5 sekunder)." in log[-2]
    assert log[-1].endswith("Resultat: stoppet med afslutningskode 3; ingen dokumenter er ændret.")
    assert "en anden kørsel byggede allerede" in page(project, "status.html")
    assert "(afslutningskode 3)" in page(project, "status.html")


def test_every_night_run_leaves_its_result_in_the_log(project):
    assert pipeline(project, "build", "--nightly").returncode == 0
    assert pipeline(project, "build", "--nightly").returncode == 0  # nothing changed
    results = [line for line in (project / LOG).read_text(encoding="utf-8").splitlines() if "Resultat:" in line]
    assert len(results) == 2
    assert results[1].endswith("Resultat: skrevet 0, uændret 17, fejlede 0, bevaret pga. manuelle ændringer 0, "
                               "fjernet 0, afsluttet 0.")


def test_make_nightly_runs_the_night_command():
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^nightly:.*\n\t\$\(BIN\)/pipeline build --nightly\n", makefile, re.MULTILINE)


def test_a_changed_cell_is_named_by_list_build_and_the_change_log(project):
    assert pipeline(project, "build", "-q").returncode == 0
    edit_cell(project, "C7", "Cykeltur med borgmesteren")
    change = "række 7, Aktivitet: Cykeltur rundt i Ballerup v/ Jesper Würtzen → Cykeltur med borgmesteren"

    listed = pipeline(project, "list")
    assert f"{ORIENTATION}  (ændret: {change})" in listed.stdout.splitlines()
    built = pipeline(project, "build")
    assert built.returncode == 0
    assert f"skrevet: {ORIENTATION} (ændret: {change})" in built.stderr

    log = page(project, "aendringslog.html")
    assert ('<tr><th scope="row">række 7</th><td>implementeringsplan_2017.xlsx</td><td>ændret</td>'
            "<td>Aktivitet</td><td>Cykeltur rundt i Ballerup v/ Jesper Würtzen</td>"
            "<td>Cykeltur med borgmesteren</td></tr>") in log
    assert f'<tr><th scope="row">{ORIENTATION}</th><td>skrevet</td><td>ændret: {change}</td></tr>' in log
    entries = log.count("<h2>Kørslen ")
    assert entries == 2  # the first build, then this one, newest first
    assert log.index(change) < log.index("Ingen rækker er ændret")

    assert pipeline(project, "build", "-q").returncode == 0  # nothing changed: no new entry
    assert page(project, "aendringslog.html").count("<h2>Kørslen ") == entries


def test_an_inserted_row_is_one_added_row():
    old = [(5, {"Dato": "Maj", "Tema": "A"}), (6, {"Dato": "Juni", "Tema": "B"})]
    new = [(5, {"Dato": "Maj", "Tema": "A"}), (6, {"Dato": "1. juni", "Tema": "Ny"}),
           (7, {"Dato": "Juni", "Tema": "B"})]
    assert [str(c) for c in diff_rows("plan.xlsx", old, new)] == ["række 6 tilføjet: 1. juni – Ny"]
    changed = diff_rows("plan.xlsx", old, [old[0], (6, {"Dato": "Juli", "Tema": "B"})])
    assert [str(c) for c in changed] == ["række 6, Dato: Juni → Juli"]


def test_rows_around_the_edits_of_a_long_plan_are_not_reported():
    """The diff skips the rows equal at both ends; what lies between is still matched row by row."""
    rows = [(n, {"Dato": f"{n}. maj", "Tema": f"T{n}"}) for n in range(2, 2002)]
    new = [*rows[:700], (702, {"Dato": "Juli", "Tema": "Ny"}),
           *[(n + 1, c) for n, c in rows[700:1500]], (1503, {**rows[1500][1], "Tema": "Ændret"}),
           *[(n + 1, c) for n, c in rows[1501:1999]]]  # one row added, one changed, the last removed
    assert [str(c) for c in diff_rows("plan.xlsx", rows, new)] == [
        "række 702 tilføjet: Juli – Ny", "række 1503, Tema: T1502 → Ændret", "række 2001 fjernet: 2001. maj – T2001"]
    assert diff_rows("plan.xlsx", rows, rows) == []


def test_the_pages_are_danish_accessible_and_show_spreadsheet_text_literally(project):
    assert pipeline(project, "build", "-q").returncode == 0
    edit_cell(project, "C7", '<b>fed</b> & "citat" {{ x }}')
    assert pipeline(project, "build", "-q").returncode == 0
    edit_cell(project, "A6", "<i>32. maj</i>")
    assert pipeline(project, "build", "-q").returncode == 2
    for name in ("status.html", "aendringslog.html"):
        text = page(project, name)
        assert text.startswith('<!DOCTYPE html>\n<html lang="da">')
        assert re.search(r"<title>[^<]+</title>", text)
        assert "<script" not in text and "<b>" not in text and "<i>" not in text
        headings = [int(level) for level in re.findall(r"<h([1-6])", text)]
        assert headings[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(headings))
        assert "<th>" not in text  # every header cell has its scope
    assert "&lt;b&gt;fed&lt;/b&gt; &amp; &quot;citat&quot; {{ x }}" in page(project, "aendringslog.html")
    assert "<td>&lt;i&gt;32. maj&lt;/i&gt;</td>" in page(project, "status.html")


def test_the_status_page_names_documents_kept_for_hand_edits(project):
    assert pipeline(project, "build", "-q").returncode == 0
    with (project / "output" / ORIENTATION).open("ab") as file:
        file.write(b"\0")  # edited by hand
    edit_cell(project, "C7", "Cykeltur med borgmesteren")
    assert pipeline(project, "build", "-q").returncode == 0
    status = page(project, "status.html")
    new = ORIENTATION.replace(".docx", " (ny version).docx")
    assert f'<tr><th scope="row">{ORIENTATION}</th><td>bevaret, rettet i hånden: ny version: {new}</td></tr>' in status
    assert "Bevaret på grund af rettelser i hånden" in status
    entries = page(project, "aendringslog.html").count("<h2>Kørslen ")
    assert pipeline(project, "build", "-q").returncode == 0  # the edit is kept again: no news
    assert page(project, "aendringslog.html").count("<h2>Kørslen ") == entries


def test_the_pages_are_never_documents_and_clean_removes_them(project):
    assert pipeline(project, "build", "-q").returncode == 0
    (project / "output" / "status.html").write_text("rettet", encoding="utf-8")  # even when changed
    listed = pipeline(project, "list").stdout
    assert "status.html" not in listed and "aendringslog.html" not in listed
    assert pipeline(project, "build", "-q").returncode == 0
    assert not list((project / "output").glob("* (ny version)*"))
    assert pipeline(project, "clean").returncode == 0
    assert not (project / "output" / "status.html").exists()
    assert not (project / "output" / "aendringslog.html").exists()


def test_damaged_plan_rows_are_set_aside(project):
    assert pipeline(project, "build", "-q").returncode == 0
    (project / "output/.pipeline/planer.json").write_text('{"format": 1, "plans": {"x": [[1, 2]]}}')
    edit_cell(project, "C7", "Cykeltur med borgmesteren")
    built = pipeline(project, "build", "-q")
    assert built.returncode == 0
    assert "planer.json var beskadiget og er lagt til side som planer.json.beskadiget" in built.stderr
    assert (project / "output/.pipeline/planer.json.beskadiget").exists()
    assert pipeline(project, "list").stdout.count("(opdateret)") == 17


def test_the_log_is_trimmed_to_whole_recent_lines(tmp_path):
    log = tmp_path / "nightly.log"
    log.write_text("".join(f"linje {n}\n" for n in range(100_000)), encoding="utf-8")
    trim_log(log, limit=10_000, keep=5_000)
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines[-1] == "linje 99999" and lines[0].startswith("linje ") and len(log.read_bytes()) <= 5_000
