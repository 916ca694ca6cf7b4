"""The one Jinja environment every template is rendered with, Word and HTML alike.

Strict (an unknown variable is an error, not an empty string), autoescaped (spreadsheet text
is data: `<b>` and `&` come out literally, in XML and in HTML), and sandboxed (a template
from the shared folder cannot reach Python internals, change data, or build a string or
number big enough to exhaust memory). The Danish filters live here.
"""

from __future__ import annotations

import functools
from datetime import date

from jinja2 import StrictUndefined, Template
from jinja2.exceptions import SecurityError
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment

from pipeline.core import danish


def period_label(value: object) -> str:
    """Return a period's label as the plan writes it (`Juni-september`); dates as `19. juni 2017`."""
    if isinstance(value, date):
        return danish.short_date(value)
    label = getattr(value, "label", None)
    return str(label if label is not None else value)


def paragraphs(value: object) -> str:
    """Return cell text with each line marked as its own Word paragraph (docxtpl splits on `\\a`).

    For Word templates only: docxtpl turns `\\a` in a rendered value into a new paragraph with
    the same style, where a bare `\\n` would only become a line break.
    """
    return "\a".join(str(value).split("\n"))


def one_line(value: object) -> str:
    """Return cell text on one line, its lines joined by a dash (for use inside a sentence)."""
    return " – ".join(line.strip() for line in str(value).split("\n") if line.strip())


FILTERS = {
    "langdato": danish.long_date,   # mandag den 19. juni 2017
    "dato": danish.short_date,      # 19. juni 2017
    "dagmaaned": danish.day_month,  # 19. juni
    "uge": danish.iso_week,         # uge 25
    "liste": danish.join,           # BSU, TMU og SSU
    "periode": period_label,        # Juni-september
    "afsnit": paragraphs,           # Word: each line of a cell as its own paragraph
    "linje": one_line,              # "Tema, linje 1 – linje 2" inside a sentence
    # HTML: a cell's lines as a list, one <p> each ("Hjemmeside\nPresse" → ["Hjemmeside", "Presse"]).
    "linjer": lambda value: [line for line in str(value).split("\n") if line.strip()],
    # HTML: a fraction of the timeline as a CSS percentage, fixed precision (0.5 → "50.000%").
    "procent": lambda fraction: f"{float(fraction) * 100:.3f}%",
}


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, which also refuses arithmetic that would exhaust memory.

    The sandbox already caps `range()`; `'x' * 10**9` and `9 ** 10**9` it lets through, and a
    template in the shared folder could stall the nightly build with either.
    """

    intercepted_binops = frozenset({"*", "**"})
    MAX_ITEMS = MAX_RANGE  # the longest string or list `*` may make (as many as `range()` may)
    MAX_EXPONENT = 1000

    def call_binop(self, context: object, operator: str, left: object, right: object) -> object:
        if operator == "**" and isinstance(right, int) and abs(right) > self.MAX_EXPONENT:
            raise SecurityError(f"Power too big (exponent above {self.MAX_EXPONENT}).")
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if (isinstance(sequence, (str, list, tuple)) and isinstance(count, int)
                        and len(sequence) * count > self.MAX_ITEMS):
                    raise SecurityError(f"Repetition too big (more than {self.MAX_ITEMS} items).")
        return super().call_binop(context, operator, left, right)


def environment(**options) -> ImmutableSandboxedEnvironment:
    """Return a new strict, autoescaping, sandboxed environment with the Danish filters."""
    return _made(_Sandbox, **options)


def _made(sandbox: type[_Sandbox], **options) -> _Sandbox:
    env = sandbox(undefined=StrictUndefined, autoescape=True, keep_trailing_newline=True, **options)
    env.filters.update(FILTERS)
    return env


class _CompilingOnce(_Sandbox):
    """The sandbox for Word documents: each distinct template source is compiled once.

    docxtpl hands every part of every document to `from_string` afresh (nine parts of a
    discussion note: body, headers, footers), and compiling them was about half of a Word
    document's rendering; the parts of one template are the same text every time."""

    KEEP = 64  # sources kept compiled (a few templates of a few parts each)

    def __init__(self, **options: object):
        super().__init__(**options)
        self.compiled: dict[str, Template] = {}

    def from_string(self, source: str | Template, globals: dict | None = None,  # Jinja's parameter names
                    template_class: type[Template] | None = None) -> Template:
        if not isinstance(source, str) or globals is not None or template_class is not None:
            return super().from_string(source, globals, template_class)
        template = self.compiled.get(source)
        if template is None:
            if len(self.compiled) >= self.KEEP:
                self.compiled.clear()
            template = self.compiled[source] = super().from_string(source)
        return template


@functools.cache
def word_environment() -> ImmutableSandboxedEnvironment:
    """Return this process's environment for Word documents: `environment()`'s rules, with each
    template part compiled once (docxtpl sets its `autoescape`, always to True here)."""
    return _made(_CompilingOnce)
