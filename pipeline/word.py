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
    """Set the metadata Word shows from the document's data (meeting date, title, language)."""
    day = document.date or date(document.year, 1, 1)
    moment = datetime(day.year, day.month, day.day)  # python-docx writes naive times as UTC
    properties.created = moment
    properties.modified = moment
    properties.revision = 1
    properties.last_modified_by = LAST_MODIFIED_BY
    properties.language = LANGUAGE
    properties.title = title(document, context)
    properties.comments = ""  # the template's note to case officers is not part of a document


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
