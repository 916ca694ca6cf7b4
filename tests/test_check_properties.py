"""The checker answers any template a person can save with a list of Danish messages and never raises.

Generated template text (Jinja-ish fragments: tags, docxtpl prefixes, filters with arguments,
indexes, slices, curly quotes, broken brackets) is put into real files: Word documents built
with python-docx (paragraphs, runs with mixed formatting, table cells) and HTML templates.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import docx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_check_messages import danish_only

from pipeline.render.lint.check import check_template

from conftest import TEMPLATES

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FRAGMENTS = [
    "{{", "}}", "{%", "%}", "{#", "#}", "{%p ", "{%tr ", "{%tc ", "{%r ", "{{p ", "{%-", "-%}", " ", " ", "\n",
    "if ", "elif ", "else", "endif", "for ", " in ", "endfor", "set ", " = ", "raw", "endraw", "with", "endwith",
    "macro", "call", "filter", "block", "loop.index", "loop",
    "spoergsmaal", "indsatser", "bilag", "udvalg", "andre_udvalg", "gennemfoert", "r", "q", "x", "aar", "tema",
    "[0]", "[1:]", "[-1]", "[", "]", "[]", "(", ")", ".navn", ".titel", ".udvalg", ".", ",", "'", '"',
    "|upper", "|join(', ')", "|default('–')", "|langdato", "|uge", "|map(attribute='navn')", "|ukendt", "|",
    "|truncate(20)", " is defined", " is ", " not ", " and ", " or ", " + ", " ~ ", " == ", " % ", "**", "*",
    "„", "“", "”", "‘", "’", "»", "æøå", "Å", "1", "2.5", "-", "\\", "<w:p>", "&", "<b>", "\t",
]
TEXT = st.lists(st.sampled_from(FRAGMENTS), max_size=24).map("".join)
# Well-formed-looking tags, so that many examples get past the syntax checks into the deeper ones.
NAMES = st.sampled_from(["spoergsmaal", "indsatser", "bilag", "udvalg", "andre_udvalg", "aar", "tema", "q", "x"])
ACCESS = st.lists(st.sampled_from(["[0]", "[1:]", ".navn", ".titel", "['navn']", "|upper", "|first", "|length",
                                   "|join(', ')", "|default('')", "|map(attribute='navn')", ".udvalg"]), max_size=3)
EXPRESSION = st.builds(lambda name, parts: name + "".join(parts), NAMES, ACCESS)
TAGS = st.one_of(
    EXPRESSION.map(lambda e: f"{{{{ {e} }}}}"),
    st.tuples(st.sampled_from(["", "p", "tr", "tc"]), st.sampled_from(["if ", "for x in ", "elif ", "set y = "]),
              EXPRESSION).map(lambda t: f"{{%{t[0]} {t[1]}{t[2]} %}}"),
    st.tuples(st.sampled_from(["", "p", "tr"]), st.sampled_from(["else", "endif", "endfor"])).map(
        lambda t: f"{{%{t[0]} {t[1]} %}}"),
)
PIECES = st.lists(st.one_of(TAGS, TEXT), min_size=1, max_size=6).map("".join)
PARAGRAPHS = st.lists(st.one_of(PIECES, TEXT), min_size=1, max_size=6)


def assert_danish_messages(messages: object, name: str) -> None:
    assert isinstance(messages, list)
    for message in messages:
        assert isinstance(message, str) and message.startswith(name), message
        assert danish_only(message), message
        assert "Traceback" not in message and "Error" not in message


def word_template(folder: Path, paragraphs: list[str], bold: list[bool], in_table: bool) -> Path:
    """Write orienteringssag.docx with the paragraphs, each split into runs, some in a table."""
    document = docx.Document()
    target = document.add_table(rows=1, cols=2).rows[0].cells[0] if in_table else document
    for number, text in enumerate(paragraphs):
        paragraph = (target.add_paragraph() if number or not in_table else target.paragraphs[0])
        for index, piece in enumerate(re.split(r"(?<=[{}%#|. ])", text)):  # runs break inside tags too
            paragraph.add_run(piece).bold = bold[(number + index) % len(bold)]
    document.add_heading("Bilag", level=1)
    path = folder / "orienteringssag.docx"
    document.save(str(path))
    return path


@SETTINGS
@given(PARAGRAPHS, st.lists(st.booleans(), min_size=1, max_size=3), st.booleans())
@example(["{{ spoergsmaal[0] }}", "{{ indsatser[0].navn }}", "{{ bilag[0].titel|upper }}"], [False], False)
@example(["{%p if x %}", "{% endif %}", "{%tr for r in bilag %}", "{%p endfor %}"], [False], True)
@example(["{{ " + "(" * 3000 + "aar" + ")" * 3000 + " }}", "{{ a" + ".b" * 3000 + " }}"], [False], False)
@example(["{%p if udvalg.forkortelse == „BSU“ %}", "{{ aar + }}", "{%p endif %}"], [False, True], False)
def test_any_word_template_gets_danish_messages(paragraphs: list[str], bold: list[bool], in_table: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = word_template(Path(folder), paragraphs, bold, in_table)
        assert_danish_messages(check_template(path), "orienteringssag.docx")


@SETTINGS
@given(PARAGRAPHS)
@example(["{{ spoergsmaal[0] }}"])
def test_generated_text_inside_a_real_template_gets_danish_messages(paragraphs: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "droeftelse.docx"
        shutil.copy(TEMPLATES / "droeftelse.docx", path)
        document = docx.Document(str(path))
        anchor = next(p for p in document.paragraphs if p.text == "{{ q }}")
        anchor.runs[0].text = paragraphs[0]
        for text in paragraphs[1:]:
            anchor.insert_paragraph_before(text)
        document.save(str(path))
        assert_danish_messages(check_template(path), "droeftelse.docx")


@SETTINGS
@given(PARAGRAPHS)
@example(["{% for a in aktiviteter %}", "{{ a.tema[0]|upper }}", "{% endfor %}"])
@example(["{{ aar + }} {{ „x“ }} {% if %}"])
def test_any_html_template_gets_danish_messages(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "oversigt.html"
        path.write_text("\n".join(lines), encoding="utf-8")
        assert_danish_messages(check_template(path), "oversigt.html")
