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
from conftest import TEMPLATES, write_xlsx
from pypdf import PdfReader

from pipeline import overview
from pipeline.model import Document
from pipeline.plan import plan_documents
from pipeline.read import read_workbook
from pipeline.render import render
from pipeline.validate import validate

PDF = "oversigter/implementeringsplan_2017.pdf"
HTML = "oversigter/implementeringsplan_2017.html"
STATUS_HEADER = ("Dato", "Tema", "Aktivitet", "Deltagerkreds", "Status")

# A plan with every status and every timeline form: a period, a single day, a meeting, the
# whole year, and one wholly after the year.
STATUS_ROWS = [
    ("Løbende", "Formidling til ledere", "Præsentation af visionen på ledermøder",
     "Ledergrupper", "I gang"),
    ("Marts", "Grafisk formidling", "Udvikling af fortælledesign", "Public Agency", "Gennemført"),
    ("8. maj", "Fortællinger", "Chefgruppen udvælger indsatser", "Chefgruppen", "Gennemført"),
    ("21. maj", "Dialog med borgerne", "Cykeltur rundt i Ballerup", "Borgere", "Aflyst"),
    ("30. maj", "Fortællinger", "Drøftelse af de udvalgte indsatser", "BSU", "Udskudt"),
    ("Juni-september", "Formidling af indsatser", "Kampagne på hjemmesiden", "Administrationen",
     "Aflyst"),
    ("Juli-august", "Formidling af indsatser", "Artikler i lokalavisen", "Administrationen",
     "Udskudt"),
    ("19. juni", "Status", "Orienteringssag", "KMB", "Planlagt"),
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
