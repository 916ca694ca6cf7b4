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

`overview_variables` computes the overview's own template variables (timeline geometry,
groups); `pipeline.context` calls it, so the context stays the one source of variables.
WeasyPrint is imported only inside the render functions.
"""

from __future__ import annotations

import calendar
import hashlib
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname
from xml.sax.saxutils import escape

from babel.dates import get_month_names

from pipeline import danish
from pipeline.errors import TemplateError
from pipeline.model import Activity, Document, DocumentKind, Status

TEMPLATE = "oversigt.html"
PDF_VARIANT = "pdf/ua-1"
LABEL_LENGTH = 70  # characters of a timeline row's label (theme and activity, shortened)
THEME_LENGTH = 30  # of which the theme takes at most this many
ACTIVITY_LENGTH = 20  # and the activity at least this many
# Statuses the timeline marks with a pattern, a sign and a word (the template draws them by
# `statusform`); planned and started activities are drawn plainly.
MARKED_STATUSES = {Status.DONE: "gennemfoert", Status.CANCELLED: "aflyst", Status.POSTPONED: "udskudt"}
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


# --- Template variables ------------------------------------------------------------------------

def overview_variables(document: Document, row: Callable[[Activity], dict[str, Any]]) -> dict[str, Any]:
    """Return the overview's own template variables; `row` turns an activity into its table row."""
    year = document.year
    ongoing = [a for a in document.shown if _is_ongoing(a, year)]
    dated = [a for a in document.shown if not _is_ongoing(a, year)]

    groups: list[dict[str, Any]] = []
    if ongoing:
        groups.append({"titel": "Løbende – hele året", "loebende": True,
                       "raekker": [_table_row(a, row) for a in ongoing]})
    by_title: dict[str, dict[str, Any]] = {}
    for activity in dated:
        title = _group_title(activity)
        if title not in by_title:
            by_title[title] = {"titel": title, "loebende": False, "raekker": []}
            groups.append(by_title[title])
        by_title[title]["raekker"].append(_table_row(activity, row))

    in_order = [*ongoing, *dated]
    timeline = [_timeline_item(a, year, ongoing=index < len(ongoing), label=label)
                for index, (a, label) in enumerate(zip(in_order, _labels(in_order), strict=True))]
    forms = [form for form in ("periode", "loebende", "dag", "moede", "udenfor")
             if any(item["form"] == form for item in timeline)]
    statuses = [{"form": form, "tekst": status.value} for status, form in MARKED_STATUSES.items()
                if any(item["statusform"] == form for item in timeline)]
    return {
        "titel": f"Implementeringsplan {year}",
        "medie": "pdf" if document.kind is DocumentKind.OVERVIEW else "web",
        "antal": len(document.shown),
        "grupper": groups,
        "maaneder": _months(),
        "tidslinje": timeline,
        "former": forms,
        "statusser": statuses,
        "fortsaetter": any((item["foer"] or item["efter"]) and item["form"] != "udenfor"
                           for item in timeline),
    }


def _is_ongoing(activity: Activity, year: int) -> bool:
    """True for an undated activity: `Løbende`, or any period that is the whole plan year."""
    period = activity.period
    return (period.start, period.end) == (date(year, 1, 1), date(year, 12, 31))


def _group_title(activity: Activity) -> str:
    """Return the table group an activity falls in: `Maj 2017`, or `2018` for a whole other year."""
    start, end = activity.period.start, activity.period.end
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    return f"{danish.month_name(start.month).capitalize()} {start.year}"


def _table_row(activity: Activity, row: Callable[[Activity], dict[str, Any]]) -> dict[str, Any]:
    """Return a table row: the shared row fields plus the committees it concerns."""
    return {**row(activity), "udvalg": [c.abbreviation for c in activity.committees]}


def _months() -> list[dict[str, Any]]:
    """Return the twelve months with their Danish names: `{nummer, navn, kort}`."""
    short = get_month_names("abbreviated", locale=danish.LOCALE)
    return [{"nummer": m, "navn": danish.month_name(m), "kort": short[m]} for m in range(1, 13)]


def year_fraction(day: date, year: int, *, end: bool = False) -> float:
    """Return where `day` lies on the timeline of `year`: 0 at 1 January, 1 after 31 December.

    Every month is one twelfth of the axis (as drawn), so month boundaries fall on the grid.
    With `end`, the position after the day rather than before it. Days outside the year are
    clamped to the ends.
    """
    if day.year < year:
        return 0.0
    if day.year > year:
        return 1.0
    days = calendar.monthrange(day.year, day.month)[1]
    return (day.month - 1 + (day.day - (0 if end else 1)) / days) / 12


