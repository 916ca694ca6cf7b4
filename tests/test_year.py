"""A year in the shared folder, through the CLI on real files: held meetings stay as sent, plans
stay apart, removals are previewed, hand edits can be accepted, and `make clean` keeps work."""

from __future__ import annotations

import csv
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from pipeline.engine.status import PAGES  # the pipeline's own pages, rewritten by every run

from conftest import ROOT, SAMPLE, write_xlsx

MAY = {f"droeftelser/2017-05-30_{c}_droeftelse.docx" for c in ("BSU", "TMU", "SSU")}
JUNE = {"droeftelser/2017-06-06_EBU_droeftelse.docx", "droeftelser/2017-06-06_KFU_droeftelse.docx",
        "droeftelser/2017-06-13_OEKU_droeftelse.docx"}
ORIENTATION = "orienteringssager/2017-06-19_KMB_orienteringssag.docx"
PLAN_2018 = {"droeftelser/2018-03-12_BSU_droeftelse.docx", "orienteringssager/2018-06-20_KMB_orienteringssag.docx",
             "oversigter/implementeringsplan_2018.pdf", "oversigter/implementeringsplan_2018.html"}


@pytest.fixture
def folder(project) -> Path:
    """A shared folder as case officers have it: input/ with the sample plan, templates/, output/."""
    return project


def run(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `pipeline ARGS` in the shared folder, as `make` does there."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True,
                          cwd=folder, env=environment, timeout=300)


def written(result: subprocess.CompletedProcess) -> set[str]:
    return set(re.findall(r" skrevet: (.+?\.(?:docx|pdf|html|ics))", result.stderr))


def listed(folder: Path, *args: str) -> dict[str, str]:
    result = run(folder, "list", *args)
    assert result.returncode == 0, result.stderr
    return {line.split("  (", 1)[0]: line.split("  (", 1)[1][:-1] for line in result.stdout.splitlines()}


def files(folder: Path) -> dict[str, bytes]:
    output = folder / "output"
    return {p.relative_to(output).as_posix(): p.read_bytes() for p in sorted(output.rglob("*"))
            if p.is_file() and ".pipeline" not in p.parts and p.relative_to(output).as_posix() not in PAGES}


def set_cell(folder: Path, cell: str, value: str, plan: str = SAMPLE.name) -> None:
    path = folder / "input" / plan
    book = load_workbook(path)
    book["Plan"][cell] = value
    book.save(path)


def delete_row(folder: Path, row: int) -> None:
    path = folder / "input" / SAMPLE.name
    book = load_workbook(path)
    book["Plan"].delete_rows(row)
    book.save(path)


def hand_edit(path: Path, text: str) -> bytes:
    document = docx.Document(path)
    document.add_paragraph(text)
    document.save(path)
    return path.read_bytes()


# --- Held meetings are closed --------------------------------------------------------------------

def test_held_meetings_keep_their_documents_whatever_changes(folder):
    assert run(folder, "build", "--today", "2017-01-01").returncode == 0
    sent = files(folder)
    states = listed(folder, "--today", "2017-06-01")
    assert {path for path, reason in states.items() if reason.startswith("afsluttet")} == MAY

    set_cell(folder, "C8", "Drøftelse: Hvad har vi lært af maj?")  # the 30 May row's text
    result = run(folder, "build", "--today", "2017-06-01")
    assert result.returncode == 0
    assert not written(result) & MAY
    assert all(files(folder)[path] == sent[path] for path in MAY)
    assert listed(folder, "--today", "2017-06-01")[sorted(MAY)[0]] == (
        "afsluttet – mødet er holdt; data er ændret siden (genåbn med --reopen)")

    hand_edit(folder / "templates" / "droeftelse.docx", "Ny fast tekst")
    result = run(folder, "build", "--today", "2017-06-01")
    assert {p for p in written(result) if p.startswith("droeftelser/")} == JUNE
    assert all(files(folder)[path] == sent[path] for path in MAY)

    delete_row(folder, 8)
    result = run(folder, "build", "--today", "2017-06-01")
    assert result.returncode == 0
    assert all(files(folder)[path] == sent[path] for path in MAY)
    assert "fjernet: droeftelser/" not in result.stderr  # (the calendars of BSU, TMU and SSU go)
    assert all(listed(folder, "--today", "2017-06-01")[path].startswith("afsluttet") for path in MAY)


