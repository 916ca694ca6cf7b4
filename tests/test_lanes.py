"""A long plan's timeline: one lane per theme (`temaspor`) in the PDF and on the web page, with a
summary in words, while the activity table keeps every activity; PDF/UA-1 still passes.

The threshold, `pipeline.documents.overview.LANES_ABOVE`, is lowered with monkeypatch so that a
small plan (the status plan of tests/test_accessibility.py) is drawn as lanes.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_accessibility import HTML, PDF, STATUS_HEADER, STATUS_ROWS, overview_of, pdf_ua_failures

from pipeline.core.model import Document
from pipeline.documents import overview as variables
from pipeline.documents.overview import overview_variables
from pipeline.render import overview
from pipeline.render.dispatch import render

from conftest import TEMPLATES, write_xlsx

# The status plan's lanes, in the order the themes first appear in the table: (theme with its
# number of activities, the twelve monthly counts).
LANES = [
    ("Formidling til ledere (1)", [1] * 12),
    ("Grafisk formidling (1)", [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ("Fortællinger (2)", [0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]),
    ("Dialog med borgerne (1)", [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]),
    ("Formidling af indsatser (2)", [0, 0, 0, 0, 0, 1, 2, 2, 1, 0, 0, 0]),
    ("Status (1)", [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
    ("Seminar (1)", [0] * 12),
]


@pytest.fixture(scope="module")
def lanes_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Document]:
    path = tmp_path_factory.mktemp("lanes") / "implementeringsplan_2017.xlsx"
    return overview_of(write_xlsx(path, STATUS_ROWS, header=STATUS_HEADER))


@pytest.fixture(scope="module")
def lanes(lanes_plan: dict[str, Document]) -> dict[str, bytes]:
    """The status plan's overviews drawn with lanes: PDF in one go and in parts, and HTML."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(variables, "LANES_ABOVE", 5)
        made = {"pdf": render(lanes_plan[PDF], TEMPLATES), "html": render(lanes_plan[HTML], TEMPLATES)}
        patch.setenv(overview.CHUNK_VARIABLE, "3")
        made["split"] = render(lanes_plan[PDF], TEMPLATES)
    return made


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(BytesIO(pdf)).pages)


def test_the_threshold_chooses_lanes_or_one_line_per_activity(tmp_path: Path) -> None:
    rows = [(f"{1 + i % 28}. maj", f"Tema {i % 7}", f"Aktivitet {i}", "Borgere") for i in range(601)]
    long = overview_of(write_xlsx(tmp_path / "implementeringsplan_2017.xlsx", rows))[PDF]
    context = overview_variables(long, lambda a: {})
    assert variables.LANES_ABOVE == 600
    assert context["tidslinje"] == [] and len(context["temaspor"]) == 7
    assert sum(lane["antal"] for lane in context["temaspor"]) == 601
    assert all(lane["flest"] == "maj" for lane in context["temaspor"])
    (tmp_path / "kort").mkdir()
    short = overview_of(write_xlsx(tmp_path / "kort" / "implementeringsplan_2017.xlsx", rows[:600]))[PDF]
    assert len(overview_variables(short, lambda a: {})["tidslinje"]) == 600


def test_lanes_count_each_themes_activities_per_month(lanes_plan: dict[str, Document],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(variables, "LANES_ABOVE", 5)
    context = overview_variables(lanes_plan[PDF], lambda a: {})
    assert context["tidslinje"] == [] and context["former"] == [] and context["statusser"] == []
    got = [(f"{lane['tema']} ({lane['antal']})", [m["antal"] for m in lane["maaneder"]])
           for lane in context["temaspor"]]
    assert got == LANES
    by_theme = {lane["tema"]: lane for lane in context["temaspor"]}
    assert by_theme["Formidling af indsatser"]["flest"] == "juli"
    assert by_theme["Formidling til ledere"]["flest"] == "" == by_theme["Seminar"]["flest"]
    shades = [m["niveau"] for m in by_theme["Formidling af indsatser"]["maaneder"]]
    assert shades[5:9] == [2, 4, 4, 2] and shades[0] == 0  # relative to the busiest cell (2)


def test_pdf_draws_lanes_and_keeps_every_activity_in_the_table(lanes: dict[str, bytes]) -> None:
    for made in (lanes["pdf"], lanes["split"]):
        text = pdf_text(made)
        timeline = text[text.index("Tidslinje 2017"):]
        assert "ét spor pr. tema" in timeline
        assert "Kort fortalt: 7 temaer. De største: Fortællinger (2 aktiviteter, flest i maj)" in timeline
        assert "Formidling af indsatser (2) 0 0 0 0 0 1 2 2 1 0 0 0" in timeline
        assert "Formidling til ledere (1) 1 1 1 1 1 1 1 1 1 1 1 1" in timeline
        for *_, activity, _participants, _status in STATUS_ROWS:
            assert activity in text[:text.index("Tidslinje 2017")]
        assert "Tegnforklaring" not in text  # no line per activity, so no legend for its shapes


def test_pdf_with_lanes_passes_pdf_ua_1(lanes: dict[str, bytes]) -> None:
    assert pdf_ua_failures(lanes["pdf"]) == []
    assert pdf_ua_failures(lanes["split"]) == []


def test_html_draws_lanes_as_a_table_with_row_and_column_headers(lanes: dict[str, bytes]) -> None:
    from lxml import html as lxml_html

    tree = lxml_html.document_fromstring(lanes["html"])
    assert tree.find(".//table[@class='tidslinje']") is None
    activities = [tr for tr in tree.findall(".//table[@class='plan med-status']/tbody/tr") if not tr.get("class")]
    assert len(activities) == len(STATUS_ROWS)  # the table keeps every activity
    table = tree.find(".//table[@class='temaspor']")
    assert table.get("aria-describedby") == "temaspor-forklaring temaspor-resume"
    assert [th.get("scope") for th in table.findall("./thead/tr/th")] == ["col"] * 13
    rows = table.findall("./tbody/tr")
    got = [(row.find("th").text_content(), [int(td.text_content()) for td in row.findall("td")])
           for row in rows]
    assert got == LANES
    assert all(row.find("th").get("scope") == "row" for row in rows)
    assert "table.temaspor" in tree.find(".//style").text  # the lanes' style sheet is included


def test_a_short_plan_has_no_lanes_nor_their_style(sample_documents: dict[str, Document]) -> None:
    page = render(sample_documents[HTML], TEMPLATES).decode("utf-8")
    assert "temaspor" not in page and 'class="tidslinje"' in page
