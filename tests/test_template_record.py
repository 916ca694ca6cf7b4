"""A build skips the template linter only for the very templates that passed it before."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import docx
import pytest

from pipeline.core.errors import TemplateError
from pipeline.engine.build import build
from pipeline.engine.gather import CHECKED, templates_passed
from pipeline.engine.manifest import FOLDER
from pipeline.engine.options import BuildOptions

from conftest import SAMPLE


def options(project: Path) -> BuildOptions:
    return BuildOptions(plans=(project / "input" / SAMPLE.name,), output=project / "output",
                        templates=project / "templates", jobs=1, today=date(2017, 1, 1))


def documents(output: Path) -> dict[str, bytes]:
    return {p.relative_to(output).as_posix(): p.read_bytes() for p in sorted(output.rglob("*.docx"))}


def test_a_template_broken_after_a_clean_build_is_linted_again(project):
    build(options(project))
    assert templates_passed(project / "output", project / "templates")
    before = documents(project / "output")
    # A case officer types an `if` into the note's template in Word and forgets its `endif`.
    path = project / "templates" / "droeftelse.docx"
    template = docx.Document(path)
    template.add_paragraph("{% if udvalg %}Kun for udvalget")
    template.save(path)
    with pytest.raises(TemplateError, match=r"droeftelse\.docx"):
        build(options(project))
    assert documents(project / "output") == before


def test_the_record_names_exactly_the_templates_that_passed(project):
    output, templates = project / "output", project / "templates"
    assert not templates_passed(output, templates)  # no build yet
    build(options(project))
    record = output / FOLDER / CHECKED
    assert templates_passed(output, templates)
    css = templates / "oversigt.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* ændret */\n", encoding="utf-8")
    assert not templates_passed(output, templates)  # any byte of any template file counts
    for planted in (b"{}", b"[]", b"\xff", json.dumps({"passed": "0" * 64}).encode()):
        record.write_bytes(planted)
        assert not templates_passed(output, templates)
    record.unlink()
    record.mkdir()  # something else where the record goes is no record
    assert not templates_passed(output, templates)
