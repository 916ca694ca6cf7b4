"""Everything a build reads and checks before it may touch the output folder: the plans, the
documents they call for, their paths and their templates."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from pipeline.core.errors import OutputError, TemplateError
from pipeline.core.files import check_name
from pipeline.core.model import Document, Plan
from pipeline.documents import kinds
from pipeline.engine.options import BuildOptions
from pipeline.source.plans import PlanFile, load_plans


def plan_build(options: BuildOptions, files: list[PlanFile]) -> tuple[list[Plan], list[Document]]:
    """Return the plans and the documents they call for, with their templates checked."""
    from pipeline.documents.planning import plan_documents

    plans = load_plans(files, options.year)
    documents = plan_documents(plans)
    _check_paths(documents, options.output)
    _check_templates(options.templates, {kinds.of(d.kind).template for d in documents})
    return plans, documents


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


def _check_templates(templates: Path, names: set[str]) -> None:
    from pipeline.render.lint.check import check_templates

    missing = sorted(name for name in names if not (templates / name).is_file())
    if missing:
        raise TemplateError(f"Skabelonen {', '.join(missing)} findes ikke i mappen {templates}.")
    if problems := check_templates(templates, sorted(names)):
        raise TemplateError("Skabelonerne har fejl:\n" + "\n".join(problems))


def calendars(documents: list[Document]) -> dict[str, bytes]:
    """Return the meeting calendars of the planned documents (`kalender/BSU.ics`, …) by path."""
    from pipeline.render.ics import calendar_files

    return calendar_files(documents)