def test_a_held_meeting_never_written_is_written_once(folder):
    result = run(folder, "build", "--today", "2026-11-29")  # every meeting of 2017 is held
    assert result.returncode == 0 and written(result) >= MAY
    set_cell(folder, "C8", "Drøftelse: Ændret efter mødet?")
    again = run(folder, "build", "--today", "2026-11-29")
    assert not written(again) & (MAY | JUNE | {ORIENTATION})


def test_reopen_rebuilds_a_held_meeting_on_purpose(folder):
    run(folder, "build", "--today", "2017-01-01")
    note = sorted(MAY)[0]
    set_cell(folder, "C8", "Drøftelse: Rettet efter mødet?")
    result = run(folder, "build", "--today", "2017-06-01", "--reopen", f"output/{note}")
    assert result.returncode == 0, result.stderr
    assert note in written(result) and not written(result) & (MAY - {note})
    refused = run(folder, "build", "--today", "2017-06-01", "--reopen", "output/droeftelser/findes-ikke.docx")
    assert refused.returncode == 2 and "--reopen" in refused.stderr and "Traceback" not in refused.stderr


# --- Each document belongs to one plan -----------------------------------------------------------

def write_2018(folder: Path) -> Path:
    return write_xlsx(folder / "input" / "implementeringsplan_2018.xlsx", [
        ("12. marts", "Ny kurs", "Drøftelse: Hvad nu?", "BSU"),
        ("20. juni", "Status", "Orienteringssag", "KMB"),
    ])


def test_building_one_plan_never_touches_the_other_plans_documents(folder):
    write_2018(folder)
    assert run(folder, "build", "--today", "2017-01-01").returncode == 0
    before = files(folder)
    assert set(before) >= PLAN_2018
    delete_row(folder, 8)  # the 2017 plan loses its 30 May notes
    result = run(folder, "build", f"input/{SAMPLE.name}", "--today", "2017-01-01")
    assert result.returncode == 0, result.stderr
    after = files(folder)
    assert {path: after[path] for path in PLAN_2018} == {path: before[path] for path in PLAN_2018}
    assert not MAY & set(after)
    set_cell(folder, "C2", "Hvad så nu?", plan="implementeringsplan_2018.xlsx")
    result = run(folder, "build", "input/implementeringsplan_2018.xlsx", "--today", "2017-01-01")
    assert result.returncode == 0
    assert {path: content for path, content in files(folder).items() if "2017" in path} == {
        path: content for path, content in after.items() if "2017" in path}


def test_a_csv_copy_of_a_plan_is_refused_before_anything_is_written(folder):
    book = load_workbook(folder / "input" / SAMPLE.name)
    with (folder / "input" / "implementeringsplan_2017.csv").open("w", encoding="cp1252", newline="") as file:
        csv.writer(file, delimiter=";").writerows(
            [["" if v is None else v for v in row] for row in book["Plan"].iter_rows(values_only=True)])
    result = run(folder, "build")
    assert result.returncode == 2
    assert "implementeringsplan_2017.csv" in result.stderr and "implementeringsplan_2017.xlsx" in result.stderr
    assert "én plan pr. år" in result.stderr
    assert not (folder / "output").exists() or files(folder) == {}
    assert run(folder, "validate").returncode == 2


def test_two_plans_that_would_write_the_same_file_are_refused_naming_the_rows(folder):
    write_xlsx(folder / "input" / "implementeringsplan_2018.xlsx", [
        ("19. juni 2017", "Status", "Orienteringssag", "KMB"),  # the 2017 plan's meeting
    ])
    result = run(folder, "build")
    assert result.returncode == 2
    assert "række 2 giver filen orienteringssager/2017-06-19_KMB_orienteringssag.docx" in result.stderr
    assert "implementeringsplan_2017.xlsx (række 12)" in result.stderr
    assert [p.name for p in (folder / "output").iterdir()] == ["status.html"]  # only the run's status


