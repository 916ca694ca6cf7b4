"""Lint the templates before anything is rendered (`pipeline check-templates`).

Finds Jinja syntax errors, variables, fields and filters the context does not have, Word's
typographic quotes inside tags, and tags Word has split into several pieces. Every message is
Danish and names the template and the text around the problem, so a case officer can find it
in Word: `orienteringssag.docx: ukendt variabel "udvalgsnavn" i "… {{ udvalgsnavn }} …"`.
"""

from __future__ import annotations

import difflib
import html
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import meta, nodes
from jinja2.exceptions import (
    SecurityError,
    TemplateAssertionError,
    TemplateError,
    TemplateSyntaxError,
    UndefinedError,
)
from lxml import etree

from pipeline.context import build_context, sample_document
from pipeline.model import TEMPLATES
from pipeline.templating import environment

WORD_TEMPLATES = ("orienteringssag.docx", "droeftelse.docx")
HTML_TEMPLATE = "oversigt.html"
SMART_QUOTES = "„“”‘’"

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# The parts of a .docx docxtpl renders: body, headers, footers, footnotes.
_RENDERED_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes)\.xml")
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_OPENER = re.compile(r"\{\{|\{%|\{#")
# A block tag's keyword, after docxtpl's paragraph/row/cell/run prefix: `{%p if x %}` → `if`.
_KEYWORD = re.compile(r"\{%[-+]?\s*(?:(tr|tc|p|r)\s+)?(\w+)")
_BLOCKS = {"for", "if", "macro", "call", "filter", "block", "with", "raw", "autoescape", "set"}
_KNOWN_TAGS = {*_BLOCKS, *(f"end{block}" for block in _BLOCKS), "else", "elif", "break", "continue",
               "include", "import", "from", "extends", "do"}


@dataclass(frozen=True)
class _Paragraph:
    """A paragraph's text (for HTML: the whole file) and where Word's runs split it."""

    text: str
    breaks: tuple[int, ...] = ()  # offsets in `text` where one run's piece ends and the next begins


@dataclass(frozen=True)
class _Source:
    """One piece of a template that Jinja renders as a whole: a .docx part, or an HTML file."""

    label: str  # what messages call it: `orienteringssag.docx`, `orienteringssag.docx (sidefod)`
    paragraphs: tuple[_Paragraph, ...]
    jinja: str  # the text Jinja parses (for .docx: docxtpl's patched XML, one paragraph a line)


def check_templates(templates: Path, names: Iterable[str] | None = None) -> list[str]:
    """Return every problem in the templates in `templates` (all of them, or those in `names`)."""
    if names is None:
        names = [*WORD_TEMPLATES, *([HTML_TEMPLATE] if (templates / HTML_TEMPLATE).exists() else [])]
    problems: list[str] = []
    for name in names:
        problems.extend(check_template(templates / name))
    return problems


def check_template(path: Path) -> list[str]:
    """Return every problem in the one template at `path`."""
    if not path.is_file():
        return [f"{path.name}: findes ikke i skabelonmappen {path.parent}"]
    try:
        sources = _docx_sources(path) if path.suffix.casefold() == ".docx" else [_text_source(path)]
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError):
        return [f"{path.name}: er ikke et gyldigt Word-dokument (.docx); åbn den i Word og gem den igen"]
    except UnicodeDecodeError:
        return [f"{path.name}: er ikke gemt som UTF-8-tekst"]
    kind = next((k for k, name in TEMPLATES.items() if name == path.name), None)
    context = build_context(sample_document(kind)) if kind is not None else None
    problems: list[str] = []
    for source in sources:
        problems.extend(_check_tags(source))
        problems.extend(_check_jinja(source, context))
    return list(dict.fromkeys(problems))


# --- Reading templates --------------------------------------------------------------------------

