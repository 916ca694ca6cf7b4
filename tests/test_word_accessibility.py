"""Accessible, well-described Word documents: every .docx a real build writes is read back and
checked for title, subject, language, custom properties, heading order, repeating table header
rows, no empty paragraphs used as spacing, and a text alternative for every picture."""

from __future__ import annotations

import itertools
import shutil
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest
from lxml import etree

from pipeline.engine.build import build
from pipeline.engine.options import BuildOptions
from pipeline.render.word import set_custom_properties

from conftest import SAMPLE, TEMPLATES, write_xlsx

NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "v": "urn:schemas-microsoft-com:vml",
    "cp": "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
    "vt": "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
}
W = "{{{}}}".format(NS["w"])
LANGUAGE = "da-DK"
KINDS = {"orienteringssager": "Orienteringssag", "droeftelser": "Drøftelsessag"}
COMMITTEES = {"KMB": "Kommunalbestyrelsen", "BSU": "Børne- og Skoleudvalget",
              "TMU": "Teknik- og Miljøudvalget", "SSU": "Social- og Sundhedsudvalget",
              "EBU": "Erhvervs- og Beskæftigelsesudvalget", "KFU": "Kultur- og Fritidsudvalget",
              "OEKU": "Økonomiudvalget"}
# A second plan with case numbers and every status, so the orientation case has all five
# status groups (two of them only shown when not empty) and a discussion note of its own.
CASE_NUMBERS = {"2018-06-12_BSU_droeftelse": "18/04712", "2018-06-18_KMB_orienteringssag": "18/04711"}
PLAN_2018 = [
    ("Marts", "Formidling", "Plakater på rådhuset", "Administrationen", "Gennemført", ""),
    ("April", "Dialog", "Borgermøde på biblioteket", "Borgere", "Aflyst", ""),
    ("Maj", "Dialog", "Cykeltur i kommunen", "Borgere", "Udskudt", ""),
    ("Løbende", "Formidling", "Fortællinger i personalebladet", "Administrationen", "I gang", ""),
    ("12. juni", "Fortællinger", "Drøftelse: Hvordan når vi de unge?", "BSU", "Planlagt", "18/04712"),
    ("18. juni", "Status", "Orienteringssag", "KMB", "Planlagt", "18/04711"),
    ("Efterår", "Evaluering", "Evaluering af året", "Chefgruppen", "Planlagt", ""),
]
HEADER_2018 = ("Dato", "Tema", "Aktivitet", "Deltagerkreds", "Status", "Sagsnr.")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder built by the real pipeline from the sample and a 2018 plan."""
    project = tmp_path_factory.mktemp("word-a11y")
    (project / "input").mkdir()
    shutil.copy(SAMPLE, project / "input")
    write_xlsx(project / "input" / "implementeringsplan_2018.xlsx", PLAN_2018, header=HEADER_2018)
    report = build(BuildOptions(plans=tuple(sorted((project / "input").iterdir())),
                                output=project / "output", templates=TEMPLATES, jobs=1))
    assert report.exit_code == 0
    return project / "output"


def word_files(output: Path) -> list[Path]:
    return sorted(output.rglob("*.docx"))


def xml(path: Path, member: str) -> etree._Element:
    with zipfile.ZipFile(path) as package:
        return etree.fromstring(package.read(member))


def members(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as package:
        return package.namelist()


def custom_properties(path: Path) -> dict[str, str]:
    """Return docProps/custom.xml as {name: value text}; checks each has one typed value."""
    root = xml(path, "docProps/custom.xml")
    found = {}
    for prop in root.findall("cp:property", NS):
        assert prop.get("fmtid") == "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
        (value,) = list(prop)
        assert value.tag.startswith("{{{}}}".format(NS["vt"]))
        found[prop.get("name")] = value.text or ""
    pids = [int(prop.get("pid")) for prop in root.findall("cp:property", NS)]
    assert pids == list(range(2, 2 + len(pids)))  # Word's numbering: unique, from 2
    return found


def heading_level(paragraph) -> int | None:
    """Return the level of a paragraph in a built-in Heading style, else None."""
    style = paragraph.style
    while style is not None:
        if style.style_id.startswith("Heading") and style.style_id[7:].isdigit():
            return int(style.style_id[7:])
        style = style.base_style
    return None


def is_empty(paragraph) -> bool:
    element = paragraph._p
    return not paragraph.text.strip() and not element.findall(".//w:drawing", NS) \
        and not element.findall(".//w:fldChar", NS)


def test_the_build_wrote_every_word_document(built: Path) -> None:
    names = [f"{p.parent.name}/{p.name}" for p in word_files(built)]
    assert len(names) == 7 + 2  # the sample's 7, the 2018 plan's orientation and discussion
    assert "orienteringssager/2018-06-18_KMB_orienteringssag.docx" in names
    assert "droeftelser/2018-06-12_BSU_droeftelse.docx" in names


def test_core_properties_title_subject_and_language(built: Path) -> None:
    for path in word_files(built):
        properties = docx.Document(path).core_properties
        kind = KINDS[path.parent.name]
        committee = COMMITTEES[path.stem.split("_")[1]]
        assert properties.title.startswith(f"{kind} til {committee} "), path.name
        assert properties.subject.strip(), path.name
        assert properties.language == LANGUAGE


def test_custom_properties_for_case_systems(built: Path) -> None:
    for path in word_files(built):
        day, abbreviation, _ = path.stem.split("_")
        properties = custom_properties(path)
        assert properties == {
            "Sagsnr.": CASE_NUMBERS.get(path.stem, ""),
            "Udvalg": COMMITTEES[abbreviation],
            "Udvalgsforkortelse": abbreviation.replace("OE", "Ø"),
            "Mødedato": f"{day}T00:00:00Z",
            "Dokumenttype": KINDS[path.parent.name],
        }, path.name
        root = xml(path, "docProps/custom.xml")
        meeting = root.find("cp:property[@name='Mødedato']/vt:filetime", NS)
        assert date.fromisoformat(meeting.text[:10]).isoformat() == day
        types = xml(path, "[Content_Types].xml")
        assert any(o.get("PartName") == "/docProps/custom.xml" for o in types)


def test_language_is_danish_everywhere(built: Path) -> None:
    for path in word_files(built):
        styles = xml(path, "word/styles.xml")
        default = styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS)
        assert default.get(W + "val") == LANGUAGE
        for member in members(path):
            if member.startswith("word/") and member.endswith(".xml"):
                for lang in xml(path, member).iter(W + "lang"):
                    assert lang.get(W + "val") in (None, LANGUAGE), (path.name, member)
        theme_language = xml(path, "word/settings.xml").find("w:themeFontLang", NS)
        assert theme_language.get(W + "val") == LANGUAGE


def test_headings_are_real_heading_styles_in_order(built: Path) -> None:
    for path in word_files(built):
        document = docx.Document(path)
        levels = [level for p in document.paragraphs if (level := heading_level(p)) is not None]
        assert levels and levels[0] == 1, path.name
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, (path.name, levels)  # no level skipped
        for level in set(levels):
            style = document.styles[f"Heading {level}"]
            outline = style.element.find("w:pPr/w:outlineLvl", NS)
            assert outline is not None and outline.get(W + "val") == str(level - 1)
        titles = [p for p in document.paragraphs if p.style.style_id == "Title"]
        assert len(titles) == 1 and titles[0].text.strip()
        # No heading made by hand: a short body paragraph that is bold all through.
        for paragraph in document.paragraphs:
            runs = [r for r in paragraph.runs if r.text.strip()]
            if heading_level(paragraph) is None and runs and paragraph.style.style_id == "Normal":
                assert not all(r.bold for r in runs), (path.name, paragraph.text)


def test_orientation_case_has_every_status_heading_in_order(built: Path) -> None:
    document = docx.Document(built / "orienteringssager" / "2018-06-18_KMB_orienteringssag.docx")
    headings = [(heading_level(p), p.text) for p in document.paragraphs if heading_level(p)]
    start = headings.index((1, "Sagsfremstilling"))
    assert headings[start + 1:start + 6] == [(2, "Gennemført"), (2, "I gang"), (2, "Kommende"),
                                             (2, "Udskudt"), (2, "Aflyst")]


def test_table_header_rows_repeat_on_every_page(built: Path) -> None:
    tables = 0
    for path in word_files(built):
        for table in docx.Document(path).tables:
            tables += 1
            first = table.rows[0]._tr
            assert first.find("w:trPr/w:tblHeader", NS) is not None, path.name
            assert all(cell.text.strip() for cell in table.rows[0].cells)
            for row in table.rows[1:]:  # only the header row repeats
                assert row._tr.find("w:trPr/w:tblHeader", NS) is None
    assert tables >= 5


def test_no_empty_paragraphs_used_as_spacing(built: Path) -> None:
    """An empty paragraph is allowed only as the whole body of a section (the space left under
    "Beslutning" for the secretariat to fill in) or as the only paragraph of an empty cell."""
    for path in word_files(built):
        document = docx.Document(path)
        body = document.paragraphs
        for index, paragraph in enumerate(body):
            if not is_empty(paragraph):
                continue
            before = body[index - 1] if index else None
            after = body[index + 1] if index + 1 < len(body) else None
            assert before is not None and heading_level(before) is not None, (path.name, index)
            assert after is None or heading_level(after) is not None, (path.name, index)
        for table in document.tables:
            for row in table.rows:
                for cell in row.cells:
                    if len(cell.paragraphs) > 1:
                        assert not any(is_empty(p) for p in cell.paragraphs), path.name


def test_every_picture_has_a_text_alternative(built: Path) -> None:
    for path in word_files(built):
        for member in members(path):
            if member.startswith("word/") and member.endswith(".xml"):
                root = xml(path, member)
                for picture in root.iterfind(".//wp:docPr", NS):
                    assert (picture.get("descr") or "").strip(), (path.name, member)
                assert not root.findall(".//v:imagedata", NS) or all(
                    (shape.get("alt") or "").strip() for shape in root.iterfind(".//v:shape", NS))


def test_a_templates_own_subject_and_custom_properties_are_kept(tmp_path: Path) -> None:
    """Case officers own the templates: the pipeline sets its properties and keeps theirs."""
    templates = shutil.copytree(TEMPLATES, tmp_path / "templates")
    template = templates / "droeftelse.docx"
    edited = docx.Document(template)
    edited.core_properties.subject = ""
    set_custom_properties(edited.part.package, {"Afdeling": "Sekretariatet", "Udvalg": "gammel"})
    edited.save(template)
    (tmp_path / "input").mkdir()
    shutil.copy(SAMPLE, tmp_path / "input")
    report = build(BuildOptions(plans=(tmp_path / "input" / SAMPLE.name,), output=tmp_path / "output",
                                templates=templates, jobs=1))
    assert report.exit_code == 0
    path = tmp_path / "output" / "droeftelser" / "2017-05-30_BSU_droeftelse.docx"
    assert docx.Document(path).core_properties.subject == "Implementeringsplan 2017"
    properties = custom_properties(path)
    assert properties["Afdeling"] == "Sekretariatet"
    assert properties["Udvalg"] == "Børne- og Skoleudvalget"
    assert next(iter(properties)) == "Afdeling"
