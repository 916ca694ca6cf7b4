"""The build engine: deterministic, incremental, atomic, locked, and never losing a hand edit."""

from __future__ import annotations

import gc
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import docx
from filelock import FileLock
from openpyxl import load_workbook
from pypdf import PdfReader

from pipeline.engine import workers
from pipeline.engine.build import build
from pipeline.engine.listing import document_states
from pipeline.engine.options import BuildOptions
from pipeline.engine.report import Outcome
from pipeline.engine.status import PAGES  # the pipeline's own pages, rewritten by every run
from pipeline.render.pdf.cache import FOOTERS_FORMAT

from conftest import ROOT, SAMPLE

ORIENTATION = "orienteringssager/2017-06-19_KMB_orienteringssag.docx"
PDF = "oversigter/implementeringsplan_2017.pdf"
OVERVIEWS = {PDF, "oversigter/implementeringsplan_2017.html"}
NOTES = {f"droeftelser/{day}_{c}_droeftelse.docx" for day, c in [
    ("2017-05-30", "BSU"), ("2017-05-30", "TMU"), ("2017-05-30", "SSU"),
    ("2017-06-06", "EBU"), ("2017-06-06", "KFU"), ("2017-06-13", "OEKU")]}
ALL = NOTES | OVERVIEWS | {ORIENTATION}


# Before every meeting of the sample plan, so that no document of it is closed yet.
BEFORE_THE_MEETINGS = date(2017, 1, 1)


def options(project: Path, **changes) -> BuildOptions:
    settings = dict(plans=(project / "input" / SAMPLE.name,), output=project / "output",
                    templates=project / "templates", jobs=2, today=BEFORE_THE_MEETINGS)
    return BuildOptions(**{**settings, **changes})


