"""Stage 4 for the overview: the whole plan as an accessible PDF and as a web page.

Both come from one Jinja template, `templates/oversigt.html`, which includes `oversigt.css`;
the PDF also loads the one font family in `templates/fonts/` through `@font-face`. The web page
embeds no font (it names the family and falls back to the reader's sans-serif), so it makes
no request of its own.

Rendering is sealed off from the machine it runs on, so the same plan gives the same bytes
anywhere:
- WeasyPrint may fetch files inside the templates folder and nothing else; any other URL, and
  a missing file, fails the document with a Danish message instead of leaving a silent gap.
- Fontconfig sees only the bundled font (no host fonts, so no fallback font sneaks in).
- `SOURCE_DATE_EPOCH` is set from the plan year while fonts are subset, the PDF's /ID is
  derived from the document's path, and no date from the clock is written.

The overview's template variables come from `pipeline.documents.overview`. WeasyPrint is
imported only inside the render functions.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname
from xml.sax.saxutils import escape

from pipeline.core.errors import TemplateError
from pipeline.core.model import Document

TEMPLATE = "oversigt.html"
PDF_VARIANT = "pdf/ua-1"
# An overview of more rows than SPLIT_ABOVE is laid out in parts of about PART_ROWS table rows
# each (a timeline row counts more, see pipeline/overview_parts.py), so memory stays bounded
# by a part (about 0.3 GB, where 10,000 rows took about 5 GB in one layout), and the build's
# workers lay the parts out in parallel. Up to SPLIT_ABOVE rows the PDF is laid out in one
# go (each part begins on a new page, which a short plan need not pay for). The environment
# variable PIPELINE_OVERVIEW_CHUNK=N sets both to N (tests use it to split small plans).
SPLIT_ABOVE = 600
PART_ROWS = 600
CHUNK_VARIABLE = "PIPELINE_OVERVIEW_CHUNK"

_LOG = logging.getLogger(__name__)
# os.environ is process-wide: renders in threads of one process take turns changing it.
_ENVIRONMENT_LOCK = threading.Lock()
# Fontconfig sees the templates' font folder and nothing else (no host fonts, no cache).
_FONTCONFIG = (
    '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
    "<fontconfig><dir>{folder}</dir></fontconfig>\n"
)
FONT_SUFFIXES = (".ttf", ".otf", ".woff", ".woff2")
_MEDIA_TYPES = {
    ".css": "text/css", ".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff",
    ".woff2": "font/woff2", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml", ".gif": "image/gif",
}


# --- Rendering ---------------------------------------------------------------------------------

def render_html(document: Document, context: dict[str, Any], templates: Path) -> bytes:
    """Return the overview as a self-contained, accessible HTML page (UTF-8)."""
    return render_template(context, templates).encode("utf-8")


def render_pdf(document: Document, context: dict[str, Any], templates: Path) -> bytes:
    """Return the overview as a tagged PDF/UA-1 file, byte-identical for the same plan."""
    html = render_template(context, templates)
    root = templates.resolve()
    if rows := part_rows(document):
        from pipeline.render import parts as overview_parts

        return overview_parts.render_split(document, html, root, rows)
    options = {"pdf_variant": PDF_VARIANT, "pdf_identifier": pdf_identifier(document)}
    with laying_out(document.year, root) as layout:
        return layout(html, **options).write_pdf(finisher=_add_header_scopes, **options)


@contextmanager
def laying_out(year: int, root: Path) -> Iterator[Callable[..., Any]]:
    """Yield `layout(html, **options)`, which lays HTML out with WeasyPrint, sealed: only the
    bundled font, only files inside the templates folder `root`, SOURCE_DATE_EPOCH from `year`.
    Make the PDF inside the block too (fonts are subset then). A file WeasyPrint could not
    fetch, or an error it logged, becomes a Danish TemplateError."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    def layout(html: str, **options: Any) -> Any:
        fonts = FontConfiguration()  # reads FONTCONFIG_FILE now: the bundled font only
        return weasyprint.HTML(string=html, base_url=root.as_uri() + "/",
                               url_fetcher=template_fetcher(root)).render(font_config=fonts, **options)

    with _sealed(year, root / "fonts"), _weasyprint_log() as records, fetch_errors():
        yield layout
    _check_log(records)


def pdf_identifier(document: Document) -> bytes:
    """Return the PDF's fixed /ID: derived from the document's path, never from the clock."""
    return hashlib.sha256(str(document.path).encode()).hexdigest()[:32].encode()


@contextmanager
def fetch_errors() -> Iterator[None]:
    """Within the block, a file WeasyPrint could not fetch becomes a Danish TemplateError."""
    from weasyprint.urls import FatalURLFetchingError

    try:
        yield
    except FatalURLFetchingError as error:
        if isinstance(error.__cause__, TemplateError):
            raise error.__cause__ from None
        raise TemplateError(f"Oversigten kunne ikke hente en fil: {error}") from error


def part_rows(document: Document) -> int | None:
    """Return about how many rows each part has when `document`'s PDF is laid out in parts
    (pipeline/overview_parts.py), or None when it is laid out in one go."""
    split_above, rows = _split_settings()
    return rows if len(document.shown) > split_above else None


