"""Calendar files of the plan's meetings: valid RFC 5545 read back with `icalendar`, stable and deterministic."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest
from openpyxl import load_workbook

from pipeline.core.model import DocumentKind
from pipeline.documents.kinds import build_context
from pipeline.documents.planning import plan_documents
from pipeline.render.ics import calendar_files, escape, fold
from pipeline.render.word import title
from pipeline.source.read import read_workbook
from pipeline.source.validate import validate

from conftest import SAMPLE, write_xlsx

MEETING_KINDS = (DocumentKind.ORIENTATION, DocumentKind.DISCUSSION)


def documents_of(path: Path):
    return plan_documents([validate(read_workbook(path))])


def events(data: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(data)
    found = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    assert len(found) == len(calendar.walk("VEVENT")), "a UID twice"
    return found


@pytest.fixture(scope="module")
def sample_calendars() -> dict[str, bytes]:
    return calendar_files(documents_of(SAMPLE))


def test_one_calendar_per_committee_and_one_for_all(sample_calendars):
    assert sorted(sample_calendars) == [f"kalender/{name}.ics" for name in
                                        ("BSU", "EBU", "KFU", "KMB", "OEKU", "SSU", "TMU", "alle-moeder")]


def test_every_meeting_is_one_all_day_event_titled_like_its_document(sample_calendars, sample_documents):
    meetings = {d.path: d for d in sample_documents.values() if d.kind in MEETING_KINDS}
    assert len(meetings) == 7
    everything = events(sample_calendars["kalender/alle-moeder.ics"])
    assert len(everything) == len(meetings)
    for document in meetings.values():
        committee = document.path.name.split("_")[1]
        uid = f"{document.date.isoformat()}-{committee}-{document.kind.value}@implementeringsplan"
        event = everything[uid]
        assert event["DTSTART"].dt == document.date and type(event["DTSTART"].dt) is date
        assert event["DTSTART"].params["VALUE"] == "DATE"
        assert event["DTEND"].dt == document.date + timedelta(days=1)
        assert str(event["SUMMARY"]) == title(document, build_context(document))
        assert str(event["DESCRIPTION"]) == f"Dokument: {document.path}"
        assert "DTSTAMP" in event
        committee_file = f"kalender/{document.path.name.split('_')[1]}.ics"
        assert uid in events(sample_calendars[committee_file])
    assert "2017-05-30-BSU-droeftelse@implementeringsplan" in everything
    assert "2017-06-13-OEKU-droeftelse@implementeringsplan" in everything
    assert "2017-06-19-KMB-orienteringssag@implementeringsplan" in everything
    by_committee = {name: len(events(data)) for name, data in sample_calendars.items()}
    assert by_committee == {"kalender/alle-moeder.ics": 7, **{f"kalender/{c}.ics": 1 for c in
                                                              ("BSU", "EBU", "KFU", "KMB", "OEKU", "SSU", "TMU")}}
    calendar = icalendar.Calendar.from_ical(sample_calendars["kalender/BSU.ics"])
    assert str(calendar["X-WR-CALNAME"]) == "Implementeringsplan – Børne- og Skoleudvalget"
    assert str(calendar["VERSION"]) == "2.0" and "PRODID" in calendar


def test_lines_end_in_crlf_and_fold_at_75_octets(sample_calendars):
    for name, data in sample_calendars.items():
        assert data.endswith(b"END:VCALENDAR\r\n")
        lines = data.split(b"\r\n")[:-1]
        assert b"\n" not in b"".join(lines), name
        assert max(len(line) for line in lines) <= 75, name
        for line in lines:
            line.decode("utf-8")  # no character split between lines
    assert any(line.startswith(b" ") for line in sample_calendars["kalender/BSU.ics"].split(b"\r\n"))


def test_the_bytes_are_the_same_every_time(sample_calendars):
    assert calendar_files(documents_of(SAMPLE)) == sample_calendars


def edited(tmp_path: Path, cells: dict[str, str]) -> Path:
    path = shutil.copy(SAMPLE, tmp_path / SAMPLE.name)
    book = load_workbook(path)
    for cell, value in cells.items():
        book["Plan"][cell] = value
    book.save(path)
    return Path(path)


def test_an_unrelated_edit_changes_no_byte(tmp_path, sample_calendars):
    plan = edited(tmp_path, {"C5": "Nyt fortælle-design", "A6": "9. maj"})  # rows 5 and 6: no meetings
    assert calendar_files(documents_of(plan)) == sample_calendars


def test_an_edit_that_does_not_move_a_meeting_keeps_its_uid(tmp_path, sample_calendars):
    plan = edited(tmp_path, {"B8": "Et nyt tema"})  # the 30 May discussion's theme
    calendars = calendar_files(documents_of(plan))
    before, after = (events(c["kalender/alle-moeder.ics"]) for c in (sample_calendars, calendars))
    assert before.keys() == after.keys()
    uid = "2017-05-30-BSU-droeftelse@implementeringsplan"
    assert str(after[uid]["SUMMARY"]).endswith(": Et nyt tema")
    assert calendars["kalender/EBU.ics"] == sample_calendars["kalender/EBU.ics"]


def test_a_moved_meeting_is_another_event(tmp_path, sample_calendars):
    plan = edited(tmp_path, {"A12": "20. juni"})  # the orientation case, one day later
    after = events(calendar_files(documents_of(plan))["kalender/KMB.ics"])
    assert list(after) == ["2017-06-20-KMB-orienteringssag@implementeringsplan"]


HOSTILE_NAME = 'Børne-, Unge; og \\Skole\nudvalget "BUS"'
HOSTILE_THEME = 'Tema; med, komma \\n og \\ og {{ x }} <b>&amp;</b> – æøå ' + "lang tekst " * 8


def test_hostile_text_is_escaped_and_reads_back_as_written(tmp_path):
    plan = write_xlsx(tmp_path / "plan_2017.xlsx",
                      [("30. maj", HOSTILE_THEME, "Drøftelse: Hvad nu?", "BUS")],
                      sheets={"Udvalg": [("Forkortelse", "Navn"), ("BUS", HOSTILE_NAME)]})
    documents = documents_of(plan)
    calendars = calendar_files(documents)
    assert sorted(calendars) == ["kalender/BUS.ics", "kalender/alle-moeder.ics"]
    data = calendars["kalender/BUS.ics"]
    (document,) = [d for d in documents if d.kind is DocumentKind.DISCUSSION]
    (event,) = events(data).values()
    summary = title(document, build_context(document))
    assert "\n" in summary and ";" in summary and "\\" in summary  # the hostile parts reach the title
    assert str(event["SUMMARY"]) == summary
    calendar = icalendar.Calendar.from_ical(data)
    # icalendar leaves an X- property as written; unescaped as the TEXT it is, it is the name.
    raw = str(calendar["X-WR-CALNAME"])
    unescaped = re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], raw)
    assert unescaped == f"Implementeringsplan – {HOSTILE_NAME}"
    assert b"Unge\\; og \\\\Skole\\nudvalget" in data.replace(b"\r\n ", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 75


@pytest.mark.parametrize(("text", "escaped"), [
    ("a,b;c\\d", "a\\,b\\;c\\\\d"),
    ("linje 1\nlinje 2\r\nlinje 3\rslut", "linje 1\\nlinje 2\\nlinje 3\\nslut"),
    ("klokke\x07 og\ttab", "klokke og\ttab"),
    ('"citat": ok', '"citat": ok'),
])
def test_escape(text, escaped):
    assert escape(text) == escaped


def test_fold_never_splits_a_character():
    line = "SUMMARY:" + "æ" * 100
    folded = fold(line).encode("utf-8").split(b"\r\n")
    assert all(len(part) <= 75 for part in folded)
    assert [part.decode("utf-8") for part in folded]  # each part decodes on its own
    assert fold(line).replace("\r\n ", "") == line
    assert fold("KORT:linje") == "KORT:linje"


def test_no_meetings_no_calendars(tmp_path):
    plan = write_xlsx(tmp_path / "plan_2017.xlsx", [("Maj", "Tema", "Cykeltur", "Borgere")])
    assert calendar_files(documents_of(plan)) == {}
