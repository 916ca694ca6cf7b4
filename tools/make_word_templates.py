"""Write templates/orienteringssag.docx and templates/droeftelse.docx, the two Word templates.

Once committed, the templates belong to the case officers: they edit the wording, styles,
header and footer in Word. This script only exists so a maintainer can recreate the originals
(it overwrites both files). Run: .venv/bin/python tools/make_word_templates.py

How the templates are built, so that a case officer can keep them working:
- Every `{{ … }}` and `{% … %}` tag sits in a single run; loops and conditions are whole
  paragraphs (`{%p … %}`) or table rows (`{%tr … %}`) that docxtpl removes when rendering.
- Real styles only: Overskrift 1/2 (Heading 1/2), Titel, Listenummer/Listeopstilling,
  and the table style "Statustabel" whose header row repeats on every page.
- Fixed Danish prose lives here, in the documents; the pipeline supplies data only.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Twips
from docx.styles.style import BaseStyle
from docx.table import Table
from docx.text.paragraph import Paragraph

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.core.files import deterministic_zip  # noqa: E402  (needs ROOT on the path

TEMPLATES = ROOT / "templates"

FONT = "Arial"
LANGUAGE = "da-DK"
ACCENT = "1F3A5F"      # headings, title, table rules: a dark municipal blue
MUTED = "595959"       # header, footer, meeting details
HEADER_FILL = "DCE3EC"  # table header row
RULE = "BFBFBF"        # lines between table rows

# A4 portrait with 2.5 cm margins leaves 16 cm (9070 twips) for text.
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = Twips(11906), Twips(16838), Twips(1418)
TEXT_WIDTH = 9070

# A fixed date for the templates' own metadata, so recreating them gives the same bytes.
TEMPLATE_DATE = datetime(2017, 1, 1, tzinfo=UTC)

VISION_PROSE = (
    "Kommunalbestyrelsen har vedtaget Vision 2029, der beskriver, hvordan det skal være at leve, "
    "bo og arbejde i Ballerup i 2029. Visionens hovedtema er »Ballerup – vi skaber fremtiden "
    "sammen«, og den har fire undertemaer:"
)
SUB_THEMES = ("Åben for nye idéer", "En stærk uddannelsesby", "En grøn by i balance",
              "En førende erhvervsby")


# --- Package, page and styles -------------------------------------------------------------------

def new_document(kind_label: str, title: str) -> DocxDocument:
    """Return an empty A4 document with Danish language, the house styles, header and footer."""
    document = Document()
    _clean_package(document)
    _set_theme_fonts(document)
    _set_settings(document)
    _set_styles(document)
    _set_page(document, kind_label)
    _set_company(document)
    properties = document.core_properties
    properties.title = title
    properties.subject = "Implementeringsplan for Vision 2029"
    properties.author = "Ballerup Kommune"
    properties.last_modified_by = "Ballerup Kommune"
    properties.comments = (f"Skabelon til {kind_label.lower()}er. Felter i dobbelte krøllede "
                           "parenteser udfyldes af pipeline; se README.")
    properties.keywords = ""
    properties.category = ""
    properties.language = LANGUAGE
    properties.revision = 1
    properties.created = TEMPLATE_DATE
    properties.modified = TEMPLATE_DATE
    return document


def _clean_package(document: DocxDocument) -> None:
    """Drop what python-docx's default template carries but a clean Word file does not need."""
    package_rels = document.part.package.rels
    for rId in [r for r, rel in package_rels.items() if rel.reltype.endswith("/thumbnail")]:
        del package_rels[rId]
    for rId in [r for r, rel in document.part.rels.items()
                if rel.reltype.endswith(("/customXml", "/stylesWithEffects"))]:
        document.part.drop_rel(rId)
    # The body of the default template is one empty paragraph; start from nothing.
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


def _set_company(document: DocxDocument) -> None:
    """Name the municipality as the company in the extended properties Word shows."""
    app = next(rel.target_part for rel in document.part.package.rels.values()
               if rel.reltype.endswith("/extended-properties"))
    app._blob = app.blob.replace(b"<Company/>", b"<Company>Ballerup Kommune</Company>")


def _set_theme_fonts(document: DocxDocument) -> None:
    """Make the theme's heading and body fonts Arial, so theme-based styles agree with ours."""
    theme = next(rel.target_part for rel in document.part.rels.values()
                 if rel.reltype.endswith("/theme"))
    xml = theme.blob.decode("utf-8")
    xml = re.sub(r'(<a:(?:major|minor)Font>\s*<a:latin typeface=")[^"]*"', rf'\1{FONT}"', xml)
    theme._blob = xml.encode("utf-8")