def _timeline_item(activity: Activity, year: int, *, ongoing: bool, label: str) -> dict[str, Any]:
    """Return one line of the timeline: what to draw, where (fractions of the year) and its text.

    `form` is periode (a bar), loebende (a bar over the whole year), dag (a single day), moede
    (a single day naming committees) or udenfor (wholly before or after the year: an arrow at
    that end). `side` says where the text goes: right of `anker`, left of it, or inside the bar.
    `etiket` is the row's label (`label`), `fuld_tekst` its theme and activity in full, and
    `status`/`statusform` the status the timeline marks (empty for planned or started).
    """
    period = activity.period
    start = year_fraction(period.start, year)
    end = year_fraction(period.end, year, end=True)
    before, after = period.start.year < year, period.end.year > year
    committees = danish.join(c.abbreviation for c in activity.committees)
    if period.end.year < year or period.start.year > year:
        form, middle = "udenfor", 0.0 if before else 1.0
        side, anchor = ("hoejre", 0.0) if before else ("venstre", 1.0)
        note = f"før {year}" if before else f"efter {year}"
    else:
        middle = (start + end) / 2
        note = (f"begynder i {period.start.year}" if before
                else f"fortsætter i {period.end.year}" if after else "")
        if ongoing:
            form, side, anchor = "loebende", "inde", start
        elif period.is_day:
            form = "moede" if committees else "dag"
            side, anchor = ("hoejre", middle) if middle <= 0.6 else ("venstre", middle)
        else:
            form = "periode"
            side, anchor = (("hoejre", end) if end <= 0.62 else ("venstre", start) if start >= 0.38
                            else ("inde", start))
    return {
        "etiket": label,
        "fuld_tekst": _full_text(activity),
        "dato": period.label,
        "udvalg": committees,
        "form": form,
        "start": start,
        "slut": end,
        "midt": middle,
        "foer": before,
        "efter": after,
        "side": side,
        "anker": anchor,
        "note": note,
        "status": activity.status.value.lower() if activity.status in MARKED_STATUSES else "",
        "statusform": MARKED_STATUSES.get(activity.status, ""),
    }


def _one_line(text: str) -> str:
    """Return a cell's lines on one line, joined with ` – `."""
    return " – ".join(line.strip() for line in text.splitlines() if line.strip())


def _full_text(activity: Activity) -> str:
    """Return a timeline row's full text: `Tema: Aktivitet`, each on one line."""
    return ": ".join(part for part in (_one_line(activity.theme), _one_line(activity.text)) if part)


def _label(activity: Activity, limit: int = LABEL_LENGTH) -> str:
    """Return a timeline row's label: the theme and the activity, each shortened, within `limit`."""
    theme, text = _one_line(activity.theme), _one_line(activity.text)
    if not (theme and text) or theme == text:
        return _short(theme or text, limit)
    theme = _short(theme, min(THEME_LENGTH, limit - ACTIVITY_LENGTH - 2))
    return f"{theme}: {_short(text, limit - len(theme) - 2)}"


def _labels(activities: list[Activity]) -> list[str]:
    """Return the timeline labels of `activities`, told apart: where rows would share a label,
    each gets its date (`· 30. maj`), and where that is shared too, its number among them."""
    labels = [_label(a) for a in activities]
    shared = {label for label, count in Counter(labels).items() if count > 1}
    for index, activity in enumerate(activities):
        if labels[index] in shared:
            suffix = f" · {activity.period.label}"
            labels[index] = _label(activity, LABEL_LENGTH - len(suffix)) + suffix
    seen: Counter[str] = Counter()
    repeated = {label for label, count in Counter(labels).items() if count > 1}
    for index, label in enumerate(labels):
        if label in repeated:
            seen[label] += 1
            labels[index] = f"{label} ({seen[label]})"
    return labels


def _short(text: str, limit: int = LABEL_LENGTH) -> str:
    """Return the first line of `text`, cut at a word boundary to at most `limit` characters."""
    line = text.split("\n", 1)[0].strip()
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:–-")
    return f"{cut}…"


# --- Rendering ---------------------------------------------------------------------------------

def render_html(document: Document, context: dict[str, Any], templates: Path) -> bytes:
    """Return the overview as a self-contained, accessible HTML page (UTF-8)."""
    return render_template(context, templates).encode("utf-8")


def render_pdf(document: Document, context: dict[str, Any], templates: Path) -> bytes:
    """Return the overview as a tagged PDF/UA-1 file, byte-identical for the same plan."""
    html = render_template(context, templates)
    root = templates.resolve()
    if rows := part_rows(document):
        from pipeline import overview_parts

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
    from pipeline import overview_parts

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
    from jinja2 import FileSystemLoader, TemplateError as JinjaError, TemplateNotFound, TemplateSyntaxError

    from pipeline.templating import environment

    env = environment(loader=FileSystemLoader(str(templates)))
    try:
        return env.get_template(TEMPLATE).render(context)
    except TemplateNotFound as error:
        raise TemplateError(f'Skabelonen "{error.name}" findes ikke i skabelonmappen {templates}') from None
    except TemplateSyntaxError as error:
        raise TemplateError(f'Skabelonen "{error.name or TEMPLATE}", linje {error.lineno}: '
                            f"{error.message}") from None
    except JinjaError as error:
        from pipeline.check import describe_error

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
    epoch = max(0, int(datetime(year, 1, 1, tzinfo=timezone.utc).timestamp()))
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

