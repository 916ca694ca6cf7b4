"""Lint the templates before anything is rendered (`pipeline check-templates`).

Finds what would make a document fail or come out cut off, and says where and what to do:
block tags that do not match (`{%p if … %}` closed by a plain `{% endif %}`, a block that is
never closed, a plain tag whose block spans paragraphs), tags Word has split, curled or put in
a tracked change or a comment, Jinja syntax errors, and variables, fields and filters the
context does not have. Every message is Danish and names the template, the heading above the
place and the paragraph or table row (see `report.py`). The checker returns messages; it does
not raise for anything a template can contain.

This module runs the checks over each part of a template, in the order that keeps the report
short (a tag that cannot be read stops the checks that depend on it):

- `source.py` reads a template into parts, paragraphs and tags (`model.py`), each with its place;
- `tags.py` checks each tag as the user wrote it;
- `structure.py` pairs block tags into blocks and checks them against Word's paragraphs,
  rows and cells;
- `balance.py` checks that each block in the real Jinja text (docxtpl's patched XML) closes
  exactly the XML it opens, whatever the data;
- `names.py` parses each part as Jinja does and checks its filters, tests, variables and
  fields (`fields.py`) against the template's sample context.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jinja2 import Environment
from lxml import etree

from pipeline.core.model import DocumentKind
from pipeline.documents.kinds import KINDS, build_context
from pipeline.documents.samples import sample_document
from pipeline.render.lint.balance import check_balance
from pipeline.render.lint.model import OPENER, Comment, Source, clip
from pipeline.render.lint.names import check_names
from pipeline.render.lint.report import Report
from pipeline.render.lint.source import docx_comments, docx_sources, text_source
from pipeline.render.lint.structure import check_structure
from pipeline.render.lint.tags import check_tags
from pipeline.render.templating import environment

# The templates checked by default, as the registry of document kinds names them.
WORD_TEMPLATES = tuple(spec.template for spec in KINDS.values() if spec.renderer == "word")
HTML_TEMPLATE = KINDS[DocumentKind.OVERVIEW].template


def check_templates(templates: Path, names: Iterable[str] | None = None) -> list[str]:
    """Return every problem in the templates in `templates` (all of them, or those in `names`)."""
    if names is None:
        names = [*WORD_TEMPLATES, *([HTML_TEMPLATE] if (templates / HTML_TEMPLATE).exists() else [])]
    problems: list[str] = []
    for name in names:
        problems.extend(check_template(templates / name))
    return problems


def check_template(path: Path) -> list[str]:
    """Return every problem in the one template at `path`, in Danish, each with its place."""
    if not path.is_file():
        return [f"{path.name}: findes ikke i skabelonmappen {path.parent}"]
    word = path.suffix.casefold() == ".docx"
    try:
        sources = docx_sources(path) if word else [text_source(path)]
        comments = docx_comments(path) if word else []
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError):
        return [f"{path.name}: er ikke et gyldigt Word-dokument (.docx); åbn den i Word og gem den igen"]
    except UnicodeDecodeError:
        return [f"{path.name}: er ikke gemt som UTF-8-tekst; gem den igen med tegnsættet UTF-8"]
    kind = next((k for k, spec in KINDS.items() if spec.template == path.name), None)
    context = build_context(sample_document(kind)) if kind is not None else None
    report = Report()
    env = environment()  # for parsing single tags (the name check makes its own, and changes it)
    for source in sources:
        _check_source(source, report, env, context)
    for comment in comments:
        _check_comment(comment, report)
    return report.messages()


def _check_source(source: Source, report: Report, env: Environment, context: dict[str, Any] | None) -> None:
    """Report the problems of one part; a check whose findings would only repeat earlier ones is skipped."""
    before = len(report)
    broken = check_tags(source, report, env)
    if not broken:
        structure = len(report)
        check_structure(source, report)
        if source.word and len(report) == structure:
            check_balance(source, report)
    try:
        check_names(source, report, context, quiet=len(report) > before)
    except RecursionError:  # Jinja walks its trees recursively: an expression nested thousands deep
        report.say(source.place, "skabelonkoden er for indviklet (for mange parenteser eller blokke inde i "
                   "hinanden)", "del udtrykkene op")


def _check_comment(comment: Comment, report: Report) -> None:
    """Report tags written in a Word comment: comments are not filled in, but kept."""
    if not OPENER.search(comment.text):
        return
    report.say(comment.place, f'kommentaren "{clip(comment.text, 60)}" indeholder skabelonkode, men kommentarer '
                              "bliver ikke udfyldt, og de kommer med i hvert dokument",
               "skriv tagget i selve teksten, og slet kommentaren (Gennemse → Slet)")