def _set_settings(document: DocxDocument) -> None:
    """Set Danish in the settings part (theme language, decimal comma, list separator), Word 2013+ mode."""
    settings = document.settings.element
    for old in settings.findall(qn("w:proofState")):
        settings.remove(old)  # "already proofread": let Word check the Danish text
    # The default template has these elements in their schema positions; change them in place.
    settings.find(qn("w:themeFontLang")).attrib.clear()
    settings.find(qn("w:themeFontLang")).set(qn("w:val"), LANGUAGE)
    settings.find(qn("w:decimalSymbol")).set(qn("w:val"), ",")
    settings.find(qn("w:listSeparator")).set(qn("w:val"), ";")
    for setting in settings.iter(qn("w:compatSetting")):
        if setting.get(qn("w:name")) == "compatibilityMode":
            setting.set(qn("w:val"), "15")  # not "Kompatibilitetstilstand" in current Word


def _set_styles(document: DocxDocument) -> None:
    """Define the document defaults and every style the templates use."""
    styles = document.styles
    root = styles.element
    # Theme font references would override the explicit font; the theme now says Arial anyway.
    for fonts in root.iter(qn("w:rFonts")):
        for attribute in list(fonts.attrib):
            if attribute.lower().endswith("theme"):
                del fonts.attrib[attribute]
    defaults = root.find(qn("w:docDefaults"))
    defaults.getparent().replace(defaults, parse_xml(
        f"<w:docDefaults {nsdecls('w')}>"
        "<w:rPrDefault><w:rPr>"
        f'<w:rFonts w:ascii="{FONT}" w:eastAsia="{FONT}" w:hAnsi="{FONT}" w:cs="{FONT}"/>'
        '<w:sz w:val="21"/><w:szCs w:val="21"/>'
        f'<w:lang w:val="{LANGUAGE}" w:eastAsia="en-US" w:bidi="ar-SA"/>'
        "</w:rPr></w:rPrDefault>"
        '<w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="264" w:lineRule="auto"/></w:pPr>'
        "</w:pPrDefault></w:docDefaults>"))

    _restyle(styles["Title"],
             '<w:keepNext/><w:spacing w:before="60" w:after="280" w:line="240" w:lineRule="auto"/>',
             f'<w:b/><w:bCs/><w:color w:val="{ACCENT}"/><w:sz w:val="36"/><w:szCs w:val="36"/>')
    _restyle(styles["Heading 1"],
             '<w:keepNext/><w:keepLines/><w:spacing w:before="320" w:after="80"/>'
             '<w:outlineLvl w:val="0"/>',
             f'<w:b/><w:bCs/><w:color w:val="{ACCENT}"/><w:sz w:val="26"/><w:szCs w:val="26"/>')
    _restyle(styles["Heading 2"],
             '<w:keepNext/><w:keepLines/><w:spacing w:before="200" w:after="60"/>'
             '<w:outlineLvl w:val="1"/>',
             '<w:b/><w:bCs/><w:sz w:val="22"/><w:szCs w:val="22"/>')
    for name in ("Header", "Footer"):
        _restyle(styles[name],
                 f'<w:tabs><w:tab w:val="center" w:pos="{TEXT_WIDTH // 2}"/>'
                 f'<w:tab w:val="right" w:pos="{TEXT_WIDTH}"/></w:tabs>'
                 '<w:spacing w:after="0" w:line="240" w:lineRule="auto"/>',
                 f'<w:color w:val="{MUTED}"/><w:sz w:val="17"/><w:szCs w:val="17"/>')
    for name, numbering in (("List Number", 5), ("List Bullet", 1)):
        _restyle(styles[name],
                 f'<w:numPr><w:numId w:val="{numbering}"/></w:numPr>'
                 '<w:spacing w:after="60"/><w:ind w:left="357" w:hanging="357"/>', "")

    _paragraph_style(document, "Udvalgsnavn", "Udvalgsnavn",
                     '<w:spacing w:after="0"/>',
                     f'<w:b/><w:bCs/><w:color w:val="{ACCENT}"/><w:sz w:val="28"/><w:szCs w:val="28"/>')
    _paragraph_style(document, "Moedeoplysning", "Mødeoplysning",
                     '<w:spacing w:after="0"/>', f'<w:color w:val="{MUTED}"/>')
    _paragraph_style(document, "Sagstype", "Sagstype",
                     '<w:keepNext/><w:spacing w:before="480" w:after="40"/>',
                     f'<w:caps/><w:color w:val="{MUTED}"/><w:spacing w:val="20"/>'
                     '<w:sz w:val="18"/><w:szCs w:val="18"/>')
    _paragraph_style(document, "Tabeltekst", "Tabeltekst",
                     '<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>',
                     '<w:sz w:val="19"/><w:szCs w:val="19"/>')
    _paragraph_style(document, "Tabeloverskrift", "Tabeloverskrift",
                     '<w:keepNext/><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>',
                     '<w:b/><w:bCs/><w:sz w:val="19"/><w:szCs w:val="19"/>', base="Tabeltekst")
    _table_style(document)