def _docx_sources(path: Path) -> list[_Source]:
    """Return the rendered parts of a .docx, body first, then headers, footers and footnotes."""
    from docxtpl import DocxTemplate

    patcher = DocxTemplate(path)  # only its patch_xml is used; nothing is loaded
    sources = []
    with zipfile.ZipFile(path) as package:
        names = [n for n in package.namelist() if _RENDERED_PARTS.fullmatch(n)]
        names.sort(key=lambda n: (not n.endswith("document.xml"), n))
        if "word/document.xml" not in names:
            raise KeyError("word/document.xml")
        for name in names:
            xml = package.read(name)
            root = etree.fromstring(xml)
            # The same preparation docxtpl makes before Jinja sees the part (see render_xml_part).
            jinja = patcher.patch_xml(etree.tostring(root, encoding="unicode"))
            jinja = re.sub(r"<w:p([ >])", r"\n<w:p\1", jinja)
            sources.append(_Source(_part_label(path.name, name), tuple(_paragraphs(root)), jinja))
    return sources


def _part_label(template: str, part: str) -> str:
    """Return how messages name a part: the template, plus where in it for headers and footers."""
    for prefix, where in (("word/header", "sidehoved"), ("word/footer", "sidefod"),
                          ("word/footnotes", "fodnoter")):
        if part.startswith(prefix):
            return f"{template} ({where})"
    return template


# What each element of a run adds to its paragraph's text.
_PIECES = {f"{_W}t": None, f"{_W}tab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n"}


def _paragraphs(root: etree._Element) -> Iterator[_Paragraph]:
    """Yield each paragraph's text with the offsets where its runs' pieces meet."""
    for paragraph in root.iter(f"{_W}p"):
        pieces = []
        for element in paragraph.iter(*_PIECES):
            if element.getparent().tag != f"{_W}r":
                continue  # a tab stop in the paragraph's properties, not a tab character
            if next(element.iterancestors(f"{_W}p")) is not paragraph:
                continue  # part of a text box's own paragraph
            fixed = _PIECES[element.tag]
            pieces.append(element.text or "" if fixed is None else fixed)
        offsets, position = [], 0
        for piece in pieces[:-1]:
            position += len(piece)
            offsets.append(position)
        yield _Paragraph("".join(pieces), tuple(offsets))


def _text_source(path: Path) -> _Source:
    """Return an HTML (or other text) template as one source and one "paragraph" (tags may span lines)."""
    text = path.read_text(encoding="utf-8")
    return _Source(path.name, (_Paragraph(text),), text)


# --- Checks on the tags as the user typed them --------------------------------------------------

def _check_tags(source: _Source) -> Iterator[str]:
    """Yield problems with tags as written: typographic quotes, split runs, unfinished tags."""
    for paragraph in source.paragraphs:
        text, covered = paragraph.text, []
        for match in _TAG.finditer(text):
            tag, start, end = match.group(), match.start(), match.end()
            covered.append((start, end))
            if any(quote in tag for quote in SMART_QUOTES):
                yield (f'{source.label}: typografiske anførselstegn i tagget "{tag}" i '
                       f'"{_around(text, start, end)}"; skriv almindelige " eller \' i stedet')
            if any(start < offset < end for offset in paragraph.breaks):
                yield (f'{source.label}: tagget "{tag}" er delt i flere stykker i Word (fx af '
                       f'formatering, stavekontrol eller et bogmærke) i "{_around(text, start, end)}"; '
                       "slet tagget og skriv det igen i ét stræk uden formatering")
        for match in _OPENER.finditer(text):
            if not any(start <= match.start() < end for start, end in covered):
                yield (f'{source.label}: tagget, der begynder med "{match.group()}", slutter ikke i '
                       f'samme afsnit i "{_around(text, match.start(), len(text))}"')


# --- Checks on the Jinja code -------------------------------------------------------------------

def _check_jinja(source: _Source, context: dict[str, Any] | None) -> Iterator[str]:
    """Yield Jinja syntax errors, or else unknown variables, fields, filters and tests."""
    env = environment()
    try:
        tree = env.parse(source.jinja)
    except TemplateSyntaxError as error:
        yield _syntax_problem(source, error)
        return
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        known = env.filters if isinstance(node, nodes.Filter) else env.tests
        if node.name not in known:
            what = "filter" if isinstance(node, nodes.Filter) else "test"
            name = re.escape(node.name)
            where = _find(source, rf"\|\s*{name}\b|\bis\s+(?:not\s+)?{name}\b")
            yield f'{source.label}: ukendt {what} "{node.name}" i "{where}"{_suggest(node.name, known)}'
            known[node.name] = _stand_in  # reported once; let the variable check below compile
    if context is None:
        return
    try:
        undeclared = meta.find_undeclared_variables(tree)  # compiles: may find more errors
    except TemplateAssertionError as error:
        yield _syntax_problem(source, error)
        return
    for name in sorted(undeclared - set(context) - set(env.globals)):
        where = _find(source, rf"(?<![\w.]){re.escape(name)}\b")
        yield f'{source.label}: ukendt variabel "{name}" i "{where}"{_suggest(name, context)}'
    for expression, field, known in _unknown_fields(tree, context):
        where = _find(source, rf"(?<![\w.]){re.escape(expression)}\s*\.\s*{re.escape(field)}\b")
        yield f'{source.label}: "{expression}" har intet felt "{field}" i "{where}"{_suggest(field, known)}'


