"""Render the Word documents (orienteringssag, drøftelsessag) from their docxtpl templates.

docxtpl fills the template with the one strict, autoescaping environment from
`pipeline.render.templating`, so spreadsheet text is always text. The document's metadata is set from
the data, never the clock, and the zip is written with fixed timestamps, so the same inputs give
the same bytes.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from docx.opc.exceptions import PackageNotFoundError
from jinja2.exceptions import TemplateError as JinjaError
from lxml import etree
from lxml.etree import XMLSyntaxError

from pipeline.core import danish
from pipeline.core.errors import TemplateError
from pipeline.core.model import Document, DocumentKind
from pipeline.core.text import cut
from pipeline.core.zipped import FixedTimeZip
from pipeline.documents import kinds
from pipeline.render.templating import word_environment

LANGUAGE = "da-DK"
LAST_MODIFIED_BY = "pipeline"
# Core properties are XML text (no control characters) of at most 255 characters.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TITLE_LIMIT = 255
# Custom document properties (docProps/custom.xml), as Word writes them.
_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_CUSTOM_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"


def render_docx(document: Document, context: dict[str, Any], template: Path) -> bytes:
    """Return the .docx for `document`: `template` filled with `context`, metadata from the data."""
    if not template.is_file():
        raise TemplateError(f"{template.name}: skabelonen findes ikke i {template.parent}")
    filled = _checked_template_class()(template)
    try:
        filled.init_docx()  # open it now, so a damaged file is told apart from a template error
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, XMLSyntaxError):
        raise TemplateError(f"{template.name}: er ikke et gyldigt Word-dokument (.docx); "
                            "åbn den i Word og gem den igen") from None
    try:
        filled.render(context, jinja_env=word_environment(), autoescape=True)
    except JinjaError as error:
        raise TemplateError(_failure(template, error)) from error
    except _BrokenPart as error:
        raise TemplateError(_incomplete(template, [f"{_PART_NAMES.get(error.kind, error.kind)} er ikke gyldig XML"],
                                        broken=True)) from None
    if missing := missing_from(template, filled.docx):
        raise TemplateError(_incomplete(template, missing))
    _set_properties(filled.docx.core_properties, document, context)
    set_custom_properties(filled.docx.part.package, custom_properties(document, context))
    data = package_bytes(filled.docx.part.package)
    if broken := invalid_parts(data):
        raise TemplateError(_incomplete(template, [f"{name} er ikke gyldig XML" for name in broken], broken=True))
    return data


# --- The second net: a rendered document must be as whole as its template ------------------------
#
# docxtpl parses each rendered part leniently (lxml's `recover`), so a template whose tags do not
# match Word's paragraphs (`{% endif %}` where `{%p endif %}` belongs) silently gives a document cut
# off after a few paragraphs. `pipeline check-templates` finds such templates; this is the net
# behind it: each rendered part must parse strictly, and the template's fixed headings, its
# section properties and its page headers and footers must all be in the result.

class _BrokenPart(Exception):
    """A part docxtpl rendered is not well-formed XML; `kind` is `document`, `header1` …"""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


_PART_NAMES = {"document": "hovedteksten", "header": "sidehovedet", "footer": "sidefoden",
               "footnotes": "fodnoterne"}
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


@functools.cache
def _checked_template_class() -> type:
    """Return docxtpl's DocxTemplate, with each rendered part parsed strictly before docxtpl does.

    `render_xml_part` is docxtpl's step that returns one part's rendered XML as text (0.20:
    body, headers, footers, footnotes); its lenient parse comes after.
    """
    from docxtpl import DocxTemplate

    class CheckedTemplate(DocxTemplate):
        def render_xml_part(self, src_xml: str, part: Any, context: dict[str, Any], jinja_env: Any = None) -> str:
            xml = super().render_xml_part(src_xml, part, context, jinja_env)
            try:
                etree.fromstring(_XML_DECLARATION.sub("", xml, count=1).encode("utf-8"))
            except XMLSyntaxError:
                raise _BrokenPart(re.sub(r"\d+$", "", PurePosixPath(str(part.partname)).stem)) from None
            return xml

    return CheckedTemplate


def missing_from(template: Path, rendered: Any) -> list[str]:
    """Return what of the template's fixed frame a rendered python-docx document lacks, in Danish.

    The frame: headings outside every block and without tags, the body's section properties,
    and the page headers and footers it refers to.
    """
    stat = template.stat()
    headings, pages, sections = _frame(str(template), stat.st_mtime_ns, stat.st_size)
    missing = []
    texts, position = [_text(p) for p in rendered.element.body.iter(f"{_W}p")], 0
    for heading in headings:  # each in the template's order
        if heading in texts[position:]:
            position = texts.index(heading, position) + 1
        else:
            missing.append(f'overskriften "{heading}"')
    result = rendered.element.body.find(f"{_W}sectPr")
    present = _page_parts(result) if result is not None else set()
    related = {rel.reltype.rsplit("/", 1)[-1] for rel in rendered.part.rels.values()}
    for kind, name in (("header", "sidehovedet"), ("footer", "sidefoden")):
        if any(k == kind for k, _ in pages - present) or (any(k == kind for k, _ in pages) and kind not in related):
            missing.append(name)
    if sections and result is None:
        missing.append("sektionsindstillingerne (papirformat og margener)")
    return missing


@functools.lru_cache(maxsize=8)
def _frame(template: str, _mtime: int, _size: int) -> tuple[list[str], set[tuple[str, str]], bool]:
    """Return a template's fixed headings, the headers and footers its body's section refers to,
    and whether the body has section properties (cached per file version)."""
    from pipeline.render.lint.source import heading_styles

    with zipfile.ZipFile(template) as package:
        body = etree.fromstring(package.read("word/document.xml")).find(f"{_W}body")
        styles = heading_styles(package)
    section = body.find(f"{_W}sectPr")
    return fixed_headings(body, styles), _page_parts(section) if section is not None else set(), section is not None


def fixed_headings(body: Any, headings: set[str]) -> list[str]:
    """Return the texts of the headings every document from this template has, in order.

    A heading counts when it has no tags and stands outside every block (`{%p if … %}` …).
    """
    from pipeline.render.lint.model import TAG, closes_block, opens_block
    from pipeline.render.lint.source import is_heading

    fixed, depth = [], 0
    for paragraph in body.iter(f"{_W}p"):
        text = _text(paragraph)
        tags = TAG.findall(text)
        if not tags and depth == 0 and is_heading(paragraph, headings) and text.strip():
            fixed.append(text)
        for tag in tags:
            keyword = (_BLOCK_KEYWORD.match(tag) or [None, ""])[1]
            if opens_block(keyword, tag):
                depth += 1
            elif closes_block(keyword):
                depth = max(0, depth - 1)
    return fixed


def invalid_parts(data: bytes) -> list[str]:
    """Return the names of the parts of a .docx that docxtpl fills and that do not parse strictly.

    The others (styles, numbering, theme …) are python-docx's serialisations of the template's
    parts as it parsed them, so they cannot become malformed.
    """
    from pipeline.render.lint.source import RENDERED_PARTS

    broken = []
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            if RENDERED_PARTS.fullmatch(name) or name in ("docProps/core.xml", "word/_rels/document.xml.rels"):
                try:
                    etree.fromstring(package.read(name))
                except XMLSyntaxError:
                    broken.append(name)
    return broken


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_BLOCK_KEYWORD = re.compile(r"\{%(?:tr|tc|p|r)?[-+]?\s*(\w*)")


def _text(paragraph: Any) -> str:
    """Return a `w:p` element's text, its own runs only."""
    if paragraph.find(f".//{_W}p") is None:  # no paragraph inside (a text box): every w:t is its own
        return "".join(t.text or "" for t in paragraph.iter(f"{_W}t"))
    return "".join(t.text or "" for t in paragraph.iter(f"{_W}t")
                   if next(t.iterancestors(f"{_W}p")) is paragraph)


