"""Block tags that do not match Word's paragraphs and rows: found by the checker, never rendered cut off.

The templates are edited the way Word stores a case officer's typing (python-docx runs), then
checked, built and rendered for real; the rendered documents are read back.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

from pipeline.cli.app import cli
from pipeline.core.errors import TemplateError
from pipeline.documents import kinds
from pipeline.documents.kinds import MEETING_KINDS as WORD_KINDS
from pipeline.render.dispatch import render
from pipeline.render.lint.check import check_templates
from pipeline.render.lint.source import docx_sources, heading_styles
from pipeline.render.word import fixed_headings, invalid_parts, missing_from

from conftest import SAMPLE, TEMPLATES
from word_edits import DISCUSSION, ORIENTATION, copy_templates, find, retype

# (template, paragraph text, typed instead, which occurrence, the message)
SLIPS = {
    "endif": (ORIENTATION, "{%p endif %}", "{% endif %}", 1,
              'orienteringssag.docx, under overskriften "Gennemført", afsnit 23: "{% endif %}" er et almindeligt '
              'tag ({% … %}), men hører sammen med "{%p if gennemfoert %}" (afsnit 20), som er et afsnits-tag '
              '({%p … %}); så bliver dokumentet skåret over eller ødelagt; skriv "{%p endif %}" i stedet'),
    "endfor": (DISCUSSION, "{%p endfor %}", "{% endfor %}", 0,
               'droeftelse.docx, under overskriften "Spørgsmål til drøftelse", afsnit 29: "{% endfor %}" er et '
               'almindeligt tag ({% … %}), men hører sammen med "{%p for q in spoergsmaal %}" (afsnit 27), som er '
               'et afsnits-tag ({%p … %}); så bliver dokumentet skåret over eller ødelagt; skriv "{%p endfor %}" '
               "i stedet"),
    "row endfor": (ORIENTATION, "{%tr endfor %}", "{% endfor %}", 0,
                   'orienteringssag.docx, under overskriften "Gennemført", tabel 1, række 4: "{% endfor %}" er et '
                   'almindeligt tag ({% … %}), men hører sammen med "{%tr for r in gennemfoert %}" (tabel 1, '
                   'række 2), som er et tabelrække-tag ({%tr … %}); så bliver dokumentet skåret over eller '
                   'ødelagt; skriv "{%tr endfor %}" i stedet'),
}


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    return copy_templates(tmp_path / "templates")


@pytest.mark.parametrize("slip", SLIPS)
def test_a_plain_closing_tag_for_a_paragraph_or_row_tag_is_found(templates, slip):
    template, old, new, nth, message = SLIPS[slip]
    retype(templates / template, old, new, nth)
    assert check_templates(templates) == [message]


@pytest.mark.parametrize("slip", SLIPS)
def test_check_templates_exits_2_naming_the_template_and_the_place(templates, slip):
    template, old, new, nth, message = SLIPS[slip]
    retype(templates / template, old, new, nth)
    result = CliRunner().invoke(cli, ["check-templates", "-t", str(templates)])
    assert result.exit_code == 2
    assert f"Fejl: 1 problem(er) i skabelonerne i {templates}:\n{message}\n" == result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("slip", SLIPS)
def test_build_stops_before_writing_anything(templates, tmp_path, monkeypatch, slip):
    template, old, new, nth, message = SLIPS[slip]
    retype(templates / template, old, new, nth)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["build", str(SAMPLE), "-o", "output", "-t", str(templates), "--jobs", "1"])
    assert result.exit_code == 2
    assert message in result.output
    assert not list((tmp_path / "output").rglob("*.docx")) and not list((tmp_path / "output").rglob("*.pdf"))


@pytest.mark.parametrize("slip", SLIPS)
def test_rendering_past_the_checker_never_gives_a_cut_off_document(templates, sample_documents, slip):
    """The second net: each document either fails in Danish or has all of its template's frame."""
    template, old, new, nth, _ = SLIPS[slip]
    retype(templates / template, old, new, nth)
    documents = [d for d in sample_documents.values() if d.kind in WORD_KINDS and kinds.of(d.kind).template == template]
    failures = 0
    for document in documents:
        try:
            data = render(document, templates)
        except TemplateError as error:
            failures += 1
            assert str(error).startswith(f"{template}: det udfyldte dokument ville være ødelagt (hovedteksten er "
                                         "ikke gyldig XML) og er derfor ikke skrevet.")
            assert "»pipeline check-templates«" in str(error)
            continue
        assert_whole(data, TEMPLATES / template)
    assert failures >= 1  # the sample plan has data that cuts each of these off