def _stand_in(*args: Any, **kwargs: Any) -> None:
    """Stand in for an unknown filter or test once it has been reported."""


def _syntax_problem(source: _Source, error: TemplateSyntaxError) -> str:
    """Return a Danish message for a Jinja syntax error, located at the tag that causes it."""
    message = error.message or ""
    unknown = re.match(r"Encountered unknown tag '(\w+)'", message)
    if unknown and unknown.group(1) not in _KNOWN_TAGS:  # a misspelling: point at it
        where = _find(source, rf"^\{{%[-+]?\s*(?:(?:tr|tc|p|r)\s+)?{unknown.group(1)}\b")
        return f'{source.label}: fejl i skabelonkoden ({describe_error(error)}) i "{where}"'
    innermost = re.search(r"innermost block that needs to be closed is '(\w+)'", message)
    if innermost and (opener := _unclosed(source)) and opener[3] == innermost.group(1):
        paragraph, start, end, keyword = opener
        prefix = _KEYWORD.match(paragraph.text[start:end]).group(1) or ""
        return (f'{source.label}: "{paragraph.text[start:end]}" afsluttes aldrig (mangler '
                f'"{{%{prefix} end{keyword} %}}") i "{_around(paragraph.text, start, end)}"')
    lines = source.jinja.splitlines()
    line = lines[error.lineno - 1] if error.lineno and error.lineno <= len(lines) else ""
    nearby = html.unescape(re.sub(r"<[^>]+>", "", line)).strip()
    return f'{source.label}: fejl i skabelonkoden ({describe_error(error)}) i "{_shorten(nearby)}"'


def _unclosed(source: _Source) -> tuple[_Paragraph, int, int, str] | None:
    """Return the innermost block tag that is never closed: paragraph, span and keyword."""
    stack: list[tuple[_Paragraph, int, int, str]] = []
    for paragraph in source.paragraphs:
        for match in _TAG.finditer(paragraph.text):
            keyword = _KEYWORD.match(match.group())
            if keyword is None:
                continue
            word = keyword.group(2)
            if word == "set" and "=" in match.group():
                continue  # `{% set x = … %}` needs no end tag
            if word in _BLOCKS:
                stack.append((paragraph, match.start(), match.end(), word))
            elif word.startswith("end") and stack and stack[-1][3] == word[3:]:
                stack.pop()
    return stack[-1] if stack else None


_MISSING = object()


def _unknown_fields(tree: nodes.Template, context: dict[str, Any]) -> Iterator[tuple[str, str, dict]]:
    """Yield (expression, field, known fields) for each `x.field` the sample context lacks.

    Loop variables are followed: in `{% for r in gennemfoert %}`, `r` is one of its rows.
    Values that are not dicts (dates, text) and dicts with open-ended keys are not checked.
    """
    found: list[tuple[str, str, dict]] = []

    def resolve(node: nodes.Node, scope: dict[str, Any]) -> tuple[Any, str | None]:
        """Return the sample value an expression stands for, and its dotted text."""
        if isinstance(node, nodes.Name):
            return scope.get(node.name, _MISSING), node.name
        if isinstance(node, nodes.Getattr):
            key = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) \
                and isinstance(node.arg.value, str):
            key = node.arg.value
        else:
            visit(node, scope)
            return _MISSING, None
        base, text = resolve(node.node, scope)
        if isinstance(base, dict) and base:
            if key in base:
                return base[key], f"{text}.{key}" if text else None
            if text:
                found.append((text, key, base))
        return _MISSING, None

    def visit(node: nodes.Node, scope: dict[str, Any]) -> None:
        if isinstance(node, (nodes.Getattr, nodes.Getitem)):
            resolve(node, scope)
            if isinstance(node, nodes.Getitem):
                visit(node.arg, scope)
            return
        if isinstance(node, nodes.For):
            items, _ = resolve(node.iter, scope)
            inner = dict(scope, loop=_MISSING)
            for target in _names(node.target):
                inner[target] = _MISSING
            if isinstance(node.target, nodes.Name) and isinstance(items, list) and items:
                inner[node.target.name] = items[0]
            for child in (*node.body, *([node.test] if node.test else [])):
                visit(child, inner)
            for child in node.else_:
                visit(child, scope)
            return
        if isinstance(node, (nodes.Assign, nodes.AssignBlock)):
            for target in _names(node.target):
                scope[target] = _MISSING
        if isinstance(node, (nodes.Macro, nodes.CallBlock)):
            inner = dict(scope)
            for argument in getattr(node, "args", []):
                inner[argument.name] = _MISSING
            for child in node.body:
                visit(child, inner)
            return
        for child in node.iter_child_nodes():
            visit(child, scope)

    visit(tree, dict(context))
    yield from found