def _page_parts(section: Any) -> set[tuple[str, str]]:
    """Return the (header/footer, type) pairs a `w:sectPr` refers to."""
    return {(reference.tag.removeprefix(_W).removesuffix("Reference"), reference.get(f"{_W}type", "default"))
            for reference in section if reference.tag in (f"{_W}headerReference", f"{_W}footerReference")}


def _incomplete(template: Path, missing: list[str], broken: bool = False) -> str:
    """Return the Danish message for a rendered document that is not as whole as its template."""
    what = ", ".join(missing[:-1]) + f" og {missing[-1]}" if len(missing) > 1 else missing[0]
    state = f"ville være ødelagt ({what})" if broken else f"ville mangle {what}"
    return (f"{template.name}: det udfyldte dokument {state} og er derfor ikke skrevet. Det "
            'skyldes næsten altid et tag, der ikke passer med et andet, fx "{% endif %}", hvor der skal stå '
            '"{%p endif %}"; kør »pipeline check-templates«, som viser hvor')


def package_bytes(package: Any) -> bytes:
    """Return a python-docx package as .docx bytes, the same bytes for the same content.

    python-docx stamps each zip member with the current time; this writes the same members in
    the same order through a zip writer with a fixed timestamp, so there is no second pass.
    (docxtpl's own `save` adds only picture and media replacement, which we do not use.)
    """
    from docx.opc.pkgwriter import PackageWriter

    buffer = io.BytesIO()
    for part in package.parts:
        part.before_marshal()
    with FixedTimeZip(buffer) as writer:
        PackageWriter._write_content_types_stream(writer, package.parts)
        PackageWriter._write_pkg_rels(writer, package.rels)
        PackageWriter._write_parts(writer, package.parts)
    return buffer.getvalue()