def assert_whole(data: bytes, template: Path) -> None:
    """Assert that a rendered .docx has its template's fixed headings, header, footer and sections."""
    document = docx.Document(io.BytesIO(data))
    with zipfile.ZipFile(template) as package:
        body = etree.fromstring(package.read("word/document.xml")).find(qn("w:body"))
        headings = fixed_headings(body, heading_styles(package))
    texts = [p.text for p in document.paragraphs]
    assert [t for t in texts if t in headings] == headings
    section = document.sections[0]
    assert section.header.paragraphs[0].text.startswith("Ballerup Kommune")
    assert section.footer.paragraphs[0].text.split(" · ")[0] in ("Orienteringssag", "Drøftelsessag")


def test_the_shipped_templates_render_whole(sample_documents):
    for document in sample_documents.values():
        if document.kind in WORD_KINDS:
            assert_whole(render(document, TEMPLATES), TEMPLATES / kinds.of(document.kind).template)


def test_the_fixed_headings_are_those_outside_every_block():
    with zipfile.ZipFile(TEMPLATES / ORIENTATION) as package:
        body = etree.fromstring(package.read("word/document.xml")).find(qn("w:body"))
        headings = fixed_headings(body, heading_styles(package))
    # "Udskudt" and "Aflyst" stand inside {%p if … %}: a document may lack them.
    assert headings == ["Sammendrag", "Baggrund", "Sagsfremstilling", "Gennemført", "I gang", "Kommende",
                        "Økonomiske konsekvenser og finansiering", "Bilag", "Beslutningen træffes af",
                        "Indstilling", "Beslutning"]


def test_a_comment_tag_over_several_paragraphs_is_found_and_its_lost_heading_stops_the_document(
        templates, sample_documents):
    """`{# … #}` over paragraphs gives well-formed XML without a heading: only the comparison sees it."""
    document = docx.Document(str(templates / ORIENTATION))
    summary = next(p for p in document.paragraphs if p.text.endswith("kommende."))
    summary.runs[0].text += " {# gammel tekst:"
    background = next(p for p in document.paragraphs if p.text.startswith("Kommunalbestyrelsen har vedtaget"))
    background.runs[0].text = "slut #}" + background.runs[0].text
    document.save(str(templates / ORIENTATION))
    assert check_templates(templates) == [
        'orienteringssag.docx, under overskriften "Sammendrag", afsnit 9: tagget, der begynder med "{#" i '
        '"… antal.planlagt }} kommende. {# gammel tekst:", slutter ikke i samme afsnit; skriv hele tagget '
        'færdigt (med "#}") i samme afsnit']
    with pytest.raises(TemplateError, match=r'^orienteringssag\.docx: det udfyldte dokument ville mangle '
                                            r'overskriften "Baggrund" og er derfor ikke skrevet\.'):
        render(sample_documents["orienteringssager/2017-06-19_KMB_orienteringssag.docx"], templates)


def test_missing_header_footer_and_section_properties_are_named(sample_documents):
    """Rendered for real, then stripped of its section properties: the comparison names what is gone."""
    template = TEMPLATES / DISCUSSION
    rendered = docx.Document(io.BytesIO(render(sample_documents["droeftelser/2017-05-30_BSU_droeftelse.docx"],
                                               TEMPLATES)))
    assert missing_from(template, rendered) == []
    body = rendered.element.body
    body.remove(body.find(qn("w:sectPr")))
    assert missing_from(template, rendered) == ["sidehovedet", "sidefoden",
                                                "sektionsindstillingerne (papirformat og margener)"]


def test_identical_openers_are_told_apart_by_their_place(templates):
    # droeftelse.docx opens "{%p if spoergsmaal %}" twice: in the questions and in Indstilling.
    retype(templates / DISCUSSION, "{%p endif %}", "", nth=6)
    assert check_templates(templates) == [
        'droeftelse.docx, under overskriften "Indstilling", afsnit 50: "{%p if spoergsmaal %}" afsluttes aldrig; '
        'tilføj "{%p endif %}" i et afsnit for sig dér, hvor blokken skal slutte']
    copy_templates(templates)
    retype(templates / DISCUSSION, "{%p endif %}", "", nth=3)
    (message,) = check_templates(templates)
    assert message.startswith('droeftelse.docx, under overskriften "Udvalgte indsatser", afsnit 25: '
                              '"{%p if spoergsmaal %}" afsluttes aldrig')


def test_a_closing_tag_of_the_wrong_kind_says_which_block_it_should_close(templates):
    retype(templates / DISCUSSION, "{%p endif %}", "{%p endfor %}", nth=3)
    assert check_templates(templates) == [
        'droeftelse.docx, under overskriften "Spørgsmål til drøftelse", afsnit 30: "{%p endfor %}" står der, '
        'hvor "{%p if spoergsmaal %}" (afsnit 25) skulle afsluttes; skriv "{%p endif %}" i stedet']


