"""Orientation cases report what happened since the plan's previous orientation case and what
comes up before its next one; later rows are counted, not listed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.table import Table
from docx.text.paragraph import Paragraph

from pipeline.core.model import Document, DocumentKind
from pipeline.documents.kinds import build_context
from pipeline.documents.planning import plan_documents
from pipeline.engine.fingerprint import FingerprintCache, fingerprint
from pipeline.render.dispatch import render
from pipeline.source.read import read_workbook
from pipeline.source.validate import validate

from conftest import TEMPLATES, write_xlsx

HEADER = ("Dato", "Tema", "Aktivitet", "Deltagerkreds", "Status")
# Two orientation cases, 5 March and 4 June 2018; every other row is dated so that its place
# (before, between, after) is plain from its label.
ROWS = [
    ("Løbende", "Kommunikation", "Nyhedsbreve", "Administrationen", None),
    ("10. januar", "Start", "Kick-off", "Chefgruppen", None),
    ("20. februar", "Start", "Temamøde", "Politikerne", None),
    ("5. marts", "Status", "Orienteringssag", "KMB", None),
    ("Marts-april", "Dialog", "Borgerdialog", "Borgerne", None),
    ("12. april", "Dialog", "Workshop", "Chefgruppen", None),
    ("20. maj", "Dialog", "Borgermøde", "Borgerne", "Aflyst"),
    ("4. juni", "Status", "Orienteringssag", "KMB", None),
    ("September", "Evaluering", "Evaluering", "Administrationen", None),
    ("Efterår", "Evaluering", "Afrapportering", "Politikerne", None),
]
FIRST = "orienteringssager/2018-03-05_KMB_orienteringssag.docx"
SECOND = "orienteringssager/2018-06-04_KMB_orienteringssag.docx"
KEYS = ("planlagt", "igang", "gennemfoert", "aflyst", "udskudt")


def planned(tmp_path: Path, rows=ROWS) -> dict[str, Document]:
    plan = validate(read_workbook(write_xlsx(tmp_path / "implementeringsplan_2018.xlsx", rows, HEADER)))
    return {str(d.path): d for d in plan_documents([plan]) if d.kind is DocumentKind.ORIENTATION}


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, DocxDocument]:
    """The two orientation cases, rendered to .docx and read back."""
    folder = tmp_path_factory.mktemp("since")
    opened = {}
    for path, document in planned(folder).items():
        target = folder / document.path.name
        target.write_bytes(render(document, TEMPLATES))
        opened[path] = docx.Document(target)
    return opened


def tables_by_heading(document: DocxDocument) -> dict[str, list[str]]:
    """Return each status table's Dato column, by the Heading 2 above it."""
    found, heading = {}, None
    for child in document.element.body.iterchildren():
        if child.tag.endswith("}p"):
            paragraph = Paragraph(child, document)
            if paragraph.style.name == "Heading 2":
                heading = paragraph.text
        elif child.tag.endswith("}tbl"):
            table = Table(child, document)
            assert [c.text for c in table.rows[0].cells] == ["Dato", "Aktivitet", "Deltagerkreds"]
            found[heading] = [row.cells[0].text for row in table.rows[1:]]
    return found


def sagsfremstilling(document: DocxDocument) -> str:
    paragraphs = [p.text for p in document.paragraphs]
    return paragraphs[paragraphs.index("Sagsfremstilling") + 1]


def test_the_first_lists_up_to_its_meeting_and_what_comes_before_the_second(cases):
    assert tables_by_heading(cases[FIRST]) == {
        "Gennemført": ["10. januar", "20. februar"],
        "I gang": ["Løbende", "Marts-april"],
        "Kommende": ["12. april", "4. juni"],  # dated on or before 4 June
    }
    assert sagsfremstilling(cases[FIRST]) == (
        "Nedenfor gøres status på implementeringsplanen pr. 5. marts 2018: de aktiviteter, der er "
        "gennemført, sat i gang, udskudt eller aflyst siden planens start, og de kommende aktiviteter "
        "frem til næste orientering mandag den 4. juni 2018. Yderligere 3 senere aktiviteter kommer med "
        "i de næste orienteringer. Hele planen er vedlagt som bilag 1.")


def test_the_first_lists_nothing_dated_after_the_seconds_meeting(tmp_path):
    documents = planned(tmp_path)
    context = build_context(documents[FIRST])
    listed = [r for key in ("gennemfoert", "igang", "kommende", "aflyst", "udskudt") for r in context[key]]
    assert listed and all(r["start"] <= date(2018, 6, 4) for r in listed)