def tree(folder: Path) -> dict[str, bytes]:
    """Every document file under `folder` (not the pipeline's own bookkeeping) with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".pipeline" not in p.parts and p.relative_to(folder).as_posix() not in PAGES}


def mtimes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*")
            if p.is_file() and p.relative_to(folder).as_posix() not in PAGES}


def edit_cell(project: Path, cell: str, value: str) -> None:
    path = project / "input" / SAMPLE.name
    book = load_workbook(path)
    book["Plan"][cell] = value
    book.save(path)


def written(report) -> set[str]:
    return set(report.files[Outcome.WRITTEN])


def test_sample_build_writes_every_document(project):
    report = build(options(project))
    assert report.exit_code == 0
    assert written(report) == ALL
    assert set(tree(project / "output")) == ALL


def test_two_builds_in_two_folders_are_byte_identical(project, tmp_path_factory):
    other = tmp_path_factory.mktemp("elsewhere")
    shutil.copytree(project / "input", other / "input")
    shutil.copytree(project / "templates", other / "templates")
    build(options(project))
    time.sleep(1.1)
    build(options(other, jobs=1))
    assert tree(project / "output") == tree(other / "output")


def test_nothing_changed_renders_and_rewrites_nothing(project):
    build(options(project))
    before = mtimes(project / "output" / "droeftelser")
    report = build(options(project))
    assert written(report) == set()
    assert set(report.files[Outcome.UNCHANGED]) == ALL
    assert mtimes(project / "output" / "droeftelser") == before


def test_nothing_changed_does_not_import_the_heavy_libraries(project):
    # Nor the lighter ones a no-op build never uses: together they were a fifth of its time.
    build(options(project))
    code = ("import sys; from pathlib import Path\n"
            "from pipeline.engine.options import BuildOptions; from pipeline.engine.build import build\n"
            f"p = Path({str(project)!r})\n"
            f"r = build(BuildOptions(plans=(p / 'input' / {SAMPLE.name!r},), output=p / 'output', "
            "templates=p / 'templates'))\n"
            "print(r.exit_code, sorted(m for m in ('pandas', 'docxtpl', 'weasyprint', 'jinja2', 'lxml',\n"
            "                                      'openpyxl', 'babel', 'zipfile', 'pipeline.source.parse',\n"
            "                                      'pipeline.documents.kinds', 'pipeline.engine.rules',\n"
            "                                      'pipeline.core.model')\n"
            "                                      if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "0 []"


def test_changing_one_row_rebuilds_only_the_documents_that_show_it(project):
    build(options(project))
    edit_cell(project, "C7", "Cykeltur med borgmesteren")  # shown by the status report and the overview
    report = build(options(project))
    assert written(report) == {ORIENTATION} | OVERVIEWS
    assert set(report.files[Outcome.UNCHANGED]) == NOTES


def test_changing_one_committee_row_rebuilds_its_note_not_the_other_committees(project):
    build(options(project))
    edit_cell(project, "C10", "Drøftelse: Hvad betyder visionen for økonomien?")  # the ØKU row
    report = build(options(project))
    assert written(report) == {"droeftelser/2017-06-13_OEKU_droeftelse.docx", ORIENTATION} | OVERVIEWS


def test_a_template_change_rebuilds_exactly_its_documents(project):
    build(options(project))
    template = project / "templates" / "droeftelse.docx"
    with zipfile.ZipFile(template, "a") as package:  # a harmless extra member changes the bytes
        package.writestr("customXml/note.txt", "ændret")
    report = build(options(project))
    assert written(report) == NOTES


def test_force_rebuilds_all_with_the_same_bytes(project):
    build(options(project))
    before = tree(project / "output")
    report = build(options(project, force=True))
    assert written(report) == ALL
    assert tree(project / "output") == before


def test_jobs_do_not_change_the_bytes(project, tmp_path):
    build(options(project, jobs=1))
    build(options(project, jobs=2, output=tmp_path / "parallel"))
    assert tree(project / "output") == tree(tmp_path / "parallel")


def test_a_build_leaves_the_cycle_collector_as_it_found_it_and_its_workers_collecting(project, monkeypatch):
    # The build freezes its long-lived heap and pauses its own collector while workers render.
    monkeypatch.setattr(workers, "EARLY_START_BYTES", 0)  # workers forked after planning, before the pause
    report = build(options(project, jobs=2))
    assert written(report) == ALL
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()  # a worker forked while its parent's collector is off must still collect
    try:          # (WeasyPrint's boxes are reference cycles)
        pool = workers._start(1)
        try:
            assert pool.submit(gc.isenabled).result(timeout=120) is True
        finally:
            pool.shutdown()
    finally:
        gc.enable()


def test_an_overview_laid_out_in_parts_by_the_workers_is_the_same_as_in_one_process(
        project, tmp_path, monkeypatch):
    monkeypatch.setenv("PIPELINE_OVERVIEW_CHUNK", "3")  # the 13 rows in parts of about 3 rows
    build(options(project, jobs=1))
    report = build(options(project, jobs=2, output=tmp_path / "parallel"))  # workers start early
    assert written(report) == ALL
    assert tree(project / "output") == tree(tmp_path / "parallel")
    monkeypatch.setattr(workers, "EARLY_START_BYTES", 0)  # workers forked after planning
    report = build(options(project, jobs=2, output=tmp_path / "forked late"))
    assert written(report) == ALL
    assert tree(project / "output") == tree(tmp_path / "forked late")
    pdf = PdfReader(project / "output" / PDF)
    footers = {name for page in pdf.pages for name in page["/Resources"]["/XObject"]}
    assert len(footers) == len(pdf.pages) > 4  # merged from parts: every page has its footer


def test_a_part_that_fails_fails_only_its_overview(project, monkeypatch):
    monkeypatch.setenv("PIPELINE_OVERVIEW_CHUNK", "3")
    template = project / "templates" / "oversigt.html"
    html = template.read_text(encoding="utf-8")
    heading = "<h2>Tidslinje {{ aar }}</h2>"
    template.write_text(html.replace(heading, heading + '<img src="mangler.png" alt="">'), encoding="utf-8")
    report = build(options(project, jobs=2))
    assert report.exit_code == 1
    assert set(report.files[Outcome.FAILED]) == {PDF}
    assert "mangler.png" in report.files[Outcome.FAILED][PDF]
    assert written(report) == ALL - {PDF}
    assert not (project / "output" / PDF).exists()


def cached_parts(project: Path) -> dict[str, int]:
    """The overview parts cached in the output folder's bookkeeping, with their mtimes."""
    return {p.name: p.stat().st_mtime_ns for p in (project / "output" / ".pipeline" / "parts").glob("*.part")}


def footer_record(path: Path) -> bool:
    return path.read_bytes().startswith(FOOTERS_FORMAT)