def _restyle(style: BaseStyle, paragraph: str, run: str) -> None:
    """Replace a built-in style's paragraph and run formatting with ours."""
    element = style.element
    for name in ("w:pPr", "w:rPr"):
        for old in element.findall(qn(name)):
            element.remove(old)
    element.append(parse_xml(f"<w:pPr {nsdecls('w')}>{paragraph}</w:pPr>"))
    element.append(parse_xml(f"<w:rPr {nsdecls('w')}>{run}</w:rPr>"))


def _paragraph_style(document: DocxDocument, style_id: str, name: str, paragraph: str, run: str,
                     base: str = "Normal") -> None:
    """Add a custom paragraph style with a Danish name and an ASCII id."""
    style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.style_id = style_id
    style.base_style = document.styles[base] if base == "Normal" else _by_id(document, base)
    style.quick_style = True
    _restyle(style, paragraph, run)


def _by_id(document: DocxDocument, style_id: str) -> BaseStyle:
    return next(s for s in document.styles if s.style_id == style_id)


def _table_style(document: DocxDocument) -> None:
    """Add "Statustabel": rules between rows, a shaded bold header row that repeats on each page."""
    document.styles.element.append(parse_xml(
        f'<w:style {nsdecls("w")} w:type="table" w:customStyle="1" w:styleId="Statustabel">'
        '<w:name w:val="Statustabel"/><w:basedOn w:val="TableNormal"/>'
        '<w:uiPriority w:val="59"/><w:qFormat/>'
        '<w:pPr><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
        '<w:rPr><w:sz w:val="19"/><w:szCs w:val="19"/></w:rPr>'
        '<w:tblPr><w:tblBorders>'
        f'<w:top w:val="single" w:sz="8" w:space="0" w:color="{ACCENT}"/>'
        f'<w:bottom w:val="single" w:sz="8" w:space="0" w:color="{ACCENT}"/>'
        f'<w:insideH w:val="single" w:sz="4" w:space="0" w:color="{RULE}"/>'
        '</w:tblBorders><w:tblCellMar>'
        '<w:top w:w="57" w:type="dxa"/><w:left w:w="85" w:type="dxa"/>'
        '<w:bottom w:w="57" w:type="dxa"/><w:right w:w="85" w:type="dxa"/>'
        '</w:tblCellMar></w:tblPr>'
        '<w:tblStylePr w:type="firstRow">'
        '<w:rPr><w:b/><w:bCs/></w:rPr>'
        '<w:tblPr/><w:trPr><w:tblHeader/></w:trPr>'
        f'<w:tcPr><w:tcBorders><w:bottom w:val="single" w:sz="8" w:space="0" w:color="{ACCENT}"/>'
        f'</w:tcBorders><w:shd w:val="clear" w:color="auto" w:fill="{HEADER_FILL}"/></w:tcPr>'
        '</w:tblStylePr></w:style>'))


def _set_page(document: DocxDocument, kind_label: str) -> None:
    """Set A4 portrait and write the header (Ballerup Kommune, committee) and footer (page X of Y)."""
    section = document.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.left_margin = section.right_margin = MARGIN
    section.top_margin = section.bottom_margin = MARGIN
    section.header_distance = section.footer_distance = Twips(709)

    header = section.header.paragraphs[0]
    header.style = document.styles["Header"]
    header.add_run("Ballerup Kommune").bold = True
    header.add_run("\t\t")
    header.add_run("{{ udvalg.navn }}")
    header.paragraph_format.space_after = Twips(0)
    _bottom_rule(header)

    footer = section.footer.paragraphs[0]
    footer.style = document.styles["Footer"]
    footer.add_run(f"{kind_label} · ")
    footer.add_run("{{ dato|dato }}")
    footer.add_run("\t\tSide ")
    _field(footer, "PAGE")
    footer.add_run(" af ")
    _field(footer, "NUMPAGES")


