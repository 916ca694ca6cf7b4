"""Accessibility proven by independent checkers: PDF/UA-1 by `page` on single and split overviews,
and the timeline's status shown in words and shapes in both the PDF and the web page.

The web page in a real browser is tested in tests/test_browser.py, the Word documents in
tests/test_word_accessibility.py.
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import page
import pytest
from pypdf import PdfReader

from pipeline.core.model import Document
from pipeline.documents.planning import plan_documents
from pipeline.render import overview
from pipeline.render.dispatch import render
from pipeline.source.read import read_workbook
from pipeline.source.validate import validate

from conftest import TEMPLATES, write_xlsx

PDF = "oversigter/implementeringsplan_2017.pdf"
HTML = "oversigter/implementeringsplan_2017.html"
STATUS_HEADER = ("Dato", "Tema", "Aktivitet", "Deltagerkreds", "Status")

# A plan with every status and every timeline form: a period, a single day, a meeting, the
# whole year, and one wholly after the year; in date order, as the overview shows it.
STATUS_ROWS = [
    ("Løbende", "Formidling til ledere", "Præsentation af visionen på ledermøder",
     "Ledergrupper", "I gang"),
    ("Marts", "Grafisk formidling", "Udvikling af fortælledesign", "Public Agency", "Gennemført"),
    ("8. maj", "Fortællinger", "Chefgruppen udvælger indsatser", "Chefgruppen", "Gennemført"),
    ("21. maj", "Dialog med borgerne", "Cykeltur rundt i Ballerup", "Borgere", "Aflyst"),
    ("30. maj", "Fortællinger", "Drøftelse af de udvalgte indsatser", "BSU", "Udskudt"),
    ("Juni-september", "Formidling af indsatser", "Kampagne på hjemmesiden", "Administrationen",
     "Aflyst"),
    ("19. juni", "Status", "Orienteringssag", "KMB", "Planlagt"),
    ("Juli-august", "Formidling af indsatser", "Artikler i lokalavisen", "Administrationen",
     "Udskudt"),
    ("2018", "Seminar", "Introduktion for den nye kommunalbestyrelse", "Politikerne", "Udskudt"),
]
STATUS_WORDS = {"Gennemført": "gennemført", "Aflyst": "aflyst", "Udskudt": "udskudt"}


def overview_of(path: Path) -> dict[str, Document]:
    """Return the PDF and HTML overview documents of the plan file at `path`."""
    plan = validate(read_workbook(path))
    return {str(d.path): d for d in plan_documents([plan]) if d.path.parent.name == "oversigter"}


def pdf_ua_failures(pdf: bytes) -> list[str]:
    """Return the failed PDF/UA-1 rules `page` reports for `pdf`, as `RULE: message` lines."""
    report = page.validate_pdf_bytes(pdf, profile="ua1")
    failures = [f"{failure.rule_id}: {failure.message}" for failure in report.failures]
    assert report.is_compliant == (not failures)
    return failures


def rule_counts(pdf: bytes) -> tuple[int, int]:
    """Return (rules passed, rules failed) as `page` counts them for PDF/UA-1."""
    summary = str(page.validate_pdf_bytes(pdf, profile="ua1"))
    passed, failed = map(int, re.search(r"Rules: (\d+) passed, (\d+) failed", summary).groups())
    return passed, failed


@pytest.fixture(scope="module")
def status_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Document]:
    path = tmp_path_factory.mktemp("status") / "implementeringsplan_2017.xlsx"
    return overview_of(write_xlsx(path, STATUS_ROWS, header=STATUS_HEADER))


@pytest.fixture(scope="module")
def status_pdf(status_plan: dict[str, Document]) -> bytes:
    return render(status_plan[PDF], TEMPLATES)


@pytest.fixture(scope="module")
def status_split_pdf(status_plan: dict[str, Document]) -> bytes:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(overview.CHUNK_VARIABLE, "3")
        return render(status_plan[PDF], TEMPLATES)


# --- PDF/UA-1 ----------------------------------------------------------------------------------

def test_sample_overview_passes_pdf_ua_1(sample_documents: dict[str, Document]) -> None:
    pdf = render(sample_documents[PDF], TEMPLATES)
    assert pdf_ua_failures(pdf) == []
    passed, failed = rule_counts(pdf)
    assert failed == 0 and passed >= 100  # page checks about a hundred rules; none may fail


def test_split_sample_overview_passes_pdf_ua_1(sample_documents: dict[str, Document],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(overview.CHUNK_VARIABLE, "3")  # 13 rows: five parts, one tagged PDF
    pdf = render(sample_documents[PDF], TEMPLATES)
    assert len(PdfReader(BytesIO(pdf)).pages) > 4
    assert pdf_ua_failures(pdf) == []


def test_overviews_with_status_pass_pdf_ua_1(status_pdf: bytes, status_split_pdf: bytes) -> None:
    assert pdf_ua_failures(status_pdf) == []
    assert pdf_ua_failures(status_split_pdf) == []


def test_the_checker_finds_a_list_holding_more_than_items(tmp_path: Path,
                                                         sample_documents: dict[str, Document]) -> None:
    """The legend's items side by side as inline blocks leave the spaces between them as text
    inside the list, which PDF/UA-1 forbids (PDFUA1-L-KIDS-001): the checker must see that."""
    import shutil

    templates = shutil.copytree(TEMPLATES, tmp_path / "templates")
    css = templates / "oversigt.css"
    css.write_text(css.read_text("utf-8") + "\nul.forklaring { display: block; }\n"
                   "ul.forklaring li { display: inline-block; }\n", "utf-8")
    failures = pdf_ua_failures(render(sample_documents[PDF], templates))
    assert any(f.startswith("PDFUA1-L-KIDS-001") for f in failures), failures


# --- The timeline shows status in words and signs, and its labels tell rows apart ---------------

SIGNS = {"gennemført": "✓", "aflyst": "✕", "udskudt": "→"}
# Each status row's timeline text (date, committees, note) followed by its sign and word.
STATUS_TEXTS = [
    "Marts · ✓ gennemført",
    "8. maj · ✓ gennemført",
    "21. maj · ✕ aflyst",
    "30. maj · BSU · → udskudt",
    "Juni-september · ✕ aflyst",
    "Juli-august · → udskudt",
    "2018 (efter 2017) · → udskudt",
]
LEGEND = ["✓ Gennemført: bjælken er fyldt helt ud",
          "✕ Aflyst: bjælken eller mærket er streget over",
          "→ Udskudt: bjælken eller mærket har prikket kant uden fyld"]


def timeline_text(pdf: bytes) -> str:
    """Return the PDF's text from the timeline heading on, white space collapsed."""
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(BytesIO(pdf)).pages)
    return text[text.index("Tidslinje 2017"):]