def test_a_one_row_change_lays_out_again_only_the_parts_that_show_it(project, tmp_path, monkeypatch):
    monkeypatch.setenv("PIPELINE_OVERVIEW_CHUNK", "3")
    build(options(project))
    before = cached_parts(project)
    assert len(before) > 6
    # C13's timeline label is its own (of two rows that read alike, editing one relabels both).
    edit_cell(project, "C13", "Fortællinger til organisationen om borgmesterens visioner")
    report = build(options(project))
    assert PDF in written(report)
    after = cached_parts(project)
    kept = {name for name in before.keys() & after.keys() if before[name] == after[name]}
    # The row is in one part of the table and one part of the timeline; every other part is reused,
    # and so are the footers, laid out by a worker and cached by the page count, which stayed.
    assert len(before) - len(kept) == len(after) - len(kept) == 2
    footers = {name for name in after if footer_record(project / "output" / ".pipeline" / "parts" / name)}
    assert len(footers) == 1 and footers <= kept
    # ... and the merged PDF is the one a build without any cache makes of the edited plan.
    fresh = tmp_path / "fresh"
    shutil.copytree(project / "input", fresh / "input")
    build(options(project, plans=(fresh / "input" / SAMPLE.name,), output=fresh / "output"))
    assert (project / "output" / PDF).read_bytes() == (fresh / "output" / PDF).read_bytes()


def test_a_tampered_part_cache_is_never_trusted(project, monkeypatch):
    monkeypatch.setenv("PIPELINE_OVERVIEW_CHUNK", "3")
    build(options(project))
    reference = (project / "output" / PDF).read_bytes()
    records = sorted((project / "output" / ".pipeline" / "parts").glob("*.part"))
    (footers,) = [path for path in records if footer_record(path)]
    parts = [path for path in records if path != footers]
    footers_record = footers.read_bytes()
    footers.write_bytes(parts[4].read_bytes())  # a part where the footers belong
    parts[5].write_bytes(footers_record)  # and footers where a part belongs
    import pickle

    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(project / "pwned"),))

    good = parts[0].read_bytes()
    parts[0].write_bytes(pickle.dumps(Boom()))
    parts[1].write_bytes(b"garbage")
    parts[2].write_bytes(good[:-10] + b"0123456789")  # the blob no longer matches its hash
    parts[3].write_bytes(good)  # another part's content under this part's key: the wrong part
    (project / "output" / PDF).unlink()  # so the next build makes it again, from the cache
    report = build(options(project))
    assert written(report) == {PDF}
    assert not (project / "pwned").exists()
    assert (project / "output" / PDF).read_bytes() == reference


def _hand_edit(path: Path, text: str) -> None:
    document = docx.Document(path)
    document.add_paragraph(text)
    document.save(path)


def test_a_hand_edited_document_survives_and_the_new_version_goes_beside_it(project):
    build(options(project))
    original = project / "output" / ORIENTATION
    _hand_edit(original, "Tilføjet af sekretariatet")
    edited = original.read_bytes()
    edit_cell(project, "C4", "Præsentation af Vision 2029 for alle ledere")
    report = build(options(project))
    new_version = ORIENTATION.replace(".docx", " (ny version).docx")
    assert original.read_bytes() == edited
    assert (project / "output" / new_version).is_file()
    assert report.files[Outcome.PRESERVED] == {ORIENTATION: f"ny version: {new_version}"}
    assert new_version in report.files[Outcome.WRITTEN]
    # A later build with nothing new keeps both and rewrites neither.
    again = build(options(project))
    assert original.read_bytes() == edited and written(again) == set()
    assert ORIENTATION in again.files[Outcome.PRESERVED]
    states = {s.path: s.reason for s in document_states(options(project))}
    assert states[ORIENTATION] == "manuelt ændret – bevares"


def test_removed_rows_delete_only_files_nobody_edited(project):
    build(options(project))
    _hand_edit(project / "output" / "droeftelser/2017-05-30_BSU_droeftelse.docx", "Egne noter")
    path = project / "input" / SAMPLE.name
    book = load_workbook(path)
    book["Plan"].delete_rows(8)  # the BSU/TMU/SSU row of 30 May
    book.save(path)
    report = build(options(project))
    assert set(report.files[Outcome.REMOVED]) == {"droeftelser/2017-05-30_TMU_droeftelse.docx",
                                                  "droeftelser/2017-05-30_SSU_droeftelse.docx"}
    assert "droeftelser/2017-05-30_BSU_droeftelse.docx" in report.files[Outcome.PRESERVED]
    assert (project / "output" / "droeftelser/2017-05-30_BSU_droeftelse.docx").is_file()
    assert not (project / "output" / "droeftelser/2017-05-30_TMU_droeftelse.docx").exists()