def test_the_second_lists_what_changed_between_the_two_and_all_that_remains(cases):
    assert tables_by_heading(cases[SECOND]) == {
        # Completed between 5 March and 4 June; the first orientation case itself among them.
        "Gennemført": ["Marts-april", "5. marts", "12. april"],  # plan order
        "Kommende": ["September", "Efterår"],  # the last orientation case lists all that remain
        "Aflyst": ["20. maj"],
    }
    # Nothing started since 5 March is still under way ("Løbende" was reported on 5 March).
    assert "Ingen aktiviteter er sat i gang siden sidste orientering." in [p.text for p in cases[SECOND].paragraphs]
    assert "siden orienteringen mandag den 5. marts 2018" in sagsfremstilling(cases[SECOND])


@pytest.mark.parametrize("path", [FIRST, SECOND])
def test_counts_cover_every_other_row_of_the_plan(cases, tmp_path, path):
    context = build_context(planned(tmp_path)[path])
    counts = context["antal"]
    assert set(counts) == {*KEYS, "i_alt"}
    # Every row but the orientation case itself, in exactly one of the five statuses.
    assert sum(counts[key] for key in KEYS) == counts["i_alt"] == len(ROWS) - 1
    paragraphs = [p.text for p in cases[path].paragraphs]
    summary = paragraphs[paragraphs.index("Sammendrag") + 1]
    assert f"Af planens {len(ROWS) - 1} øvrige aktiviteter er" in summary


def test_counts_on_each_meeting_date(tmp_path):
    documents = planned(tmp_path)
    assert build_context(documents[FIRST])["antal"] == {
        "planlagt": 4, "igang": 2, "gennemfoert": 2, "aflyst": 1, "udskudt": 0, "i_alt": 9}
    assert build_context(documents[SECOND])["antal"] == {
        "planlagt": 2, "igang": 1, "gennemfoert": 5, "aflyst": 1, "udskudt": 0, "i_alt": 9}


def test_moving_the_next_orientation_case_changes_the_first_ones_fingerprint(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    before = planned(tmp_path / "a")[FIRST]
    moved = [("11. juni", *row[1:]) if row[0] == "4. juni" else row for row in ROWS]
    after = planned(tmp_path / "b", moved)[FIRST]
    assert (before.previous, before.next) == (None, date(2018, 6, 4))
    assert after.next == date(2018, 6, 11)
    assert fingerprint(before, TEMPLATES, FingerprintCache())[0] != fingerprint(after, TEMPLATES, FingerprintCache())[0]


def test_a_single_orientation_case_has_no_neighbours_and_lists_everything(tmp_path):
    rows = [row for row in ROWS if row[0] != "4. juni"]
    (document,) = planned(tmp_path, rows).values()
    assert (document.previous, document.next) == (None, None)
    context = build_context(document)
    assert context["senere"] == 0
    listed = sum(len(context[key]) for key in ("gennemfoert", "igang", "kommende", "aflyst", "udskudt"))
    assert listed == context["antal"]["i_alt"] == len(rows) - 1


def test_neighbours_ignore_the_committee(tmp_path):
    rows = [("4. juni", "Status", "Orienteringssag", "ØKU", None) if row[0] == "4. juni" else row for row in ROWS]
    documents = planned(tmp_path, rows)
    assert documents[FIRST].next == date(2018, 6, 4)
    assert documents["orienteringssager/2018-06-04_OEKU_orienteringssag.docx"].previous == date(2018, 3, 5)


def test_through_the_cli_moving_the_second_case_rebuilds_the_first(tmp_path):
    """A real build; then the second orientation case moves a week, and the first follows."""
    from click.testing import CliRunner

    from pipeline.cli.app import cli

    plan = write_xlsx(tmp_path / "implementeringsplan_2018.xlsx", ROWS, HEADER)
    output = tmp_path / "output"
    build = ["build", str(plan), "-o", str(output), "-t", str(TEMPLATES), "--today", "2018-01-01", "-q"]
    assert CliRunner().invoke(cli, build).exit_code == 0
    first = output / FIRST
    assert tables_by_heading(docx.Document(first))["Kommende"] == ["12. april", "4. juni"]

    write_xlsx(plan, [("11. juni", *row[1:]) if row[0] == "4. juni" else row for row in ROWS], HEADER)
    assert CliRunner().invoke(cli, build).exit_code == 0
    assert "frem til næste orientering mandag den 11. juni 2018" in sagsfremstilling(docx.Document(first))
    assert tables_by_heading(docx.Document(first))["Kommende"] == ["12. april", "11. juni"]
    assert not (output / SECOND).exists()
    assert (output / "orienteringssager/2018-06-11_KMB_orienteringssag.docx").exists()
