"""Click's own messages (usage errors, suggestions) come out in Danish, in any locale."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from pipeline.cli.app import cli
from pipeline.cli.danish import CLICK_CATALOGUE

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from compile_catalogue import CATALOGUE, compiled

ENGLISH = re.compile(r"\b(Error|Usage|Try|No such|Invalid value|Did you mean|not in the range|help\.)\b")
MESSAGES = {
    ("biuld",): "Brug: pipeline [TILVALG] KOMMANDO [ARGUMENTER]...\n"
                "Skriv 'pipeline --help' for at få hjælp.\n\n"
                "Fejl: Kommandoen 'biuld' findes ikke. Mente du 'build'?\n",
    ("build", "--year", "17"): "Brug: pipeline build [TILVALG] [PLAN]...\n"
                               "Skriv 'pipeline build --help' for at få hjælp.\n\n"
                               "Fejl: Ugyldig værdi for '--year': 17 er ikke i intervallet 1900<=x<=2200.\n",
    ("build", "--nope"): "Brug: pipeline build [TILVALG] [PLAN]...\n"
                         "Skriv 'pipeline build --help' for at få hjælp.\n\n"
                         "Fejl: Tilvalget '--nope' findes ikke. (Mente du en af disse: '--force', '--reopen'?)\n",
}


@pytest.mark.parametrize("args", sorted(MESSAGES))
def test_usage_errors_are_danish(args):
    result = CliRunner().invoke(cli, list(args), prog_name="pipeline")
    assert result.exit_code == 2
    assert result.output == MESSAGES[args]
    assert not ENGLISH.search(result.output)


@pytest.mark.parametrize("args", sorted(MESSAGES))
def test_the_installed_command_is_danish_in_the_c_locale(args):
    """As a scheduler runs it: its own process, no Danish locale."""
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "LANGUAGE": ""}
    done = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == MESSAGES[args]


def test_other_value_errors_are_danish_too():
    result = CliRunner().invoke(cli, ["build", "--year", "abc"], prog_name="pipeline")
    assert result.output.splitlines()[-1] == "Fejl: Ugyldig værdi for '--year': 'abc' er ikke et gyldigt tal."
    result = CliRunner().invoke(cli, ["build", "--jobs"], prog_name="pipeline")
    assert result.output == "Fejl: Tilvalget '--jobs' skal have en værdi.\n"


def test_only_clicks_modules_get_the_catalogue():
    import gettext

    assert click.core._("Missing command.") == "Der mangler en kommando."
    assert click.exceptions.ngettext("Option {name!r} requires an argument.",
                                     "Option {name!r} requires {nargs} arguments.", 2) \
        == "Tilvalget {name!r} skal have {nargs} værdier."
    assert gettext.gettext("Missing command.") == "Missing command."  # the default domain is untouched


def test_the_compiled_catalogue_matches_its_source():
    assert CATALOGUE.parent == CLICK_CATALOGUE / "da" / "LC_MESSAGES"
    assert CATALOGUE.with_suffix(".mo").read_bytes() == compiled(), \
        "run tools/compile_catalogue.py after editing click.po"
