"""Render the Word documents (orienteringssag, drøftelsessag) from their docxtpl templates.

docxtpl fills the template with the one strict, autoescaping environment from
`pipeline.templating`, so spreadsheet text is always text. The document's metadata is set from
the data, never the clock, and the zip is written with fixed timestamps, so the same inputs give
the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from docx.opc.exceptions import PackageNotFoundError
from jinja2.exceptions import TemplateError as JinjaError
from lxml.etree import XMLSyntaxError

from pipeline import danish
from pipeline.errors import TemplateError
from pipeline.model import Document, DocumentKind
from pipeline.templating import environment
from pipeline.write import FixedTimeZip

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
_KIND_LABELS = {DocumentKind.ORIENTATION: "Orienteringssag", DocumentKind.DISCUSSION: "Drøftelsessag"}


def render_docx(document: Document, context: dict[str, Any], template: Path) -> bytes:
    """Return the .docx for `document`: `template` filled with `context`, metadata from the data."""
    from docxtpl import DocxTemplate

    if not template.is_file():
        raise TemplateError(f"{template.name}: skabelonen findes ikke i {template.parent}")
    filled = DocxTemplate(template)
    try:
        filled.init_docx()  # open it now, so a damaged file is told apart from a template error
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, XMLSyntaxError):
        raise TemplateError(f"{template.name}: er ikke et gyldigt Word-dokument (.docx); "
                            "åbn den i Word og gem den igen") from None
    try:
        filled.render(context, jinja_env=environment(), autoescape=True)
    except JinjaError as error:
        raise TemplateError(_failure(template, error)) from error
    _set_properties(filled.docx.core_properties, document, context)
    _set_custom_properties(filled.docx.part.package, custom_properties(document, context))
    return package_bytes(filled.docx.part.package)


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
    from pipeline.check import describe_error

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
        "Dokumenttype": _KIND_LABELS.get(document.kind, "Dokument"),
    }
    return {name: value for name, value in values.items() if value is not None}


def _set_custom_properties(package: Any, values: dict[str, str | date]) -> None:
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
    parts = [_KIND_LABELS.get(document.kind, "Dokument")]
    if document.committee is not None:
        parts.append(f"til {document.committee.name}")
    if document.date is not None:
        parts.append(danish.long_date(document.date))
    text = " ".join(parts)
    theme = " – ".join(line.strip() for line in str(context.get("tema", "")).splitlines() if line.strip())
    if document.kind is DocumentKind.DISCUSSION and theme:
        text = f"{text}: {theme}"
    text = _CONTROL.sub("", text)
    return text if len(text) <= _TITLE_LIMIT else text[: _TITLE_LIMIT - 1] + "…"
