"""Turn one planned document into the bytes of its file, with the renderer its kind names.

Renderers are imported when first needed, so reading, checking and planning never pay for
docxtpl or WeasyPrint. `render` is what the build's worker processes call.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.core.model import Document
from pipeline.documents import kinds

Renderer = Callable[[Document, dict[str, Any], Path], bytes]


def _word(document: Document, context: dict[str, Any], templates: Path) -> bytes:
    from pipeline.render.word import render_docx

    return render_docx(document, context, templates / kinds.of(document.kind).template)


def _pdf(document: Document, context: dict[str, Any], templates: Path) -> bytes:
    from pipeline.render.overview import render_pdf

    return render_pdf(document, context, templates)


def _html(document: Document, context: dict[str, Any], templates: Path) -> bytes:
    from pipeline.render.overview import render_html

    return render_html(document, context, templates)


# By the name a kind gives in `pipeline.documents.kinds`.
RENDERERS: dict[str, Renderer] = {"word": _word, "pdf": _pdf, "html": _html}


def render(document: Document, templates: Path) -> bytes:
    """Return the finished file for `document`, rendered from the templates in `templates`."""
    return RENDERERS[kinds.of(document.kind).renderer](document, kinds.build_context(document), templates)