def test_a_closing_tag_without_a_block(templates):
    retype(templates / ORIENTATION, "Orienteringen har ingen økonomiske konsekvenser.", "{%p endif %}")
    assert check_templates(templates) == [
        'orienteringssag.docx, under overskriften "Økonomiske konsekvenser og finansiering", afsnit 41: '
        '"{%p endif %}" afslutter ingen blok (der er ikke noget åbent "{% if … %}" før det); slet det, eller '
        'tilføj det manglende "{%p if … %}" før det']


def test_plain_tags_over_several_paragraphs_must_be_paragraph_tags(templates):
    retype(templates / ORIENTATION, "{%p if sagsnr %}", "{% if sagsnr %}")
    retype(templates / ORIENTATION, "{%p endif %}", "{% endif %}")
    assert check_templates(templates) == [
        'orienteringssag.docx, afsnit 3: "{% if sagsnr %}" begynder i afsnit 3, men "{% endif %}" står i afsnit 5; '
        'et tag, der går over flere afsnit, skal være et afsnits-tag: skriv "{%p if sagsnr %}" og '
        '"{%p endif %}", hvert i sit eget afsnit']


def test_a_row_tag_beside_a_paragraph_tag_in_one_table(templates):
    retype(templates / ORIENTATION, "{%tr for r in gennemfoert %}", "{%p for r in gennemfoert %}")
    (message,) = check_templates(templates)
    assert message.startswith('orienteringssag.docx, under overskriften "Gennemført", tabel 1, række 2: '
                              '"{%p for r in gennemfoert %}" er et afsnits-tag ({%p … %}), men hører sammen med '
                              '"{%tr endfor %}" (tabel 1, række 4)')
    assert message.endswith('skriv "{%tr for r in gennemfoert %}" i stedet')


def test_paragraph_tags_must_begin_and_end_in_the_same_place(templates):
    # {%p if %} before the table, {%p endif %} inside one of its cells
    retype(templates / ORIENTATION, "{%p endif %}", "", nth=1)
    document = docx.Document(str(templates / ORIENTATION))
    table = document.tables[0]
    table.rows[0].cells[2].paragraphs[0].runs[0].text = "{%p endif %}"
    document.save(str(templates / ORIENTATION))
    stray_else, message = check_templates(templates)  # the {%p else %} after the table now has no block
    assert stray_else.startswith('orienteringssag.docx, under overskriften "Gennemført", afsnit 21: "{%p else %}" '
                                 "står uden for en blok")
    assert message == ('orienteringssag.docx, under overskriften "Gennemført", afsnit 20: "{%p if gennemfoert %}" '
                       'og "{%p endif %}" (tabel 1, række 1, kolonne 3) står ikke samme sted (begge uden for '
                       "tabeller eller begge i samme tabelcelle), så dokumentet ville blive ødelagt; flyt tagsene, "
                       "så blokken begynder og slutter samme sted")


def test_text_beside_a_paragraph_tag_would_be_lost(templates):
    retype(templates / ORIENTATION, "{%p if sagsnr %}", "Sagsnummer: {%p if sagsnr %}")
    assert check_templates(templates) == [
        'orienteringssag.docx, afsnit 3: afsnittet med "{%p if sagsnr %}" bliver fjernet, når dokumentet laves, så '
        '"Sagsnummer:" forsvinder; giv tagget et afsnit for sig, fx ved at trykke Enter før og efter det']


def test_text_beside_a_row_tag_would_be_lost(templates):
    document = docx.Document(str(templates / ORIENTATION))
    document.tables[0].rows[1].cells[1].paragraphs[0].add_run("Se også bilag")
    document.save(str(templates / ORIENTATION))
    (message,) = check_templates(templates)
    assert message == ('orienteringssag.docx, under overskriften "Gennemført", tabel 1, række 2: tabelrækken med '
                       '"{%tr for r in gennemfoert %}" bliver fjernet, når dokumentet laves, så "Se også bilag" '
                       "forsvinder; lad tabelrækken kun indeholde tagget")