# --- Removals are previewed ------------------------------------------------------------------------

def test_list_names_what_the_next_build_removes_and_why(folder):
    run(folder, "build", "--today", "2017-01-01")
    set_cell(folder, "A9", "7. juni")  # the 6 June meeting (EBU, KFU) moves
    delete_row(folder, 8)  # the 30 May row goes
    states = listed(folder, "--today", "2017-01-01")
    assert states["droeftelser/2017-05-30_BSU_droeftelse.docx"] == "fjernes: rækken er fjernet fra planen"
    assert states["droeftelser/2017-06-06_EBU_droeftelse.docx"] == (
        "fjernes: mødet er flyttet (2017-06-07_EBU_droeftelse.docx)")
    result = run(folder, "build", "--today", "2017-01-01")
    assert not (folder / "output" / "droeftelser/2017-05-30_BSU_droeftelse.docx").exists()
    assert "fjernet: droeftelser/2017-06-06_EBU_droeftelse.docx (mødet er flyttet" in result.stderr


def test_a_changed_committee_is_named_as_the_reason(folder):
    run(folder, "build", "--today", "2017-01-01")
    set_cell(folder, "D10", "De politiske fagudvalg: TMU")  # 13 June: ØKU → TMU
    states = listed(folder, "--today", "2017-01-01")
    assert states["droeftelser/2017-06-13_OEKU_droeftelse.docx"] == (
        "fjernes: udvalget er ændret (2017-06-13_TMU_droeftelse.docx)")


# --- Accepting a hand edit -------------------------------------------------------------------------

def test_hand_edit_new_version_accept_then_nothing_until_the_data_changes(folder):
    run(folder, "build", "--today", "2017-01-01")
    original = folder / "output" / ORIENTATION
    hand_edit(original, "Sekretariatets rettelse")
    set_cell(folder, "C4", "Præsentation af Vision 2029 for alle ledere")
    result = run(folder, "build", "--today", "2017-01-01")
    beside = ORIENTATION.replace(".docx", " (ny version).docx")
    assert beside in written(result)
    moved = hand_edit(folder / "output" / beside, "Sekretariatets rettelse, flyttet over")

    accepted = run(folder, "accept", f"output/{beside}")
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout == (f"godkendt: {ORIENTATION} (den hidtidige fil er gemt som "
                               f"{ORIENTATION.replace('.docx', ' (erstattet).docx')})\n")
    assert original.read_bytes() == moved
    assert not (folder / "output" / beside).exists()
    assert (folder / "output" / ORIENTATION.replace(".docx", " (erstattet).docx")).is_file()

    quiet = run(folder, "build", "--today", "2017-01-01")
    assert quiet.returncode == 0 and written(quiet) == set()
    assert "bevaret:" not in quiet.stderr and "manuelle ændringer 0," in quiet.stderr
    assert listed(folder, "--today", "2017-01-01")[ORIENTATION] == "opdateret"

    set_cell(folder, "C4", "Præsentation af Vision 2029 for alle ledere og medarbejdere")
    changed = run(folder, "build", "--today", "2017-01-01")
    assert written(changed) == {beside, "oversigter/implementeringsplan_2017.pdf",
                                "oversigter/implementeringsplan_2017.html"}
    assert original.read_bytes() == moved
    assert f"{ORIENTATION} (ny version: {beside})" in changed.stderr


def test_accepting_a_file_saved_unchanged_by_word_ends_the_conflict(folder):
    run(folder, "build", "--today", "2017-01-01")
    note = folder / "output" / sorted(JUNE)[0]
    document = docx.Document(note)  # opened and saved without a change: other bytes all the same
    document.save(note)
    assert listed(folder, "--today", "2017-01-01")[sorted(JUNE)[0]] == "manuelt ændret – bevares"
    assert run(folder, "accept", str(note)).returncode == 0
    assert listed(folder, "--today", "2017-01-01")[sorted(JUNE)[0]] == "opdateret"


