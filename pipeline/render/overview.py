"""The overview: the whole plan as an accessible PDF and as a web page.

Both come from one Jinja template, `templates/oversigt.html`, which includes `oversigt.css`;
the PDF also loads the one font family in `templates/fonts/` through `@font-face`. The web page
embeds no font (it names the family and falls back to the reader's sans-serif), so it makes
no request of its own.

The PDF is laid out by WeasyPrint, sealed off from the machine (`pipeline.render.pdf.sealed`):
in one go for a plan of up to SPLIT_ABOVE rows, else in parts merged into one file
(`pipeline.render.pdf.merge`). The overview's template variables come from
`pipeline.documents.overview`. WeasyPrint is imported only inside the render functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.core.errors import TemplateError
from pipeline.core.limits import environment_number
from pipeline.core.model import Document
from pipeline.render.pdf import adapter
from pipeline.render.pdf.merge import render_split
from pipeline.render.pdf.sealed import laying_out, pdf_identifier
from pipeline.render.pdf.split import Split, prepare

TEMPLATE = "oversigt.html"
# An overview of more rows than SPLIT_ABOVE is laid out in parts of about PART_ROWS table rows
# each (a timeline row counts more, see `pipeline.render.pdf.split.ROW_WEIGHTS`), so memory
# stays bounded by a part (where 10,000 rows took about 5 GB in one layout), the build's workers
# lay the parts out in parallel, and a changed row lays out only its part again (the part cache).
# Up to SPLIT_ABOVE rows the PDF is laid out in one go (each part begins on a new page, which a
# short plan need not pay for). PART_ROWS = 200 rather than 600, measured on synthetic plans
# (one run each, two cores): 1,000 rows, cold build 14.5 → 13.8 s and one-row change 11.0 →
# 7.5 s, 69 → 71 pages; 10,000 rows, cold 107.7 → 98.5 s, one-row change 32.2 → 24.6 s, 671 →
# 689 pages. The environment variable PIPELINE_OVERVIEW_CHUNK=N sets both to N (tests use it to
# split small plans).
SPLIT_ABOVE = 600
PART_ROWS = 200
CHUNK_VARIABLE = "PIPELINE_OVERVIEW_CHUNK"


def render_html(document: Document, context: dict[str, Any], templates: Path) -> bytes:
    """Return the overview as a self-contained, accessible HTML page (UTF-8)."""
    return render_template(context, templates).encode("utf-8")


def render_pdf(document: Document, context: dict[str, Any], templates: Path) -> bytes:
    """Return the overview as a tagged PDF/UA-1 file, byte-identical for the same plan."""
    html = render_template(context, templates)
    root = templates.resolve()
    if rows := part_rows(document):
        return render_split(document, html, root, rows)
    with laying_out(document.year, root) as layout:
        return adapter.whole_pdf(layout, html, pdf_identifier(document))


def part_rows(document: Document) -> int | None:
    """Return about how many rows each part has when `document`'s PDF is laid out in parts,
    or None when it is laid out in one go."""
    split_above, rows = _split_settings()
    return rows if len(document.shown) > split_above else None


def prepare_split(document: Document, context: dict[str, Any], templates: Path) -> Split:
    """Return the parts of `document`'s PDF for laying out one by one (a long overview only)."""
    rows = part_rows(document)
    assert rows, "only a long overview is split"
    return prepare(render_template(context, templates), rows)


def _split_settings() -> tuple[int, int]:
    """Return (split above how many rows, rows per part): the constants, or N and N from the environment."""
    rows = environment_number(CHUNK_VARIABLE, example=SPLIT_ABOVE)
    return (SPLIT_ABOVE, PART_ROWS) if rows is None else (rows, rows)


def render_template(context: dict[str, Any], templates: Path) -> str:
    """Return `oversigt.html` rendered with `context`; template problems become a TemplateError."""
    from jinja2 import FileSystemLoader, TemplateNotFound, TemplateSyntaxError
    from jinja2 import TemplateError as JinjaError

    from pipeline.render.templating import environment

    env = environment(loader=FileSystemLoader(str(templates)))
    try:
        return env.get_template(TEMPLATE).render(context)
    except TemplateNotFound as error:
        raise TemplateError(f'Skabelonen "{error.name}" findes ikke i skabelonmappen {templates}') from None
    except TemplateSyntaxError as error:
        raise TemplateError(f'Skabelonen "{error.name or TEMPLATE}", linje {error.lineno}: '
                            f"{error.message}") from None
    except JinjaError as error:
        from pipeline.render.messages import describe_error

        raise TemplateError(f'Skabelonen "{TEMPLATE}" kan ikke udfyldes: {describe_error(error)}') from None