def _failure(template: Path, error: JinjaError) -> str:
    """Return a Danish message for a template that cannot be filled, with the text near the fault."""
    from pipeline.render.messages import describe_error

    message = f"{template.name}: skabelonen kan ikke udfyldes: {describe_error(error)}"
    nearby = " ".join(" ".join(getattr(error, "docx_context", None) or ()).split())
    if nearby:
        message = f'{message} (nær "{nearby[:120]}")'
    return f"{message}; kør »pipeline check-templates« for at se alle fejl i skabelonerne"


def _set_properties(properties: Any, document: Document, context: dict[str, Any]) -> None:
    """Set the metadata Word shows from the document's data (meeting date, title, subject, language)."""
    day = document.date or date(document.year, 1, 1)
    moment = datetime(day.year, day.month, day.day)  # python-docx writes naive times as UTC
    properties.created = moment
    properties.modified = moment
    properties.revision = 1
    properties.last_modified_by = LAST_MODIFIED_BY
    properties.language = LANGUAGE
    properties.title = title(document, context)
    # The template's subject is the case officers' to word; without one, the plan names it.
    subject = _CONTROL.sub("", properties.subject or "").strip()
    properties.subject = subject or f"Implementeringsplan {document.year}"
    properties.comments = ""  # the template's note to case officers is not part of a document


def custom_properties(document: Document, context: dict[str, Any]) -> dict[str, str | date]:
    """Return the custom properties a case system reads: case number, committee, meeting date
    and document type (the case number is empty when the plan has none)."""
    values: dict[str, str | date | None] = {
        "Sagsnr.": str(context.get("sagsnr", "")),
        "Udvalg": document.committee.name if document.committee else "",
        "Udvalgsforkortelse": document.committee.abbreviation if document.committee else "",
        "Mødedato": document.date,
        "Dokumenttype": kinds.of(document.kind).label,
    }
    return {name: value for name, value in values.items() if value is not None}


def set_custom_properties(package: Any, values: dict[str, str | date]) -> None:
    """Write `values` into the package's custom properties (docProps/custom.xml), keeping any
    other property the template has; the part is created when the template has none."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from lxml import etree

    existing = next((rel.target_part for rel in package.rels.values()
                     if rel.reltype == RELATIONSHIP_TYPE.CUSTOM_PROPERTIES), None)
    kept = []
    if existing is not None:
        try:
            kept = [element for element in etree.fromstring(existing.blob)
                    if element.get("name") not in values]
        except etree.XMLSyntaxError:
            kept = []  # a damaged part is replaced, not trusted
    root = etree.Element(f"{{{_CUSTOM}}}Properties", nsmap={None: _CUSTOM, "vt": _VT})
    for pid, element in enumerate(kept, start=2):
        element.set("pid", str(pid))
        root.append(element)
    for pid, (name, value) in enumerate(values.items(), start=2 + len(kept)):
        element = etree.SubElement(root, f"{{{_CUSTOM}}}property", fmtid=_FMTID, pid=str(pid), name=name)
        if isinstance(value, date):
            etree.SubElement(element, f"{{{_VT}}}filetime").text = f"{value.isoformat()}T00:00:00Z"
        else:
            etree.SubElement(element, f"{{{_VT}}}lpwstr").text = _CONTROL.sub("", value)
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    if existing is not None:
        existing._blob = blob
    else:
        part = Part(PackURI("/docProps/custom.xml"), _CUSTOM_CONTENT_TYPE, blob, package)
        package.relate_to(part, RELATIONSHIP_TYPE.CUSTOM_PROPERTIES)


def title(document: Document, context: dict[str, Any]) -> str:
    """Return the document title, e.g. `Drøftelsessag til Børne- og Skoleudvalget tirsdag den 30. maj 2017: …`."""
    parts = [kinds.of(document.kind).label]
    if document.committee is not None:
        parts.append(f"til {document.committee.name}")
    if document.date is not None:
        parts.append(danish.long_date(document.date))
    text = " ".join(parts)
    theme = " – ".join(line.strip() for line in str(context.get("tema", "")).splitlines() if line.strip())
    if document.kind is DocumentKind.DISCUSSION and theme:
        text = f"{text}: {theme}"
    text = _CONTROL.sub("", text)
    return cut(text, _TITLE_LIMIT)