def test_accept_refuses_a_file_that_is_no_document_of_the_plan(folder):
    run(folder, "build", "--today", "2017-01-01")
    (folder / "output" / "mine_noter.docx").write_bytes(b"x")
    result = run(folder, "accept", "output/mine_noter.docx")
    assert result.returncode == 2
    assert "hører ikke til et dokument" in result.stderr and "Traceback" not in result.stderr


# --- make clean ------------------------------------------------------------------------------------

def test_make_clean_keeps_work_and_says_what_it_kept(folder):
    shutil.copy(ROOT / "Makefile", folder / "Makefile")
    venv = folder / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "pipeline").write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m pipeline "$@"\n')
    (venv / "pipeline").chmod(stat.S_IRWXU)
    run(folder, "build", "--today", "2017-01-01")
    edited = hand_edit(folder / "output" / sorted(JUNE)[0], "Egne noter")
    (folder / "output" / "mine_noter.docx").write_bytes(b"sagsbehandlerens egne noter")
    (folder / "output" / ".pipeline" / "nightly.log").write_text("2017-06-01 02:00:00 Resultat: …\n")

    result = subprocess.run(["make", "clean"], cwd=folder, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (folder / "output" / sorted(JUNE)[0]).read_bytes() == edited
    assert (folder / "output" / "mine_noter.docx").read_bytes() == b"sagsbehandlerens egne noter"
    assert (folder / "output" / ".pipeline" / "nightly.log").is_file()
    assert not (folder / "output" / "oversigter" / "implementeringsplan_2017.pdf").exists()
    assert f"bevaret: {sorted(JUNE)[0]} (ændret i hånden)" in result.stdout
    assert "bevaret: mine_noter.docx (ikke skrevet af pipelinen)" in result.stdout
    assert not (folder / ".venv").exists()


def test_clean_removes_every_unchanged_document_before_the_meetings(folder):
    run(folder, "build", "--today", "2017-01-01")
    result = run(folder, "clean", "--today", "2017-01-01")
    assert result.returncode == 0
    assert files(folder) == {}
    assert result.stdout.startswith("Slettet 17 fil(er)")  # 9 documents and 8 calendars


# --- Calendars --------------------------------------------------------------------------------------

def calendar_events(folder: Path, name: str) -> dict[str, str]:
    import icalendar

    calendar = icalendar.Calendar.from_ical((folder / "output" / "kalender" / name).read_bytes())
    return {str(event["UID"]): str(event["SUMMARY"]) for event in calendar.walk("VEVENT")}


def test_a_build_writes_the_meeting_calendars_with_stable_uids(folder):
    run(folder, "build", "--today", "2017-01-01")
    everything = calendar_events(folder, "alle-moeder.ics")
    assert len(everything) == len(MAY | JUNE | {ORIENTATION})
    assert set(calendar_events(folder, "BSU.ics")) == {"2017-05-30-BSU-droeftelse@implementeringsplan"}
    before = {p: c for p, c in files(folder).items() if p.startswith("kalender/")}
    assert len(before) == 8  # seven committees and all meetings
    set_cell(folder, "C4", "Præsentation for alle ledere")  # a row that is no meeting
    assert run(folder, "build", "--today", "2017-01-01", "--force").returncode == 0
    assert {p: c for p, c in files(folder).items() if p.startswith("kalender/")} == before
    set_cell(folder, "A9", "7. juni")  # the EBU and KFU meeting moves: its events get new UIDs
    result = run(folder, "build", "--today", "2017-01-01")
    assert "kalender/EBU.ics" in written(result)
    assert set(calendar_events(folder, "EBU.ics")) == {"2017-06-07-EBU-droeftelse@implementeringsplan"}
    building_one = run(folder, "build", f"input/{SAMPLE.name}", "--today", "2017-01-01")
    assert "kalender" not in building_one.stderr  # a build of some plans leaves the calendars alone
