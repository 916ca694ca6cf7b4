"""Everything a build reads and checks before it may touch the output folder: the plans, the
documents they call for, their paths and their templates."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from pipeline import __version__
from pipeline.core.digest import digest, every_file, file_entries, package_versions
from pipeline.core.errors import OutputError, TemplateError
from pipeline.core.files import atomic_write, check_name
from pipeline.core.model import Document, Plan
from pipeline.documents import kinds
from pipeline.engine.manifest import FOLDER
from pipeline.engine.options import BuildOptions
from pipeline.source.plans import PlanFile, load_plans


def plan_build(options: BuildOptions, files: list[PlanFile]) -> tuple[list[Plan], list[Document]]:
    """Return the plans and the documents they call for (not yet checked: `check_build`)."""
    from pipeline.documents.planning import plan_documents

    plans = load_plans(files, options.year)
    return plans, plan_documents(plans)


def check_build(options: BuildOptions, documents: list[Document]) -> None:
    """Raise OutputError or TemplateError unless every document can be written where it goes
    and the templates they need are sound."""
    _check_paths(documents, options.output)
    _check_templates(options.templates, {kinds.of(d.kind).template for d in documents}, options.output)


def _check_paths(documents: list[Document], output: Path) -> None:
    if output.exists() and not output.is_dir():
        raise OutputError(f"Kan ikke skrive i outputmappen {output}: det er en fil, ikke en mappe.")
    seen: dict[str, PurePosixPath] = {}
    for document in documents:
        for part in document.path.parts:  # where it lands on disk is checked as it is written
            if (reason := check_name(part)) is not None:
                raise OutputError(f'"{document.path}" kan ikke skrives: "{part}" {reason}')
        other = seen.setdefault(str(document.path).casefold(), document.path)
        if other != document.path:  # one file on a Windows share, which ignores case
            raise OutputError(f'"{document.path}" og "{other}" bliver samme fil på et Windows-drev; '
                              "giv udvalgene forskellige forkortelser")


def _check_templates(templates: Path, names: set[str], output: Path) -> None:
    """Lint the templates the documents need, unless these very templates passed before."""
    missing = sorted(name for name in names if not (templates / name).is_file())
    if missing:
        raise TemplateError(f"Skabelonen {', '.join(missing)} findes ikke i mappen {templates}.")
    if templates_passed(output, templates):
        return
    from pipeline.render.lint.check import check_templates

    if problems := check_templates(templates, sorted(names)):
        raise TemplateError("Skabelonerne har fejl:\n" + "\n".join(problems))


# --- Templates that passed the linter -------------------------------------------------------------
# Linting costs about half a second (docxtpl reads every Word template), on every build that is
# not a no-op. A build that wrote its documents records the key of the templates it checked; the
# next build with the same templates, pipeline and libraries skips the linter. The record is in
# the output folder, which is untrusted: it only ever skips a check, and a document that still
# came out incomplete is caught when it is rendered (pipeline.render.word's render-time net).

CHECKED = "skabeloner.json"


def templates_key(templates: Path) -> str:
    """Return the key of the templates folder as the linter saw it: every file's path and bytes,
    the pipeline's version and the versions of the libraries the linter reads templates with."""
    return digest({"files": file_entries(templates, every_file(templates)), "pipeline": __version__,
                   "libraries": package_versions("docxtpl", "jinja2", "python-docx")})


def templates_passed(output: Path, templates: Path) -> bool:
    """True when the record in `output` says these very templates passed the linter."""
    try:
        record = json.loads((output / FOLDER / CHECKED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get("passed") == templates_key(templates)


def record_templates_passed(output: Path, templates: Path) -> None:
    """Record that the templates in `templates` passed the linter (called under the build lock)."""
    atomic_write(output / FOLDER / CHECKED, json.dumps({"passed": templates_key(templates)}).encode())


def calendars(documents: list[Document]) -> dict[str, bytes]:
    """Return the meeting calendars of the planned documents (`kalender/BSU.ics`, …) by path."""
    from pipeline.render.ics import calendar_files

    return calendar_files(documents)