def _bottom_rule(paragraph: Paragraph) -> None:
    """Draw a thin line under a paragraph (the header's rule)."""
    properties = paragraph._p.get_or_add_pPr()
    properties.insert_element_before(
        parse_xml(f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="4" w:space="4" '
                  f'w:color="{RULE}"/></w:pBdr>'),
        "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:spacing", "w:ind", "w:jc", "w:rPr")


def _field(paragraph: Paragraph, instruction: str) -> None:
    """Append a Word field (PAGE, NUMPAGES) that Word and LibreOffice update when laying out."""
    def run(child) -> None:
        element = OxmlElement("w:r")
        element.append(child)
        paragraph._p.append(element)

    run(_element("w:fldChar", fldCharType="begin"))
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    run(code)
    run(_element("w:fldChar", fldCharType="separate"))
    text = OxmlElement("w:t")
    text.text = "1"
    run(text)
    run(_element("w:fldChar", fldCharType="end"))


def _element(tag: str, **attributes: str):
    """Return a new `w:` element with `w:`-prefixed attributes."""
    element = OxmlElement(tag)
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), value)
    return element


# --- Content ------------------------------------------------------------------------------------

def text(document: DocxDocument, content: str = "", style: str | None = None) -> Paragraph:
    """Add a paragraph whose text (tags included) is one run, so no tag is ever split."""
    paragraph = document.add_paragraph(style=style)
    if content:
        paragraph.add_run(content)
    return paragraph


def tag(document: DocxDocument, content: str) -> Paragraph:
    """Add a paragraph holding only a `{%p … %}` tag; docxtpl removes the whole paragraph."""
    return text(document, content)


def heading(document: DocxDocument, content: str, level: int = 1) -> Paragraph:
    """Add a heading in the built-in Heading 1/2 style (Overskrift 1/2 in Danish Word)."""
    return text(document, content, f"Heading {level}")


def bullets(document: DocxDocument, items: Iterable[str]) -> None:
    """Add fixed bullet points in the List Bullet style."""
    for item in items:
        text(document, item, "List Bullet")


Cell = Sequence[tuple[str, bool]]  # paragraphs of a cell: (text, bold)


def loop_table(document: DocxDocument, columns: Sequence[tuple[str, float]], loop: str,
               cells: Sequence[Cell]) -> Table:
    """Add a "Statustabel": header row, then one row per item of `loop` (a `for … in …`).

    The `{%tr %}` rows around the data row disappear when docxtpl renders the document.
    """
    table = document.add_table(rows=4, cols=len(columns))
    table.style = document.styles["Statustabel"]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    properties = table._tbl.tblPr
    for old in properties.findall(qn("w:tblLook")):
        properties.remove(old)
    # Header row formatting on, banding off (0x0020 | 0x0200 | 0x0400).
    properties.append(_element("w:tblLook", val="0620", firstRow="1", lastRow="0",
                               firstColumn="0", lastColumn="0", noHBand="1", noVBand="1"))
    width = properties.find(qn("w:tblW"))
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(sum(Cm(w).twips for _, w in columns)))
    for column, (_, width) in zip(table.columns, columns, strict=True):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)

    header, start, data, end = table.rows
    header._tr.get_or_add_trPr().append(_element("w:tblHeader"))
    data._tr.get_or_add_trPr().append(_element("w:cantSplit"))
    for cell, (title, _) in zip(header.cells, columns, strict=True):
        _cell_text(cell.paragraphs[0], title, "Tabeloverskrift")
    _cell_text(start.cells[0].paragraphs[0], f"{{%tr for {loop} %}}", "Tabeltekst")
    _cell_text(end.cells[0].paragraphs[0], "{%tr endfor %}", "Tabeltekst")
    for cell, paragraphs in zip(data.cells, cells, strict=True):
        for index, (content, bold) in enumerate(paragraphs):
            paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
            _cell_text(paragraph, content, "Tabeltekst").runs[0].bold = bold or None
    for row in (start, end):
        for cell in row.cells[1:]:
            cell.paragraphs[0].style = document.styles["Tabeltekst"]
    return table


def _cell_text(paragraph: Paragraph, content: str, style: str) -> Paragraph:
    paragraph.style = paragraph.part.document.styles[style]
    paragraph.add_run(content)
    return paragraph