def test_the_xml_check_finds_a_block_the_rules_allow(templates, sample_documents):
    """Plain tags in one paragraph, but one inside a hyperlink: the rules pass it, the XML does not."""
    document = docx.Document(str(templates / ORIENTATION))
    paragraph = find(document, "Administrationen indstiller, at orienteringen tages til efterretning.")
    paragraph.runs[0].text += "{% endif %}"
    link = OxmlElement("w:hyperlink")
    link.set(qn("w:anchor"), "top")
    run, text = OxmlElement("w:r"), OxmlElement("w:t")
    text.text = "{% if sagsnr %}"
    run.append(text)
    link.append(run)
    paragraph.runs[0]._r.addprevious(link)
    document.save(str(templates / ORIENTATION))
    assert check_templates(templates) == [
        'orienteringssag.docx, under overskriften "Indstilling", afsnit 53: blokken fra "{% if sagsnr %}" til '
        '"{% endif %}" (samme afsnit) passer ikke med Words afsnit og tabeller, så dokumentet ville blive ødelagt; '
        "lad tagsene stå hvert i sit eget afsnit ({%p … %}) eller sin egen tabelrække ({%tr … %}), samme sted i "
        "dokumentet og uden for links og indholdskontrolelementer"]
    with pytest.raises(TemplateError, match="ville være ødelagt"):
        render(sample_documents["orienteringssager/2017-06-19_KMB_orienteringssag.docx"], templates)


def test_the_checker_reads_the_text_docxtpl_renders():
    """The adapter's shape: docxtpl 0.20 removes prefixed tags' elements, and each part is read."""
    for name in (ORIENTATION, DISCUSSION):
        body, *others = docx_sources(TEMPLATES / name)
        assert (body.part, [s.part for s in others]) == ("", ["sidehoved", "sidefod"])
        prefixed = [tag for tag in body.tags if tag.prefix]
        assert prefixed and all(tag.prefix in ("p", "tr") for tag in prefixed)
        assert not any(marker in body.jinja for marker in ("{%p ", "{%tr ", "{%tc ", "{%r "))
        for tag in prefixed:
            assert tag.inner in body.jinja


@pytest.mark.parametrize(("typed", "message"), [
    ("{% endfor %}", 'afsnit 28: "{% endfor %}" står for meget: "{%p for q in spoergsmaal %}" (afsnit 27) afsluttes '
                     "længere nede; slet det"),
    ("{%p endif %}", 'afsnit 28: "{%p endif %}" står for meget eller et forkert sted: "{%p for q in spoergsmaal %}" '
                     '(afsnit 27) er ikke afsluttet endnu; slet det, eller flyt det ned efter "{%p endfor %}"'),
    ("{% if aar %}{% endfor %}", 'afsnit 28: "{% endfor %}" står der, hvor "{% if aar %}" (samme afsnit) skulle '
                                 'afsluttes; skriv "{% endif %}" i stedet'),
    ("{% raw %}abc", 'afsnit 28: "{% raw %}" afsluttes aldrig, så resten af skabelonen bliver vist som tekst; tilføj '
                     '"{% endraw %}" dér, hvor teksten skal slutte'),
])
def test_one_slip_gives_one_message_not_one_per_block_after_it(templates, typed, message):
    retype(templates / DISCUSSION, "{{ q }}", typed)
    assert check_templates(templates) == [
        f'droeftelse.docx, under overskriften "Spørgsmål til drøftelse", {message}']


def test_a_slip_in_the_page_header_is_found_and_never_rendered(templates, sample_documents):
    document = docx.Document(str(templates / DISCUSSION))
    header = document.sections[0].header
    for text in ("{%p if sagsnr %}", "Sagsnr. {{ sagsnr }}", "{% endif %}"):
        header.add_paragraph(text)
    document.save(str(templates / DISCUSSION))
    assert check_templates(templates) == [
        'droeftelse.docx, sidehoved, afsnit 4: "{% endif %}" er et almindeligt tag ({% … %}), men hører sammen med '
        '"{%p if sagsnr %}" (afsnit 2), som er et afsnits-tag ({%p … %}); så bliver dokumentet skåret over eller '
        'ødelagt; skriv "{%p endif %}" i stedet']
    with pytest.raises(TemplateError, match=r"^droeftelse\.docx: det udfyldte dokument ville være ødelagt "
                                            r"\(sidehovedet er ikke gyldig XML\)"):
        render(sample_documents["droeftelser/2017-05-30_BSU_droeftelse.docx"], templates)


def test_a_part_of_the_package_that_does_not_parse_strictly_is_named(sample_documents):
    data = render(sample_documents["droeftelser/2017-05-30_BSU_droeftelse.docx"], TEMPLATES)
    assert invalid_parts(data) == []
    cut = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as package, zipfile.ZipFile(cut, "w") as copy:
        for name in package.namelist():
            part = package.read(name)
            copy.writestr(name, part[: len(part) // 2] if name == "word/footer1.xml" else part)
    assert invalid_parts(cut.getvalue()) == ["word/footer1.xml"]
