"""WeasyPrint, sealed off from the machine it runs on, so the same plan gives the same bytes anywhere.

- WeasyPrint may fetch files inside the templates folder and nothing else; any other URL, and
  a missing file, fails the document with a Danish message instead of leaving a silent gap.
- Fontconfig sees only the bundled font in `templates/fonts/` (no host fonts, so no fallback
  font sneaks in).
- `SOURCE_DATE_EPOCH` is set from the plan year while fonts are subset, the PDF's /ID is
  derived from the document's path, and no date from the clock is written.
- What WeasyPrint logs as an error fails the document; its warnings go to the pipeline's log.

Only WeasyPrint's public API is used here (its internals are `pipeline.render.pdf.adapter`'s),
and WeasyPrint is imported only inside the functions.
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