def prepare_split(document: Document, context: dict[str, Any], templates: Path) -> Any:
    """Return the parts of `document`'s PDF (an overview_parts.Split) for laying out one by one."""
    from pipeline.render import parts as overview_parts

    rows = part_rows(document)
    assert rows, "only a long overview is split"
    return overview_parts.prepare(render_template(context, templates), rows)


def _split_settings() -> tuple[int, int]:
    """Return (split above how many rows, rows per part): the constants, or N and N from the environment."""
    value = os.environ.get(CHUNK_VARIABLE, "").strip()
    if not value:
        return SPLIT_ABOVE, PART_ROWS
    try:
        rows = int(value)
    except ValueError:
        rows = 0
    if rows < 1:
        raise TemplateError(f"Miljøvariablen {CHUNK_VARIABLE} skal være et positivt heltal, ikke {value!r}")
    return rows, rows


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


def template_fetcher(templates: Path) -> Any:
    """Return a WeasyPrint URL fetcher that serves files inside `templates` and refuses all else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = templates.resolve()

    class TemplateFetcher(URLFetcher):
        """Serves `file:` URLs inside the templates folder; raises TemplateError for anything else."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True)

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
            """Return the file `url` names, if it lies inside the templates folder."""
            path = _template_path(url, root)
            try:
                body = path.read_bytes()
            except OSError:
                raise TemplateError(f'Oversigten bruger filen "{path.relative_to(root).as_posix()}", '
                                    f"men den findes ikke i skabelonmappen {templates}") from None
            media_type = _MEDIA_TYPES.get(path.suffix.casefold(), "application/octet-stream")
            return URLFetcherResponse(url, body, {"Content-Type": media_type})

    return TemplateFetcher()


def _template_path(url: str, root: Path) -> Path:
    """Return the file inside `root` that a `file:` URL names; raise TemplateError for any other URL."""
    shown = url if len(url) <= 80 else url[:79] + "…"
    refused = TemplateError(f'Oversigten må kun bruge filer fra skabelonmappen; "{shown}" er afvist')
    parts = urlsplit(url)
    if parts.scheme.casefold() != "file" or parts.netloc not in ("", "localhost"):
        raise refused
    path = Path(url2pathname(unquote(parts.path))).resolve()
    if not path.is_relative_to(root) or path == root:
        raise refused
    return path


@contextmanager
def _sealed(year: int, fonts: Path) -> Iterator[None]:
    """Within the block, SOURCE_DATE_EPOCH is 1 January of `year` and fontconfig sees only `fonts`.

    FONTCONFIG_FILE points at a configuration naming that one folder; it matters when a
    FontConfiguration is created. Both variables are restored afterwards, and the lock keeps
    threads of one process from interleaving.
    """
    if not any(p.suffix.casefold() in FONT_SUFFIXES for p in fonts.glob("*") if p.is_file()):
        raise TemplateError(f"Mappen {fonts} skal indeholde oversigtens skrifttype "
                            f"({', '.join(FONT_SUFFIXES)}), men der er ingen")
    names = ("SOURCE_DATE_EPOCH", "FONTCONFIG_FILE")
    epoch = max(0, int(datetime(year, 1, 1, tzinfo=UTC).timestamp()))
    with _ENVIRONMENT_LOCK, TemporaryDirectory(prefix="pipeline-fonts-") as folder:
        saved = {name: os.environ.get(name) for name in names}
        config = Path(folder, "fonts.conf")
        config.write_text(_FONTCONFIG.format(folder=escape(str(fonts))), encoding="utf-8")
        os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
        os.environ["FONTCONFIG_FILE"] = str(config)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


class _Collector(logging.Handler):
    """Keeps WeasyPrint's warnings and errors of one render."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _weasyprint_log() -> Iterator[list[logging.LogRecord]]:
    """Yield the list that collects what WeasyPrint logs during the block."""
    logger = logging.getLogger("weasyprint")
    collector = _Collector()
    propagate = logger.propagate
    logger.addHandler(collector)
    logger.propagate = False
    try:
        yield collector.records
    finally:
        logger.removeHandler(collector)
        logger.propagate = propagate


def _check_log(records: list[logging.LogRecord]) -> None:
    """Raise TemplateError for WeasyPrint's errors; pass its warnings on to the pipeline's log."""
    errors = [r.getMessage() for r in records if r.levelno >= logging.ERROR]
    if errors:
        raise TemplateError("Oversigten kunne ikke laves korrekt ud fra skabelonen: " + "; ".join(errors))
    for record in records:
        if "HarfBuzz" in record.getMessage():  # a note that fontTools subsets the font instead
            continue
        _LOG.warning("Oversigt (WeasyPrint): %s", record.getMessage())


def _add_header_scopes(_document: Any, pdf: Any) -> None:
    """Give every tagged table header cell (/TH) a /Scope: /Column in a thead, else /Row."""
    objects = pdf.objects

    def parent(element: Any) -> Any:
        reference = element.get("P")
        return objects[int(reference.split()[0])] if isinstance(reference, bytes) else None

    for element in objects:
        if isinstance(element, dict) and element.get("S") == "/TH":
            row = parent(element)
            section = parent(row) if row is not None else None
            in_head = section is not None and section.get("S") == "/THead"
            attributes = element.setdefault("A", type(element)({"O": "/Table"}))
            attributes["Scope"] = "/Column" if in_head else "/Row"