def _names(target: nodes.Node) -> list[str]:
    """Return the names an assignment or loop target binds (`x`, or `k, v`)."""
    if isinstance(target, nodes.Name):
        return [target.name]
    return [name.name for name in target.find_all(nodes.Name)]


# --- Messages -----------------------------------------------------------------------------------

_UNSAFE = re.compile(r"access to attribute '(?P<name>[^']*)' of '[^']*' object is unsafe")


def describe_error(error: TemplateError) -> str:
    """Return a Jinja error in Danish where it is a common one, else Jinja's own words."""
    message = getattr(error, "message", None) or str(error)
    if isinstance(error, SecurityError):  # the sandbox refused Python internals or changing data
        match = _UNSAFE.search(message)
        what = f'"{match["name"]}" er ikke tilladt' if match else "skabelonen forsøger noget, som ikke er tilladt"
        return f"{what} i en skabelon; en skabelon kan kun vise pipelinens variabler med dens filtre"
    if isinstance(error, UndefinedError):
        if match := re.fullmatch(r"'(\w+)' is undefined", message):
            return f'ukendt variabel "{match.group(1)}"'
        if match := re.fullmatch(r"'.+' has no attribute '(.+)'", message):
            return f'ukendt felt "{match.group(1)}"'
    if match := re.match(r"Encountered unknown tag '(\w+)'", message):
        return f'ukendt eller malplaceret tag "{match.group(1)}"'
    if match := re.match(r"No filter named '(\w+)'", message):
        return f'ukendt filter "{match.group(1)}"'
    if match := re.match(r"unexpected '(.+)'", message):
        return f'uventet "{match.group(1)}"'
    if message.startswith("Unexpected end of template"):
        return "et {% for %} eller {% if %} afsluttes aldrig"
    return message


def _find(source: _Source, pattern: str) -> str:
    """Return the text around the first tag matching `pattern` (a regex), for a message."""
    expression = re.compile(pattern)
    for paragraph in source.paragraphs:
        for match in _TAG.finditer(paragraph.text):
            if expression.search(match.group()):
                return _around(paragraph.text, match.start(), match.end())
    return "?"


def _around(text: str, start: int, end: int, margin: int = 30) -> str:
    """Return text[start:end] with up to `margin` characters either side, cut at words, `…` marking cuts."""
    before, after = text[max(0, start - margin):start], text[end:end + margin]
    if start > margin:
        before = "… " + before.split(" ", 1)[-1].lstrip() if " " in before else "… "
    if end + margin < len(text):
        after = after.rsplit(" ", 1)[0].rstrip() + " …" if " " in after else " …"
    return " ".join((before + text[start:end] + after).split())


def _shorten(text: str, limit: int = 90) -> str:
    """Return `text` cut to `limit` characters around its first tag."""
    if len(text) <= limit:
        return text
    match = _OPENER.search(text)
    start = match.start() if match else 0
    return _around(text, start, min(len(text), start + limit // 2), limit // 4)


def _suggest(name: str, known: Iterable[str]) -> str:
    """Return `; mente du "x"?` for the closest known name, or nothing when none is close."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f'; mente du "{close[0]}"?' if close else ""