@pytest.mark.parametrize("split", [False, True])
def test_pdf_timeline_states_each_status_in_words_and_signs(split: bool, status_pdf: bytes,
                                                            status_split_pdf: bytes) -> None:
    text = timeline_text(status_split_pdf if split else status_pdf)
    for legend in LEGEND:
        assert legend in text
    for expected in STATUS_TEXTS:
        assert expected in text, expected
    # Planned and started activities carry no status word in the timeline.
    assert "19. juni · KMB Formidling af indsatser" in text
    assert "ledermøder Løbende Grafisk" in text
    assert text.count("gennemført") == 2 and text.count("aflyst") == 2 and text.count("udskudt") == 3


def test_html_timeline_marks_each_status_with_a_pattern_sign_and_word(
        status_plan: dict[str, Document]) -> None:
    from lxml import html as lxml_html

    tree = lxml_html.document_fromstring(render(status_plan[HTML], TEMPLATES))
    rows = tree.findall(".//table[@class='tidslinje']/tbody/tr")
    assert len(rows) == len(STATUS_ROWS)
    legend = [" ".join(li.text_content().split()) for li in tree.findall(".//ul[@class='forklaring']/li")]
    assert legend[-3:] == LEGEND
    for row, (*_, status) in zip(rows, STATUS_ROWS):
        word = STATUS_WORDS.get(status)
        shape = row.find(".//div[@aria-hidden='true']")
        text = " ".join(row.text_content().split())
        if word is None:
            assert not any(w in text for w in SIGNS), text
            assert not set(shape.get("class").split()) & {"gennemfoert", "aflyst", "udskudt"}
            continue
        assert f"{SIGNS[word]} {word}" in text
        form = {"gennemført": "gennemfoert"}.get(word, word)
        assert form in row.get("class").split() and form in shape.get("class").split()
        sign = row.find(".//span[@class='statustegn']")
        assert sign.get("aria-hidden") == "true"  # the word is read, the sign only seen


def test_timeline_labels_tell_the_samples_rows_apart(sample_documents: dict[str, Document]) -> None:
    from pipeline.documents.overview import LABEL_LENGTH, overview_variables

    items = overview_variables(sample_documents[PDF], lambda a: {})["tidslinje"]
    labels = [item["etiket"] for item in items]
    assert len(set(labels)) == len(labels) == 13
    assert all(len(label) <= LABEL_LENGTH for label in labels)
    meetings = [label for label in labels if "Drøftelse af" in label]
    assert [m.rsplit(" · ", 1)[1] for m in meetings] == ["30. maj", "6. juni", "13. juni"]
    assert all(m.startswith("Fortællinger der illustrerer") for m in meetings)  # theme first
    assert "Status: Orienteringssag" in labels
    full = {item["etiket"]: item["fuld_tekst"] for item in items}
    assert full["Status: Orienteringssag"] == "Status: Orienteringssag"
    assert full[meetings[0]].startswith("Fortællinger der illustrerer Vision 2029 – Hvordan "
                                        "realiseres Vision 2029: Drøftelse af de af chefgruppen")


def test_timeline_labels_are_numbered_when_date_and_text_are_the_same(tmp_path: Path) -> None:
    from pipeline.documents.overview import overview_variables

    rows = [("8. maj", "Tema", "Møde", "Chefgruppen")] * 3
    documents = overview_of(write_xlsx(tmp_path / "implementeringsplan_2017.xlsx", rows))
    labels = [t["etiket"] for t in overview_variables(documents[PDF], lambda a: {})["tidslinje"]]
    assert labels == ["Tema: Møde · 8. maj (1)", "Tema: Møde · 8. maj (2)", "Tema: Møde · 8. maj (3)"]


def test_the_pdf_is_made_without_a_warning_from_weasyprint(sample_documents: dict[str, Document],
                                                          caplog: pytest.LogCaptureFixture) -> None:
    """The web page's narrow-screen rules must not reach WeasyPrint, which cannot read them."""
    with caplog.at_level("WARNING"):
        render(sample_documents[PDF], TEMPLATES)
    assert [r.getMessage() for r in caplog.records if "WeasyPrint" in r.getMessage()] == []