def test_a_document_that_cannot_be_written_fails_alone(project):
    (project / "output").mkdir()
    (project / "output" / "orienteringssager").write_text("en fil, hvor mappen skulle være")
    report = build(options(project))
    assert report.exit_code == 1
    assert report.files[Outcome.FAILED] == {
        ORIENTATION: "kunne ikke skrives: der findes allerede en fil med det navn"}
    assert written(report) == ALL - {ORIENTATION}


def test_list_says_why_a_document_is_stale(project):
    build(options(project))
    edit_cell(project, "C7", "Cykeltur med borgmesteren")
    states = {s.path: s.reason for s in document_states(options(project))}
    assert states[ORIENTATION] == ("ændret: række 7, Aktivitet: Cykeltur rundt i Ballerup v/ Jesper Würtzen"
                                   " → Cykeltur med borgmesteren")
    assert states["droeftelser/2017-05-30_BSU_droeftelse.docx"] == "opdateret"


def cli(project: Path, *args: str, **kwargs) -> subprocess.Popen:
    command = [sys.executable, "-m", "pipeline", "build", str(project / "input" / SAMPLE.name),
               "-o", str(project / "output"), "-t", str(project / "templates"), "--today", "2017-01-01", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, **kwargs)


def intact(folder: Path) -> None:
    """Assert every file is whole: no temporary leftovers' effects, every docx a valid zip, every PDF complete."""
    for path in folder.rglob("*"):
        if path.suffix == ".docx":
            with zipfile.ZipFile(path) as package:
                assert package.testzip() is None
        elif path.suffix == ".pdf":
            data = path.read_bytes()
            assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")


def processes_mentioning(text: str) -> list[int]:
    """Return the ids of running processes whose command line contains `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            pass  # ended while we looked
    return found


def test_killed_builds_leave_no_broken_file_and_the_next_build_completes(project, tmp_path):
    reference = tmp_path / "reference"
    build(options(project, output=reference))
    chance = random.Random(2029)
    for _run in range(6):
        process = cli(project, "--force", "--jobs", "2")
        time.sleep(chance.uniform(0.2, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        if (project / "output").exists():
            intact(project / "output")
        for _ in range(50):  # the workers end with their build (SIGKILL from the kernel)
            if not processes_mentioning(str(project / "output")):
                break
            time.sleep(0.1)
        assert processes_mentioning(str(project / "output")) == [], "a killed build left workers behind"
    finished = cli(project)
    assert finished.wait() == 0
    assert tree(project / "output") == tree(reference)
    assert not list((project / "output").rglob("*.pipeline-tmp"))


def test_a_second_build_waits_then_exits_3(project):
    (project / "output" / ".pipeline").mkdir(parents=True)
    with FileLock(project / "output" / ".pipeline" / "build.lock"):
        process = cli(project, "--wait", "0.5")
        _out, err = process.communicate()
    assert process.returncode == 3
    assert "En anden kørsel bygger allerede i" in err
    assert not tree(project / "output")


def test_two_builds_started_at_once_give_a_correct_tree(project, tmp_path):
    first, second = cli(project, "--wait", "120"), cli(project, "--wait", "120")
    assert (first.wait(), second.wait()) == (0, 0)
    build(options(project, output=tmp_path / "reference"))
    assert tree(project / "output") == tree(tmp_path / "reference")


def test_bad_input_changes_nothing_in_the_output(project):
    build(options(project))
    before = {**tree(project / "output"), **mtimes(project / "output")}
    edit_cell(project, "A4", "32. maj")
    process = cli(project)
    _, err = process.communicate()
    assert process.returncode == 2
    assert 'række 4, kolonne "Dato": "32. maj" er ikke en gyldig dato' in err
    assert {**tree(project / "output"), **mtimes(project / "output")} == before


def test_an_output_folder_that_cannot_be_written_is_a_clear_error(project):
    (project / "output").write_text("ikke en mappe")
    process = cli(project)
    _, err = process.communicate()
    assert process.returncode in (1, 2)
    assert "Kan ikke skrive i outputmappen" in err and "Traceback" not in err


def test_quiet_log_file_and_plain_lines_when_not_a_terminal(project):
    log = project / "nightly.log"
    process = cli(project, "--quiet", "--log-file", str(log))
    _, err = process.communicate()
    assert process.returncode == 0
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].endswith("Resultat: skrevet 9, uændret 0, fejlede 0, "
                                                 "bevaret pga. manuelle ændringer 0, fjernet 0, afsluttet 0.")
    logged = log.read_text("utf-8")
    assert f"skrevet: {ORIENTATION}" in logged and logged[:4].isdigit()
