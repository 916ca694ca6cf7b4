"""Stage 4: turn one planned document into the bytes of its file.

Renderers are imported when first needed, so reading, checking and planning never pay for
docxtpl or WeasyPrint. `render` is what the build's worker processes call.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.core.model import Document, DocumentKind
from pipeline.documents.context import build_context

WORD_KINDS = (DocumentKind.ORIENTATION, DocumentKind.DISCUSSION)
OVERVIEW_KINDS = (DocumentKind.OVERVIEW, DocumentKind.WEBPAGE)

# What in the templates folder each kind is made from (a folder stands for every file in it).
# The build's fingerprints hash exactly these, so editing one rebuilds exactly its documents.
TEMPLATE_FILES: dict[DocumentKind, tuple[str, ...]] = {
    DocumentKind.ORIENTATION: ("orienteringssag.docx",),
    DocumentKind.DISCUSSION: ("droeftelse.docx",),
    DocumentKind.OVERVIEW: ("oversigt.html", "oversigt.css", "fonts"),
    DocumentKind.WEBPAGE: ("oversigt.html", "oversigt.css", "fonts"),
}


def template_files(kind: DocumentKind, templates: Path) -> list[Path]:
    """Return the files in `templates` a document of `kind` is made from, in a stable order."""
    files: list[Path] = []
    for name in TEMPLATE_FILES[kind]:
        path = templates / name
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    return files


def render(document: Document, templates: Path) -> bytes:
    """Return the finished file for `document`, rendered from the templates in `templates`."""
    context = build_context(document)
    if document.kind in WORD_KINDS:
        from pipeline.render.word import render_docx

        return render_docx(document, context, templates / document.template)
    if document.kind is DocumentKind.OVERVIEW:
        from pipeline.render.overview import render_pdf

        return render_pdf(document, context, templates)
    from pipeline.render.overview import render_html

    return render_html(document, context, templates)