def meeting_header(document: DocxDocument, date_line: str) -> None:
    """Add the block at the top: committee, meeting date and Sagsnr. (only when the plan has one)."""
    text(document, "{{ udvalg.navn }}", "Udvalgsnavn")
    text(document, date_line, "Mødeoplysning")
    tag(document, "{%p if sagsnr %}")
    text(document, "Sagsnr. {{ sagsnr }}", "Mødeoplysning")
    tag(document, "{%p endif %}")


def vision_background(document: DocxDocument) -> None:
    """Add the fixed Baggrund prose about Vision 2029."""
    heading(document, "Baggrund")
    text(document, VISION_PROSE)
    bullets(document, SUB_THEMES)
    text(document, "Implementeringsplanen for {{ aar }} beskriver, hvordan visionen gøres kendt og "
                   "omsættes til handling: i organisationen, i dialogen med borgerne og i det "
                   "politiske udvalgsarbejde.")


def attachments(document: DocxDocument) -> None:
    """Add the Bilag section: one line per bilag, or "Ingen." when there are none."""
    heading(document, "Bilag")
    tag(document, "{%p if bilag %}")
    tag(document, "{%p for b in bilag %}")
    text(document, "Bilag {{ b.nummer }}: {{ b.titel }}")
    tag(document, "{%p endfor %}")
    tag(document, "{%p else %}")
    text(document, "Ingen.")
    tag(document, "{%p endif %}")


ACTIVITY_COLUMNS = (("Dato", 2.9), ("Aktivitet", 8.6), ("Deltagerkreds", 4.5))
ACTIVITY_CELLS = (
    (("{{ r.dato }}", False),),
    (("{{ r.tema|afsnit }}", True), ("{{ r.aktivitet|afsnit }}", False)),
    (("{{ r.deltagerkreds|afsnit }}", False),),
)


def status_group(document: DocxDocument, title: str, variable: str, empty: str | None) -> None:
    """Add one status group (heading and table); with `empty` None the group is left out when empty."""
    if empty is None:
        tag(document, f"{{%p if {variable} %}}")
        heading(document, title, 2)
        loop_table(document, ACTIVITY_COLUMNS, f"r in {variable}", ACTIVITY_CELLS)
        tag(document, "{%p endif %}")
        return
    heading(document, title, 2)
    tag(document, f"{{%p if {variable} %}}")
    loop_table(document, ACTIVITY_COLUMNS, f"r in {variable}", ACTIVITY_CELLS)
    tag(document, "{%p else %}")
    text(document, empty)
    tag(document, "{%p endif %}")


def orientation() -> DocxDocument:
    """Return the orienteringssag template."""
    document = new_document("Orienteringssag", "Orienteringssag: status på implementeringsplanen")
    meeting_header(document, "Mødedato: {{ dato|langdato }}")
    text(document, "Orienteringssag", "Sagstype")
    text(document, "Status på implementeringsplanen for Vision 2029", "Title")

    heading(document, "Sammendrag")
    text(document, "{{ udvalg.navn }} orienteres om status på implementeringsplanen for "
                   "Vision 2029 pr. {{ dato|dato }}. Af planens {{ antal.i_alt }} øvrige aktiviteter "
                   "er {{ antal.aflyst }} aflyst, {{ antal.udskudt }} udskudt, "
                   "{{ antal.gennemfoert }} gennemført, {{ antal.igang }} i gang og "
                   "{{ antal.planlagt }} kommende.")

    vision_background(document)

    heading(document, "Sagsfremstilling")
    text(document, "Nedenfor gøres status på implementeringsplanen pr. {{ dato|dato }}: de "
                   "aktiviteter, der er gennemført, sat i gang, udskudt eller aflyst "
                   "{% if forrige %}siden orienteringen {{ forrige|langdato }}{% else %}siden "
                   "planens start{% endif %}, og de kommende aktiviteter{% if naeste %} frem til "
                   "næste orientering {{ naeste|langdato }}{% endif %}.{% if senere %} Yderligere "
                   "{{ senere }} senere aktiviteter kommer med i de næste orienteringer.{% endif %} "
                   "Hele planen er vedlagt som bilag 1.")
    status_group(document, "Gennemført", "gennemfoert",
                 "{% if forrige %}Ingen aktiviteter er gennemført siden sidste orientering."
                 "{% else %}Ingen aktiviteter er gennemført endnu.{% endif %}")
    status_group(document, "I gang", "igang",
                 "{% if forrige %}Ingen aktiviteter er sat i gang siden sidste orientering."
                 "{% else %}Ingen aktiviteter er i gang.{% endif %}")
    status_group(document, "Kommende", "kommende",
                 "{% if naeste %}Der er ingen kommende aktiviteter før næste orientering."
                 "{% else %}Der er ingen kommende aktiviteter i planen.{% endif %}")
    status_group(document, "Udskudt", "udskudt", None)
    status_group(document, "Aflyst", "aflyst", None)

    heading(document, "Økonomiske konsekvenser og finansiering")
    text(document, "Orienteringen har ingen økonomiske konsekvenser.")
    attachments(document)
    heading(document, "Beslutningen træffes af")
    text(document, "{{ udvalg.navn }}")
    heading(document, "Indstilling")
    text(document, "Administrationen indstiller, at orienteringen tages til efterretning.")
    heading(document, "Beslutning")
    text(document)
    return document


