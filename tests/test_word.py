"""The Word documents: render every sample document, read it back with python-docx, check it."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.shared import Twips
from docx.table import Table
from lxml import etree

from pipeline.core.errors import TemplateError
from pipeline.core.model import Document, DocumentKind
from pipeline.documents.planning import plan_documents
from pipeline.render.dispatch import render
from pipeline.render.templating import word_environment
from pipeline.render.word import fixed_headings
from pipeline.source.read import read_workbook
from pipeline.source.validate import validate

from conftest import TEMPLATES, write_xlsx

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
ORIENTATION = "orienteringssager/2017-06-19_KMB_orienteringssag.docx"
BSU = "droeftelser/2017-05-30_BSU_droeftelse.docx"
AGENDA = ["Sammendrag", "Baggrund", "Sagsfremstilling", "Økonomiske konsekvenser og finansiering",
          "Bilag", "Beslutningen træffes af", "Indstilling", "Beslutning"]
QUESTIONS = ["Hvad er de vigtigste politiske tiltag for realisering af Vision 2029?",
             "Hvilke konsekvenser har det for det politiske udvalgsarbejde?"]
# The sample plan's status on 19 June 2017, by the Dato column as written.
DONE = ["Maj", "8. maj", "21. maj", "30. maj", "6. juni", "13. juni", "18. juni"]
UNDER_WAY = ["Løbende", "Juni-september", "Juni – september"]
COMING = ["Efterår/Vinter", "2018"]
# Every discussion note of the sample: committee, full name, date line.
DISCUSSIONS = {
    "droeftelser/2017-05-30_BSU_droeftelse.docx": ("Børne- og Skoleudvalget", "tirsdag den 30. maj 2017 (uge 22)"),
    "droeftelser/2017-05-30_TMU_droeftelse.docx": ("Teknik- og Miljøudvalget", "tirsdag den 30. maj 2017 (uge 22)"),
    "droeftelser/2017-05-30_SSU_droeftelse.docx": ("Social- og Sundhedsudvalget", "tirsdag den 30. maj 2017 (uge 22)"),
    "droeftelser/2017-06-06_EBU_droeftelse.docx": ("Erhvervs- og Beskæftigelsesudvalget",
                                                   "tirsdag den 6. juni 2017 (uge 23)"),
    "droeftelser/2017-06-06_KFU_droeftelse.docx": ("Kultur- og Fritidsudvalget", "tirsdag den 6. juni 2017 (uge 23)"),
    "droeftelser/2017-06-13_OEKU_droeftelse.docx": ("Økonomiudvalget", "tirsdag den 13. juni 2017 (uge 24)"),
}
HOSTILE_THEME = 'Tema {{ x }} & <b>fed</b> "citat"'
HOSTILE_TEXT = "{% if %} og 'enkelt' & <i>\nDrøftelse: Er {{ 1+1 }} lig 2? Hvad med <b>&amp;</b>?"


@pytest.fixture(scope="module")
def rendered(sample_documents: dict[str, Document], tmp_path_factory) -> dict[str, Path]:
    """Every Word document of the sample, rendered to files, by output path."""
    folder = tmp_path_factory.mktemp("word")
    files = {}
    for path, document in sample_documents.items():
        if document.kind in (DocumentKind.ORIENTATION, DocumentKind.DISCUSSION):
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(render(document, TEMPLATES))
            files[path] = target
    return files


def render_plan(tmp_path: Path, rows, header, sheets=None) -> dict[str, DocxDocument]:
    """Write a plan, render its Word documents and return them opened, by output path."""
    plan = validate(read_workbook(write_xlsx(tmp_path / "plan_2017.xlsx", rows, header, sheets=sheets)))
    opened = {}
    for document in plan_documents([plan]):
        if document.kind in (DocumentKind.ORIENTATION, DocumentKind.DISCUSSION):
            target = tmp_path / document.path.name
            target.write_bytes(render(document, TEMPLATES))
            opened[str(document.path)] = docx.Document(target)
    return opened


def headings(document: DocxDocument, level: int) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def texts(document: DocxDocument) -> list[str]:
    return [p.text for p in document.paragraphs]


def section_text(document: DocxDocument, title: str) -> list[str]:
    """Return the paragraphs between Heading 1 `title` and the next Heading 1."""
    paragraphs = document.paragraphs
    start = next(i for i, p in enumerate(paragraphs) if p.style.name == "Heading 1" and p.text == title)
    following = []
    for paragraph in paragraphs[start + 1:]:
        if paragraph.style.name == "Heading 1":
            break
        following.append(paragraph.text)
    return following


def column(table: Table, index: int) -> list[str]:
    return [row.cells[index].text for row in table.rows[1:]]


def all_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name).decode("utf-8") for name in package.namelist()
                if name.endswith(".xml")}


def test_the_sample_gives_one_orientation_case_and_six_discussion_notes(rendered):
    assert sorted(rendered) == sorted([ORIENTATION, *DISCUSSIONS])


def test_orientation_follows_the_agenda_layout(rendered):
    document = docx.Document(rendered[ORIENTATION])
    assert headings(document, 1) == AGENDA
    assert headings(document, 2) == ["Gennemført", "I gang", "Kommende"]  # no empty Aflyst/Udskudt
    paragraphs = texts(document)
    assert paragraphs[:4] == ["Kommunalbestyrelsen", "Mødedato: mandag den 19. juni 2017",
                              "Orienteringssag", "Status på implementeringsplanen for Vision 2029"]
    assert not any(text.startswith("Sagsnr.") for text in paragraphs)  # the sample has none
    assert section_text(document, "Bilag") == ["Bilag 1: Implementeringsplan 2017 – oversigt"]
    assert section_text(document, "Beslutningen træffes af") == ["Kommunalbestyrelsen"]
    assert section_text(document, "Indstilling") == [
        "Administrationen indstiller, at orienteringen tages til efterretning."]
    assert section_text(document, "Beslutning") == [""]  # left for the secretariat
    summary = " ".join(section_text(document, "Sammendrag"))
    assert "pr. 19. juni 2017" in summary and "7 gennemført, 3 i gang og 2 kommende" in summary
    assert "Ballerup – vi skaber fremtiden sammen" in " ".join(section_text(document, "Baggrund"))


def test_orientation_reports_the_status_on_the_meeting_date_as_tables(rendered):
    document = docx.Document(rendered[ORIENTATION])
    done, under_way, coming = document.tables
    for table in document.tables:
        assert [cell.text for cell in table.rows[0].cells] == ["Dato", "Aktivitet", "Deltagerkreds"]
        assert table.rows[0]._tr.trPr.find(f"{W}tblHeader") is not None  # repeats on each page
        assert table.style.name == "Statustabel"
    assert column(done, 0) == DONE
    assert column(under_way, 0) == UNDER_WAY
    assert column(coming, 0) == COMING
    assert "Cykeltur rundt i Ballerup v/ Jesper Würtzen" in column(done, 1)[2]
    assert column(coming, 2) == ["Politikere, Administrationen og eksterne samarbejdspartnere",
                                 "Politikerne"]
    # A cell's line breaks come out as separate paragraphs (row 11: "Hjemmeside / Presse").
    cell = under_way.rows[3].cells[1]
    assert [p.text for p in cell.paragraphs][-2:] == ["Hjemmeside", "Presse"]


@pytest.mark.parametrize("path", sorted(DISCUSSIONS))
def test_discussion_note_for_each_committee_and_meeting(rendered, path):
    name, when = DISCUSSIONS[path]
    document = docx.Document(rendered[path])
    paragraphs = texts(document)
    assert paragraphs[:4] == [name, f"Mødedato: {when}", "Drøftelsessag",
                              "Fortællinger der illustrerer Vision 2029\nHvordan realiseres Vision 2029"]
    assert headings(document, 1) == [*AGENDA, "Udvalgets bemærkninger"]
    assert headings(document, 2) == ["Spørgsmål til drøftelse", "Andre udvalg, der drøfter sagen"]
    numbered = [p for p in document.paragraphs if p.style.name == "List Number"]
    assert [p.text for p in numbered] == QUESTIONS
    assert section_text(document, "Beslutningen træffes af") == [name]
    indstilling = section_text(document, "Indstilling")
    assert len(indstilling) == 1
    assert indstilling[0].startswith("Administrationen indstiller, at udvalget drøfter »Fortællinger")
    assert section_text(document, "Udvalgets bemærkninger") == [""]
    sagsfremstilling = section_text(document, "Sagsfremstilling")
    assert sagsfremstilling[0].startswith("Drøftelse af de af chefgruppen udvalgte")
    assert not any(text.startswith("Drøftelse:") for text in sagsfremstilling)  # asked as a list
    assert "forelagt til drøftelse og binder ikke udvalget" in " ".join(section_text(document, "Sammendrag"))


def test_discussion_questions_are_a_real_numbered_list(rendered):
    document = docx.Document(rendered[BSU])
    style = document.styles["List Number"]
    numbering = style.element.pPr.find(f"{W}numPr")
    assert numbering is not None and numbering.find(f"{W}numId") is not None


def test_discussion_lists_the_other_committees_and_their_dates(rendered):
    document = docx.Document(rendered[BSU])
    assert [p.text for p in document.paragraphs if p.style.name == "List Bullet"][-5:] == [
        "Social- og Sundhedsudvalget, tirsdag den 30. maj 2017",
        "Teknik- og Miljøudvalget, tirsdag den 30. maj 2017",
        "Erhvervs- og Beskæftigelsesudvalget, tirsdag den 6. juni 2017",
        "Kultur- og Fritidsudvalget, tirsdag den 6. juni 2017",
        "Økonomiudvalget, tirsdag den 13. juni 2017",
    ]
    assert "Udvalgte indsatser" not in texts(document)  # the sample selected none
    assert document.tables == []


@pytest.mark.parametrize("path", [ORIENTATION, BSU])
def test_documents_are_danish_a4_with_header_and_page_numbers(rendered, path):
    document = docx.Document(rendered[path])
    assert document.core_properties.language == "da-DK"
    defaults = document.styles.element.find(f"{W}docDefaults")
    assert defaults.find(f"{W}rPrDefault/{W}rPr/{W}lang").get(f"{W}val") == "da-DK"
    section = document.sections[0]
    assert (section.page_width, section.page_height) == (Twips(11906), Twips(16838))
    header = section.header.paragraphs[0].text
    assert header.startswith("Ballerup Kommune")
    footer = section.footer._element.xml
    fields = [code.strip() for code in re.findall(r"<w:instrText[^>]*>([^<]*)<", footer)]
    assert fields == ["PAGE", "NUMPAGES"]
    assert "Side " in section.footer.paragraphs[0].text and " af " in section.footer.paragraphs[0].text


def test_metadata_comes_from_the_data(rendered):
    properties = docx.Document(rendered[BSU]).core_properties
    assert properties.created == properties.modified == datetime(2017, 5, 30, tzinfo=UTC)
    assert properties.revision == 1
    assert properties.title == ("Drøftelsessag til Børne- og Skoleudvalget tirsdag den 30. maj 2017: "
                                "Fortællinger der illustrerer Vision 2029 – Hvordan realiseres Vision 2029")
    assert docx.Document(rendered[ORIENTATION]).core_properties.title == (
        "Orienteringssag til Kommunalbestyrelsen mandag den 19. juni 2017")


def test_no_template_code_is_left_anywhere(rendered):
    for path in rendered.values():
        for part, xml in all_xml(path).items():
            for marker in ("{{", "}}", "{%", "%}", "{#", "#}"):
                assert marker not in xml, f"{path.name} {part} has {marker}"


def test_two_renders_give_identical_bytes(sample_documents):
    for path in (ORIENTATION, BSU):
        assert render(sample_documents[path], TEMPLATES) == render(sample_documents[path], TEMPLATES)


def test_spreadsheet_text_is_never_template_code(tmp_path):
    header = ("Dato", "Tema", "Aktivitet", "Deltagerkreds", "Sagsnr.")
    rows = [
        ("30. maj", HOSTILE_THEME, HOSTILE_TEXT, "BSU", "17/{{ y }}"),
        ("1. juni", "{% for a in b %}", 'Aktivitet {{ x }} "x" & <b>', "Borgere & 'andre'", ""),
        ("19. juni", "Status", "Orienteringssag", "KMB", ""),
    ]
    documents = render_plan(tmp_path, rows, header)
    note = documents["droeftelser/2017-05-30_BSU_droeftelse.docx"]
    paragraphs = texts(note)
    assert HOSTILE_THEME in paragraphs
    assert "Sagsnr. 17/{{ y }}" in paragraphs
    assert "{% if %} og 'enkelt' & <i>" in paragraphs
    assert [p.text for p in note.paragraphs if p.style.name == "List Number"] == [
        "Er {{ 1+1 }} lig 2?", "Hvad med <b>&amp;</b>?"]
    assert f"Administrationen indstiller, at udvalget drøfter »{HOSTILE_THEME}« med udgangspunkt i " \
           "spørgsmålene i sagsfremstillingen." in paragraphs
    status = documents["orienteringssager/2017-06-19_KMB_orienteringssag.docx"]
    done = status.tables[0]
    assert column(done, 0) == ["30. maj", "1. juni"]
    assert [p.text for p in done.rows[2].cells[1].paragraphs] == ["{% for a in b %}", 'Aktivitet {{ x }} "x" & <b>']
    assert column(done, 2)[1] == "Borgere & 'andre'"


def test_selected_initiatives_and_cancelled_activities_appear_only_when_there_are_some(tmp_path):
    header = ("Dato", "Tema", "Aktivitet", "Deltagerkreds", "Status")
    rows = [
        ("30. maj", "Vision", "Drøftelse: Hvad nu?", "BSU", ""),
        ("1. juni", "Aflyst møde", "Borgermøde", "Borgere", "Aflyst"),
        ("19. juni", "Status", "Orienteringssag", "KMB", ""),
    ]
    initiatives = [("Indsats", "Beskrivelse", "Type", "Udvalg"),
                   ("Grønne tage", "Tage med sedum\nog solceller", "kommende", "BSU"),
                   ("For alle", "", "eksisterende", ""),
                   ("Kun TMU", "Vises ikke for BSU", "planlagt", "TMU")]
    documents = render_plan(tmp_path, rows, header, sheets={"Indsatser": initiatives})
    note = documents["droeftelser/2017-05-30_BSU_droeftelse.docx"]
    assert headings(note, 2) == ["Udvalgte indsatser", "Spørgsmål til drøftelse"]  # no other committees
    (table,) = note.tables
    assert [cell.text for cell in table.rows[0].cells] == ["Indsats", "Type", "Beskrivelse"]
    assert column(table, 0) == ["Grønne tage", "For alle"]
    assert [p.text for p in table.rows[1].cells[2].paragraphs] == ["Tage med sedum", "og solceller"]
    status = documents["orienteringssager/2017-06-19_KMB_orienteringssag.docx"]
    assert headings(status, 2) == ["Gennemført", "I gang", "Kommende", "Aflyst"]
    assert "Ingen aktiviteter er i gang." in texts(status)
    assert column(status.tables[-1], 0) == ["1. juni"]


def test_a_broken_template_fails_with_a_danish_message(sample_documents, tmp_path):
    from test_check_templates import edit

    shutil.copy(TEMPLATES / "droeftelse.docx", tmp_path / "droeftelse.docx")
    edit(tmp_path / "droeftelse.docx", "{{ tema }}", "{{ temaet }}")
    with pytest.raises(TemplateError, match=r'^droeftelse\.docx: skabelonen kan ikke udfyldes: '
                                            r'ukendt variabel "temaet"; kør »pipeline check-templates«'):
        render(sample_documents[BSU], tmp_path)


def test_a_damaged_template_is_named(sample_documents, tmp_path):
    (tmp_path / "droeftelse.docx").write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip
    with pytest.raises(TemplateError, match=r"^droeftelse\.docx: er ikke et gyldigt Word-dokument"):
        render(sample_documents[BSU], tmp_path)
    (tmp_path / "droeftelse.docx").write_text("tekst")
    with pytest.raises(TemplateError, match=r"^droeftelse\.docx: er ikke et gyldigt Word-dokument"):
        render(sample_documents[BSU], tmp_path)


def test_a_heading_is_read_from_its_own_runs_not_from_a_text_box_inside_it() -> None:
    """The render-time net compares the template's fixed headings with the document's; a text
    box anchored in a heading holds paragraphs of its own, whose text is not the heading's."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    style = '<w:pPr><w:pStyle w:val="Overskrift1"/></w:pPr>'
    body = etree.fromstring(
        f'<w:body xmlns:w="{w}">'
        f'<w:p>{style}<w:r><w:t>Status</w:t></w:r>'
        f'<w:r><w:txbxContent><w:p><w:r><w:t>i en tekstboks</w:t></w:r></w:p></w:txbxContent></w:r>'
        f'<w:r><w:t> i dag</w:t></w:r></w:p>'
        f'<w:p>{style}<w:r><w:t>Næste </w:t></w:r><w:r><w:t>skridt</w:t></w:r></w:p></w:body>')
    assert fixed_headings(body, {"Overskrift1"}) == ["Status i dag", "Næste skridt"]


def test_each_template_part_is_compiled_once_and_a_changed_template_anew(
        sample_documents: dict[str, Document], tmp_path: Path) -> None:
    """docxtpl hands every part of every document to Jinja; the Word environment compiles each
    distinct part once per process, and a template edited in Word is a different text."""
    notes = [d for d in sample_documents.values() if d.kind is DocumentKind.DISCUSSION]
    render(notes[0], TEMPLATES)
    compiled = dict(word_environment().compiled)
    first = render(notes[1], TEMPLATES)
    assert word_environment().compiled == compiled  # the same sources, the same compiled templates
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    edited = docx.Document(templates / "droeftelse.docx")
    edited.add_paragraph("Tilføjet i Word efter første kørsel")
    edited.save(templates / "droeftelse.docx")
    again = docx.Document(io.BytesIO(render(notes[1], templates)))
    assert "Tilføjet i Word efter første kørsel" in [p.text for p in again.paragraphs]
    assert "Tilføjet i Word efter første kørsel" not in [p.text for p in docx.Document(io.BytesIO(first)).paragraphs]
