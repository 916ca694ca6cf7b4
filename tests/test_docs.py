"""The README keeps up with the code: every command, option, template variable and filter is documented."""

import re

import pytest

from pipeline.cli.app import cli
from pipeline.core.model import DocumentKind
from pipeline.documents.samples import variables
from pipeline.render.templating import FILTERS

from conftest import ROOT

README = (ROOT / "README.md").read_text("utf-8")


def _section(heading: str) -> str:
    return README.split(heading, 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_and_its_options_are_in_the_readme(command):
    assert f"`pipeline {command}" in README
    for param in cli.commands[command].params:
        for option in param.opts:
            if option.startswith("--"):
                assert option in README, f"{command} {option}"


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_every_template_variable_is_documented(kind):
    documented = set(re.findall(r"`([a-z_]+)", _section("### Skabelonvariabler")))
    assert variables(kind) <= documented


def test_every_filter_is_documented():
    assert set(FILTERS) <= set(re.findall(r"`([a-z]+)`", _section("### Skabelonvariabler")))


def test_readme_starts_with_the_two_commands():
    quick_start = README.split("## Kom i gang", 1)[1].split("##", 1)[0]
    assert "make all" in quick_start and "make test" in quick_start


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
