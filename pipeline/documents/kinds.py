"""The one registry of document kinds: what each kind is made from, where it goes, how it is made.

Every stage asks this table instead of keeping its own: planning (folder and file name, one per
meeting or one per plan), the template context, the build (which template files a document's
fingerprint covers), the scheduler (cost), the renderers (which one makes the bytes) and the
Word file's properties (label). Adding a kind is one entry here, plus its template and, for a
new renderer, the renderer in `pipeline.render.dispatch`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from pipeline.core.danish import file_name_part
from pipeline.core.model import Committee, Document, DocumentKind
from pipeline.documents import context
from pipeline.documents.context import Context, RowMaker


@dataclass(frozen=True)
class Kind:
    """What one kind of document is made of and from, and where it goes."""

    label: str  # as case officers call it: the Word file's "Dokumenttype"
    # The files in the templates folder it is made from, the template itself first; a folder
    # stands for every file in it. A document's fingerprint covers exactly these.
    templates: tuple[str, ...]
    folder: str  # its folder in the output folder
    per_meeting: bool  # one per committee meeting (named by date and committee), else one per plan
    suffix: str  # the file name's ending, e.g. ".docx"
    context: Callable[[Document, RowMaker], Context]
    renderer: str  # which renderer in pipeline.render.dispatch makes its bytes
    cost: int  # rough rendering cost of one document, relative to the others (for scheduling)

    @property
    def template(self) -> str:
        """The template file this kind is rendered from."""
        return self.templates[0]


_OVERVIEW_FILES = ("oversigt.html", "oversigt.css", "oversigt-temaspor.css", "fonts")

KINDS: dict[DocumentKind, Kind] = {
    DocumentKind.ORIENTATION: Kind("Orienteringssag", ("orienteringssag.docx",), "orienteringssager",
                                   per_meeting=True, suffix=".docx", context=context.orientation,
                                   renderer="word", cost=10),
    DocumentKind.DISCUSSION: Kind("Drøftelsessag", ("droeftelse.docx",), "droeftelser", per_meeting=True,
                                  suffix=".docx", context=context.discussion, renderer="word", cost=1),
    DocumentKind.OVERVIEW: Kind("Oversigt", _OVERVIEW_FILES, "oversigter", per_meeting=False, suffix=".pdf",
                                context=context.overview, renderer="pdf", cost=100),
    DocumentKind.WEBPAGE: Kind("Webside", _OVERVIEW_FILES, "oversigter", per_meeting=False, suffix=".html",
                               context=context.overview, renderer="html", cost=2),
}

MEETING_KINDS = tuple(kind for kind, spec in KINDS.items() if spec.per_meeting)
PLAN_KINDS = tuple(kind for kind, spec in KINDS.items() if not spec.per_meeting)


def of(kind: DocumentKind) -> Kind:
    """Return what the registry says about `kind`."""
    return KINDS[kind]


def build_context(document: Document, row_of: RowMaker | None = None) -> Context:
    """Return the template context for `document`.

    `row_of` stands in for `context.row` wherever a plan row appears; the build's fingerprints
    pass one that gives each row's digest, so a 10,000-row status report is hashed without
    serialising its rows again for every document.
    """
    return KINDS[document.kind].context(document, row_of or context.row)


def output_path(kind: DocumentKind, year: int, committee: Committee | None = None,
                day: date | None = None) -> PurePosixPath:
    """Return a document's path inside the output folder: `oversigter/implementeringsplan_2017.pdf`
    for a plan's document, `droeftelser/2017-05-30_OEKU_droeftelse.docx` for a meeting's."""
    spec = KINDS[kind]
    if not spec.per_meeting:
        return PurePosixPath(spec.folder, f"implementeringsplan_{year}{spec.suffix}")
    assert committee is not None and day is not None
    name = f"{day.isoformat()}_{file_name_part(committee.abbreviation)}_{kind.value}{spec.suffix}"
    return PurePosixPath(spec.folder, name)


def name_parts(path: PurePosixPath) -> tuple[str, str, str]:
    """Return the date, committee and kind a meeting document's name holds (`2017-05-30_BSU_droeftelse.docx`
    → `2017-05-30`, `BSU`, `droeftelse`), or three '' for a name without them (an overview, a
    calendar). The inverse of `output_path`'s naming; "… (ny version).docx" is the same document's."""
    day, _, rest = path.stem.split(" (", 1)[0].partition("_")
    committee, _, kind = rest.partition("_")
    return (day, committee, kind) if kind else ("", "", "")


def meeting_date(path: PurePosixPath) -> date | None:
    """Return the meeting date in a document's output path, or None for a path without one."""
    day = name_parts(path)[0]
    try:
        return date.fromisoformat(day) if day else None
    except ValueError:
        return None


def template_files(kind: DocumentKind, templates: Path) -> list[Path]:
    """Return the files in `templates` a document of `kind` is made from, in a stable order.

    The build's fingerprints hash exactly these, so editing one rebuilds exactly its documents."""
    files: list[Path] = []
    for name in KINDS[kind].templates:
        path = templates / name
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    return files
