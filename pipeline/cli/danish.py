"""Click in Danish: its own messages from the catalogue in locale/, and help with Danish headings.

This module is the one place that reaches into Click beyond its public API (the `_` and
`ngettext` its modules use for their messages); `tests/test_danish_click.py` pins that, so a
Click upgrade that changes it fails there first.
"""

from __future__ import annotations

import gettext
import sys
from pathlib import Path
from typing import ClassVar

import click

CLICK_CATALOGUE = Path(__file__).with_name("locale")


def install_catalogue() -> None:
    """Give Click's own messages ("No such command", "Try … for help") the Danish catalogue.

    Click marks them with `from gettext import gettext as _`, which looks up the process-wide
    default domain in the user's locale; a nightly cron job runs in the C locale, and binding the
    default domain would reach every other library too. So Click's modules alone get a Danish
    translation, whatever the locale. Must run before any option is declared: `click.Path`
    translates its name ("file") when it is created.
    """
    translation = gettext.translation("click", CLICK_CATALOGUE, languages=["da"], fallback=True)
    for name, module in list(sys.modules.items()):
        if name == "click" or name.startswith("click."):
            if getattr(module, "_", None) is gettext.gettext:
                module._ = translation.gettext
            if getattr(module, "ngettext", None) is gettext.ngettext:
                module.ngettext = translation.ngettext


class DanishHelp(click.HelpFormatter):
    """Click's help layout with Danish headings."""

    HEADINGS: ClassVar[dict[str, str]] = {"Options": "Tilvalg", "Commands": "Kommandoer", "Arguments": "Argumenter"}

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "Brug: " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(self.HEADINGS.get(heading, heading))


class DanishContext(click.Context):
    """A context whose help comes out with Danish headings."""

    formatter_class = DanishHelp


class DanishCommand(click.Command):
    """A command whose help (headings and the --help option itself) is in Danish."""

    context_class = DanishContext

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[TILVALG]")
        super().__init__(*args, **kwargs)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "Vis denne hjælp og afslut."
        return option
