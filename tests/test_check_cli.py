"""`pipeline check-templates` goes through the CLI's one error path, and `--verbose` is everywhere it is suggested."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli.app import cli

from conftest import ROOT, TEMPLATES
from word_edits import DISCUSSION, copy_templates, retype


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_takes_verbose_which_the_unexpected_error_message_suggests(command):
    options = {option for param in cli.commands[command].params for option in param.opts}
    assert {"-v", "--verbose"} <= options


@pytest.mark.parametrize("flag", ["-v", "--verbose"])
def test_check_templates_with_verbose(flag):
    result = CliRunner().invoke(cli, ["check-templates", "-t", str(TEMPLATES), flag])
    assert (result.exit_code, result.output) == (0, f"Skabelonerne i {TEMPLATES} er i orden.\n")


def test_a_template_problem_exits_2_in_danish_without_a_traceback(tmp_path: Path):
    """A real process: the TemplateError reaches the CLI's error handling, also with --verbose."""
    templates = copy_templates(tmp_path / "templates")
    retype(templates / DISCUSSION, "{{ q }}", "{{ spoergsmaal[0] }} {{ aar + }}")
    for extra in ([], ["--verbose"]):
        done = subprocess.run([sys.executable, "-m", "pipeline", "check-templates", "-t", str(templates), *extra],
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert done.returncode == 2
        assert done.stdout == ""
        assert done.stderr == (
            f"Fejl: 1 problem(er) i skabelonerne i {templates}:\n"
            'droeftelse.docx, under overskriften "Spørgsmål til drøftelse", afsnit 28: tagget "{{ aar + }}" kan '
            'ikke læses: tagget slutter ("}}"), før udtrykket i det er færdigt; fjern det tegn, der står for '
            "meget, eller skriv det, der mangler\n")