def discussion() -> DocxDocument:
    """Return the drøftelsessag template."""
    document = new_document("Drøftelsessag", "Drøftelsessag: implementeringsplanen for Vision 2029")
    meeting_header(document, "Mødedato: {{ dato|langdato }} ({{ dato|uge }})")
    text(document, "Drøftelsessag", "Sagstype")
    text(document, "{{ tema }}", "Title")

    heading(document, "Sammendrag")
    text(document, "Som led i implementeringsplanen for Vision 2029 forelægges sagen for "
                   "{{ udvalg.navn }} til drøftelse. Sagen er forelagt til drøftelse og binder "
                   "ikke udvalget.")

    vision_background(document)

    heading(document, "Sagsfremstilling")
    tag(document, "{%p if indledning %}")
    text(document, "{{ indledning|afsnit }}")
    tag(document, "{%p endif %}")

    tag(document, "{%p if indsatser %}")
    heading(document, "Udvalgte indsatser", 2)
    text(document, "Chefgruppen har udvalgt disse eksisterende og kommende/planlagte indsatser, "
                   "der kan illustrere en udmøntning af Vision 2029:")
    loop_table(document, (("Indsats", 4.5), ("Type", 2.6), ("Beskrivelse", 8.9)), "i in indsatser",
               ((("{{ i.navn|afsnit }}", True),), (("{{ i.type }}", False),),
                (("{{ i.beskrivelse|afsnit }}", False),)))
    tag(document, "{%p endif %}")

    tag(document, "{%p if spoergsmaal %}")
    heading(document, "Spørgsmål til drøftelse", 2)
    tag(document, "{%p for q in spoergsmaal %}")
    text(document, "{{ q }}", "List Number")
    tag(document, "{%p endfor %}")
    tag(document, "{%p endif %}")

    tag(document, "{%p if andre_udvalg %}")
    heading(document, "Andre udvalg, der drøfter sagen", 2)
    tag(document, "{%p for a in andre_udvalg %}")
    text(document, "{{ a.udvalg.navn }}, {{ a.dato|langdato }}", "List Bullet")
    tag(document, "{%p endfor %}")
    tag(document, "{%p endif %}")

    heading(document, "Økonomiske konsekvenser og finansiering")
    text(document, "Sagen har ingen økonomiske konsekvenser.")
    attachments(document)
    heading(document, "Beslutningen træffes af")
    text(document, "{{ udvalg.navn }}")
    heading(document, "Indstilling")
    tag(document, "{%p if spoergsmaal %}")
    text(document, "Administrationen indstiller, at udvalget drøfter »{{ tema|linje }}« med "
                   "udgangspunkt i spørgsmålene i sagsfremstillingen.")
    tag(document, "{%p else %}")
    text(document, "Administrationen indstiller, at udvalget drøfter »{{ tema|linje }}«.")
    tag(document, "{%p endif %}")
    heading(document, "Beslutning")
    text(document)
    heading(document, "Udvalgets bemærkninger")
    text(document)
    return document


def save(document: DocxDocument, target: Path) -> None:
    """Write `document` to `target` with fixed zip timestamps."""
    import io

    buffer = io.BytesIO()
    document.save(buffer)
    target.write_bytes(deterministic_zip(buffer.getvalue()))


def main() -> None:
    TEMPLATES.mkdir(exist_ok=True)
    save(orientation(), TEMPLATES / "orienteringssag.docx")
    save(discussion(), TEMPLATES / "droeftelse.docx")


if __name__ == "__main__":
    main()
