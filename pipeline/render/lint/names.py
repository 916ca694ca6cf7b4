"""Parse a whole part as Jinja does, and check the names it uses against what rendering offers.

A syntax error that no tag parsed alone shows (`tags.py` parses each tag alone) is reported
at the tags on the line Jinja names. Then each filter and test must be one the environment has,
and each variable and field one the template's sample context has (see `fields.py`); the fixes
point to the list in the README, under "Skabelonvariabler".
"""

from __future__ import annotations

import html
import re
from typing import Any

from jinja2 import Environment, meta, nodes
from jinja2.exceptions import TemplateAssertionError, TemplateSyntaxError

from pipeline.render.lint.fields import unknown_fields
from pipeline.render.lint.locate import Locator
from pipeline.render.lint.model import Place, Source, clip
from pipeline.render.lint.report import Report, around_tag
from pipeline.render.messages import explain, suggest
from pipeline.render.templating import environment


def check_names(source: Source, report: Report, context: dict[str, Any] | None, quiet: bool) -> None:
    """Report a syntax error (unless `quiet`: one is reported already), else unknown names.

    Filters and tests are always checked; variables and fields only with a sample `context`.
    """
    env = environment()  # its own: unknown filters and tests are added to it once reported
    try:
        tree = env.parse(source.jinja)
    except TemplateSyntaxError as error:
        if not quiet:
            _syntax(source, error, report)
        return
    locate = Locator(source)
    _check_filters_and_tests(source, tree, env, locate, report)
    if context is None:
        return
    try:
        undeclared = meta.find_undeclared_variables(tree)  # compiles: may find more errors
    except TemplateAssertionError as error:
        if not quiet:
            _syntax(source, error, report)
        return
    for name in sorted(undeclared - set(context) - set(env.globals)):
        line = next((n.lineno for n in tree.find_all(nodes.Name) if n.name == name), None)
        tag = locate(line, rf"(?<![\w.]){re.escape(name)}\b")
        report.say_near(source, tag, f'ukendt variabel "{name}"', suggest(name, context)
                        or "se variablerne i README under Skabelonvariabler")
    _check_fields(source, tree, context, locate, report)


def _check_filters_and_tests(source: Source, tree: nodes.Template, env: Environment, locate: Locator,
                             report: Report) -> None:
    """Report each filter and test the environment does not have, once; then let it stand in."""
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        known = env.filters if isinstance(node, nodes.Filter) else env.tests
        if node.name in known:
            continue
        what = "filter" if isinstance(node, nodes.Filter) else "test"
        name = re.escape(node.name)
        tag = locate(node.lineno, rf"\|\s*{name}\b|\bis\s+(?:not\s+)?{name}\b")
        plural = "filtre" if what == "filter" else "tests"
        report.say_near(source, tag, f'ukendt {what} "{node.name}"', suggest(node.name, known)
                        or f"se de mulige {plural} i README under Skabelonvariabler")
        known[node.name] = _stand_in  # reported once; lets the variable check compile the template


def _check_fields(source: Source, tree: nodes.Template, context: dict[str, Any], locate: Locator,
                  report: Report) -> None:
    """Report each field the sample data does not have, telling a list (which has none) from a record."""
    for line, expression, name, known in unknown_fields(tree, context):
        tag = locate(line, rf"\.\s*{re.escape(name)}\b|\[\s*['\"]{re.escape(name)}['\"]\s*\]")
        if isinstance(known, list):
            report.say_near(source, tag, f'"{expression}" er en liste, så den har intet felt "{name}"',
                            f'gå listen igennem med en løkke, fx {{%p for x in {expression} %}} … '
                            f'{{{{ x.{name} }}}} … {{%p endfor %}}, eller vælg ét element: {expression}[0].{name}')
        else:
            report.say_near(source, tag, f'"{expression}" har intet felt "{name}"', suggest(name, known)
                            or "se felterne i README under Skabelonvariabler")


def _syntax(source: Source, error: TemplateSyntaxError, report: Report) -> None:
    """Report a syntax error no single tag explains, at the tags on the line Jinja names."""
    what, fix = explain(error.message or "")
    tag = Locator(source)(error.lineno, "")
    if tag is not None:
        report.say(tag, f'fejl i skabelonkoden: {what}, i "{around_tag(tag)}"', fix)
        return
    lines = source.jinja.splitlines()
    line = lines[error.lineno - 1] if error.lineno and error.lineno <= len(lines) else ""
    nearby = html.unescape(re.sub(r"<[^>]+>", "", line)).strip()
    report.say(Place(source.template, source.part, line=0 if source.word else error.lineno or 0),
               f"fejl i skabelonkoden: {what}" + (f', i "{clip(nearby, 80)}"' if nearby else ""), fix)


def _stand_in(*args: Any, **kwargs: Any) -> None:
    """Stand in for an unknown filter or test once it has been reported."""
