"""The PDF overview and its web page: content, accessibility, a sealed fetcher, identical bytes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zlib
from datetime import date
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from pipeline.core.errors import TemplateError, UsageError
from pipeline.core.model import Document
from pipeline.documents.overview import overview_variables, year_fraction
from pipeline.documents.planning import plan_documents
from pipeline.render import overview
from pipeline.render.dispatch import render
from pipeline.render.pdf.sealed import template_fetcher
from pipeline.render.pdf.split import split_html
from pipeline.render.pdf.writer import FOOTER
from pipeline.source.read import read_workbook
from pipeline.source.validate import validate

from conftest import ROOT, TEMPLATES, write_xlsx

PDF = "oversigter/implementeringsplan_2017.pdf"
HTML = "oversigter/implementeringsplan_2017.html"
STATUS_HEADER = ("Dato", "Tema", "Aktivitet", "Deltagerkreds", "Status")

# The sample's rows (tools/make_sample_plan.py) in date order (by start, then end), as (Dato,
# Deltagerkreds): the pair tells each row apart. Undated "Løbende" comes first.
SAMPLE_ROWS = [
    ("Løbende", "Ledergrupper og personalegrupper"),
    ("Maj", "Public Agency"),
    ("8. maj", "Chefgruppen"),
    ("21. maj", "Åben invitation i Ballerup Bladet og på de digitale medier"),
    ("30. maj", "De politiske fagudvalg: BSU, TMU og SSU"),
    ("Juni-september", "Administrationen"),
    ("Juni – september", "Borgere og virksomheder"),
    ("6. juni", "De politiske fagudvalg: EBU og KFU"),
    ("13. juni", "De politiske fagudvalg: ØKU"),
    ("18. juni", "Åben invitation i Ballerup Bladet og på digitale medier"),
    ("19. juni", "KMB"),
    ("Efterår/Vinter", "Politikere, Administrationen og eksterne samarbejdspartnere"),
    ("2018", "Politikerne"),
]


# --- Plans to render ---------------------------------------------------------------------------

THEMES = [
    "Formidling af Vision 2029 til ledere og medarbejdere",
    "Dialog med borgerne om, hvordan Vision 2029 realiseres",
    "Grøn omstilling og klimatilpasning i lokalområderne",
    "En stærk uddannelsesby: samarbejde mellem skoler, erhvervsliv og foreninger",
    "Sundhed og trivsel for børn og unge",
    "Erhvervsudvikling og nye arbejdspladser i Ballerup",
    "Kultur, fritid og fællesskaber på tværs af generationer",
    "Digitalisering af borgerrettede services",
]
ACTIVITIES = [
    "Workshop for ledere om udmøntning af visionen",
    "Borgermøde på Ballerup Bibliotek om byens fremtid\nÅbent for alle; tilmelding ikke nødvendig",
    "Udarbejdelse af handleplan med mål, milepæle og ansvarlige",
    "Cykeltur rundt i kommunen med fokus på grønne områder og nye stier",
    "Temadag for medarbejdere: fortællinger om gode eksempler på tværs af forvaltningerne",
    "Evaluering af indsatsen og opsamling på erfaringer fra første halvår",
    "Høring af handicaprådet, ældrerådet og de lokale fællesråd",
    "Kampagne på hjemmesiden og i de sociale medier\nPressemeddelelse til Ballerup Bladet",
    "Præsentation af status for Økonomiudvalget med særligt fokus på årets budgetaftale",
    "Udvikling af værktøjskasse til inddragelse af børn og unge i byudviklingen",
]
PARTICIPANTS = [
    "Chefgruppen",
    "Borgere og politikere\nÅben invitation i Ballerup Bladet",
    "Administrationen",
    "Ledergrupper og personalegrupper",
    "KMB",
    "Public Agency",
    "BSU og KFU",
    "Foreninger, erhvervsliv og uddannelsesinstitutioner",
    "ØKU",
    "Borgere og virksomheder",
]
PERIODS: list[str | date] = [
    "Løbende", "Januar", "8. februar", "uge 12", "Marts – maj", "2. kvartal", "Forår", "21. april",
    "Maj", "30. maj", "Juni-september", "2017-06-19", date(2017, 8, 15), "Sommer", "uge 34",
    "3. kvartal", "Efterår", "12. oktober", "Efterår/Vinter", "4. kvartal", "November",
    "5. december", "Vinter", "2018",
]
STATUSES = ["Gennemført", "I gang", "Planlagt", "Planlagt", "Udskudt", "Aflyst"]


def long_plan_rows(count: int, status: bool = False) -> list[tuple]:
    """Return `count` realistic rows with every period form the parser knows, deterministically."""
    rows = []
    for i in range(count):
        row = (
            PERIODS[(i * 7) % len(PERIODS)],
            THEMES[(i * 5 + i // 7) % len(THEMES)],
            f"{ACTIVITIES[(i * 7 + i // len(PERIODS)) % len(ACTIVITIES)]} (nr. {i + 1})",
            PARTICIPANTS[(i * 3 + i // 5) % len(PARTICIPANTS)],
        )
        rows.append((*row, STATUSES[i % len(STATUSES)]) if status else row)
    return rows


def overview_of(path: Path) -> dict[str, Document]:
    """Return the PDF and HTML overview documents of the plan file at `path`."""
    plan = validate(read_workbook(path))
    return {str(d.path): d for d in plan_documents([plan]) if d.path.parent.name == "oversigter"}


@pytest.fixture(scope="module")
def sample_pdf(sample_documents: dict[str, Document]) -> bytes:
    return render(sample_documents[PDF], TEMPLATES)


@pytest.fixture(scope="module")
def sample_html(sample_documents: dict[str, Document]) -> str:
    return render(sample_documents[HTML], TEMPLATES).decode("utf-8")


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = write_xlsx(tmp_path_factory.mktemp("long") / "implementeringsplan_2017.xlsx",
                      long_plan_rows(120, status=True), header=STATUS_HEADER)
    return render(overview_of(path)[PDF], TEMPLATES)


def page_texts(pdf: bytes) -> list[str]:
    """Return each page's text, white space collapsed to single spaces."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(pdf)).pages]


def flat(text: str) -> str:
    return " ".join(text.split())


# --- Content -----------------------------------------------------------------------------------

def test_sample_pdf_lists_all_activities_in_date_order(sample_pdf: bytes) -> None:
    pages = page_texts(sample_pdf)
    text = " ".join(pages)
    table = text[: text.index("Tidslinje 2017")]
    position = 0
    for label, participants in SAMPLE_ROWS:
        found = table.find(f"{label} ", position)
        assert found >= 0, f"{label} missing or out of order"
        position = table.index(flat(participants), found)
    for word in ("Præsentation af Vision 2029 v/ Eik Møller", "Jesper Würtzen", "Åben invitation",
                 "De politiske fagudvalg: ØKU", "Efterår/Vinter", "udvalgsarbejde?"):
        assert word in text


def test_sample_pdf_rows_follow_the_plans_chronology(sample_documents: dict[str, Document]) -> None:
    document = sample_documents[PDF]
    variables = overview_variables(document, lambda a: {"dato": a.period.label})
    labels = [r["dato"] for g in variables["grupper"] for r in g["raekker"]]
    assert labels[0] == "Løbende"  # undated first, under its own heading
    assert variables["grupper"][0]["titel"] == "Løbende – hele året"
    dated = [a for a in document.shown if a.period.label != "Løbende"]
    assert dated == sorted(dated, key=lambda a: (a.period.start, a.period.end))
    assert labels[1:] == [a.period.label for a in dated]
    assert [g["titel"] for g in variables["grupper"]] == [
        "Løbende – hele året", "Maj 2017", "Juni 2017", "September 2017", "2018"]


def test_sample_pdf_has_title_block_timeline_and_page_numbers(sample_pdf: bytes) -> None:
    pages = page_texts(sample_pdf)
    assert pages[0].startswith("Ballerup Kommune Implementeringsplan 2017")
    for number, text in enumerate(pages, start=1):
        assert f"Side {number} af {len(pages)}" in text
        assert "Implementeringsplan 2017 · Ballerup Kommune" in text
    text = " ".join(pages)
    assert "Januar Februar Marts April Maj Juni Juli August September Oktober November December" in text
    for mark in ("30. maj · BSU, TMU og SSU", "19. juni · KMB", "Efterår/Vinter (fortsætter i 2018)",
                 "2018 (efter 2017)", "Løbende – hele året", "Møde i et politisk udvalg"):
        assert mark in text


def test_long_plan_repeats_the_header_row_on_every_table_page(long_pdf: bytes) -> None:
    pages = page_texts(long_pdf)
    assert len(pages) > 4
    assert pages[0].startswith("Ballerup Kommune Implementeringsplan 2017")
    assert "Side 1 af " + str(len(pages)) in pages[0]
    timeline = next(i for i, p in enumerate(pages) if "Tidslinje 2017" in p)
    table_pages = pages[:timeline]
    assert len(table_pages) >= 3
    for text in table_pages[1:]:
        assert text.startswith("Dato Tema Aktivitet Deltagerkreds Status "), text[:80]
    text = " ".join(pages)
    for number in range(1, 121):
        assert f"(nr. {number})" in text
    assert "Udskudt" in text and "Gennemført" in text


def test_long_timeline_repeats_the_months_on_each_of_its_pages(long_pdf: bytes) -> None:
    pages = page_texts(long_pdf)
    first = next(i for i, p in enumerate(pages) if "Tidslinje 2017" in p)
    assert first > 0
    for text in pages[first:]:
        assert "Aktivitet Januar Februar Marts" in text


# --- Accessibility -----------------------------------------------------------------------------

def _structure_types(pdf: pikepdf.Pdf) -> list[str]:
    """Return the /S of every element in the structure tree, depth first."""
    found: list[str] = []
    stack = [pdf.Root.StructTreeRoot]
    seen: set[tuple[int, int]] = set()
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Array):
            stack.extend(node)
            continue
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        if "/S" in node:
            found.append(str(node.S))
        if "/K" in node:
            stack.append(node.K)
    return found


def test_pdf_is_tagged_with_headings_and_table_headers(sample_pdf: bytes) -> None:
    with pikepdf.open(BytesIO(sample_pdf)) as pdf:
        assert "/StructTreeRoot" in pdf.Root
        assert bool(pdf.Root.MarkInfo.Marked)
        types = _structure_types(pdf)
        for tag in ("/H1", "/H2", "/Table", "/THead", "/TH", "/TD", "/P"):
            assert tag in types
        scopes = set()
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/S") == "/TH":
                scopes.add(str(obj.A.Scope))
        assert scopes == {"/Column", "/Row"}


def test_pdf_declares_danish_title_and_pdf_ua(sample_pdf: bytes) -> None:
    with pikepdf.open(BytesIO(sample_pdf)) as pdf:
        assert str(pdf.Root.Lang) == "da"
        assert str(pdf.docinfo.Title) == "Implementeringsplan 2017 – Ballerup Kommune"
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle)
        assert "/CreationDate" not in pdf.docinfo and "/ModDate" not in pdf.docinfo
        with pdf.open_metadata() as xmp:
            assert xmp["pdfuaid:part"] == "1"
            assert xmp["dc:title"] == "Implementeringsplan 2017 – Ballerup Kommune"


def test_pdf_embeds_one_font_family_only(long_pdf: bytes, sample_pdf: bytes) -> None:
    for data in (sample_pdf, long_pdf):
        names = set()
        with pikepdf.open(BytesIO(data)) as pdf:
            for page in pdf.pages:
                for font in page.Resources.Font.values():
                    descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                    assert "/FontFile2" in descendant.FontDescriptor  # embedded
                    names.add(str(font.BaseFont).split("+", 1)[1])
        families = {name.replace("-Bold", "") for name in names}  # regular and bold: one family
        assert len(families) == 1 and families.pop().startswith("DejaVu-Sans"), names


# --- Spreadsheet text is text, and nothing is fetched from outside the templates folder -----------

HOSTILE = [
    ("8. maj", "<b>fed</b> & \"citat\"", "{{ x }} og {% if y %}", "<img src=\"file:///etc/passwd\">"),
    ("9. maj", "<style>body{display:none}</style>", "<a href=\"http://example.org/\">link</a>",
     "url(data:text/css,body{}) &amp;"),
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Document]:
    path = tmp_path_factory.mktemp("hostile") / "implementeringsplan_2017.xlsx"
    return overview_of(write_xlsx(path, HOSTILE))


def test_markup_in_cells_comes_out_literally_in_the_pdf(hostile: dict[str, Document]) -> None:
    text = " ".join(page_texts(render(hostile[PDF], TEMPLATES)))
    for literal in ("<b>fed</b> & \"citat\"", "{{ x }} og {% if y %}", "<img src=\"file:///etc/passwd\">",
                    "<style>body{display:none}</style>", "<a href=\"http://example.org/\">link</a>",
                    "url(data:text/css,body{}) &amp;"):
        assert literal in text


def test_markup_in_cells_is_escaped_in_the_html(hostile: dict[str, Document]) -> None:
    html = render(hostile[HTML], TEMPLATES).decode("utf-8")
    assert "&lt;b&gt;fed&lt;/b&gt; &amp; &#34;citat&#34;" in html
    assert "{{ x }} og {% if y %}" in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "<img" not in html and "<b>" not in html and "http://example.org/\">" not in html
    assert html.count("<style>") == 1


@pytest.mark.parametrize("url", [
    "http://example.org/oversigt.css",
    "https://example.org/font.ttf",
    "file:///etc/passwd",
    "data:text/css,body%7Bcolor:red%7D",
    "ftp://example.org/x",
    "file://example.org/oversigt.css",
])
def test_fetcher_refuses_anything_outside_the_templates_folder(url: str) -> None:
    with pytest.raises(TemplateError, match="kun bruge filer fra skabelonmappen"):
        template_fetcher(TEMPLATES).fetch(url)


def test_fetcher_refuses_a_path_that_climbs_out_of_the_templates_folder() -> None:
    escape = (TEMPLATES / "fonts" / ".." / ".." / "pyproject.toml").as_uri()
    with pytest.raises(TemplateError, match="afvist"):
        template_fetcher(TEMPLATES).fetch(escape)
    with pytest.raises(TemplateError, match="afvist"):
        template_fetcher(TEMPLATES).fetch(TEMPLATES.resolve().as_uri())


def test_fetcher_serves_files_inside_the_templates_folder() -> None:
    response = template_fetcher(TEMPLATES).fetch((TEMPLATES / "fonts" / "DejaVuSansCondensed.ttf").as_uri())
    assert response.read(4) == b"\x00\x01\x00\x00"
    assert response.content_type == "font/ttf"


def test_missing_font_fails_the_pdf_with_a_danish_message(tmp_path: Path,
                                                         sample_documents: dict[str, Document]) -> None:
    templates = shutil.copytree(TEMPLATES, tmp_path / "templates")
    (templates / "fonts" / "DejaVuSansCondensed-Bold.ttf").unlink()
    with pytest.raises(TemplateError, match=r'"fonts/DejaVuSansCondensed-Bold.ttf".*findes ikke'):
        render(sample_documents[PDF], templates)


@pytest.mark.parametrize("reference", [
    'body { background-image: url("http://example.org/logo.png"); }',
    'body { background-image: url("file:///etc/passwd"); }',
    'body { background-image: url("data:image/png;base64,iVBORw0KGgo="); }',
    'body { background-image: url("../../pyproject.toml"); }',
])
def test_a_template_reaching_outside_fails_the_pdf(tmp_path: Path, reference: str,
                                                   sample_documents: dict[str, Document]) -> None:
    templates = shutil.copytree(TEMPLATES, tmp_path / "templates")
    css = templates / "oversigt.css"
    css.write_text(reference + "\n" + css.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(TemplateError, match="afvist"):
        render(sample_documents[PDF], templates)


def test_a_stylesheet_link_to_the_web_fails_the_pdf(tmp_path: Path,
                                                   sample_documents: dict[str, Document]) -> None:
    templates = shutil.copytree(TEMPLATES, tmp_path / "templates")
    page = templates / "oversigt.html"
    link = '<meta charset="utf-8">\n<link rel="stylesheet" href="https://example.org/site.css">'
    page.write_text(page.read_text(encoding="utf-8").replace('<meta charset="utf-8">', link),
                    encoding="utf-8")
    with pytest.raises(TemplateError, match=r"https://example\.org/site\.css.*afvist"):
        render(sample_documents[PDF], templates)


def test_an_empty_font_folder_fails_the_pdf_with_a_danish_message(
        tmp_path: Path, sample_documents: dict[str, Document]) -> None:
    templates = shutil.copytree(TEMPLATES, tmp_path / "templates")
    for font in (templates / "fonts").glob("*.ttf"):
        font.unlink()
    with pytest.raises(TemplateError, match="skal indeholde oversigtens skrifttype"):
        render(sample_documents[PDF], templates)


def test_text_the_font_lacks_never_pulls_in_a_host_font(tmp_path: Path) -> None:
    rows = [("8. maj", "Emoji 😀 og kinesisk 中文", "Pil → og flueben ✓", "Ελληνικά и кириллица")]
    documents = overview_of(write_xlsx(tmp_path / "implementeringsplan_2017.xlsx", rows))
    with pikepdf.open(BytesIO(render(documents[PDF], TEMPLATES))) as pdf:
        names = {str(font.BaseFont).split("+", 1)[1].replace("-Bold", "")
                 for page in pdf.pages for font in page.Resources.Font.values()}
    assert len(names) == 1, names


def test_template_errors_are_danish_template_errors(tmp_path: Path,
                                                   sample_documents: dict[str, Document]) -> None:
    templates = shutil.copytree(TEMPLATES, tmp_path / "templates")
    page = templates / "oversigt.html"
    page.write_text(page.read_text(encoding="utf-8").replace("{{ titel }}</h1>", "{{ ukendt }}</h1>"),
                    encoding="utf-8")
    with pytest.raises(TemplateError, match="Skabelonen"):
        render(sample_documents[HTML], templates)
    (templates / "oversigt.html").unlink()
    with pytest.raises(TemplateError, match="findes ikke"):
        render(sample_documents[PDF], templates)


# --- The web page ------------------------------------------------------------------------------

def test_html_is_an_accessible_self_contained_page(sample_html: str) -> None:
    assert sample_html.startswith("<!DOCTYPE html>")
    assert '<html lang="da">' in sample_html
    assert "<title>Implementeringsplan 2017 – Ballerup Kommune</title>" in sample_html
    assert "<h1>Implementeringsplan 2017</h1>" in sample_html
    assert sample_html.count('<th scope="col"') == 4 + 13 and sample_html.count('<th scope="row"') == 13
    # No request of its own: no links, scripts, images, fonts or URLs of any kind.
    for needle in ("<link", "<script", "<img", "@font-face", "url(", "src=", "http:", "https:", "file:"):
        assert needle not in sample_html, needle
    text = flat(re.sub(r"<[^>]+>", " ", sample_html))
    for label, participants in SAMPLE_ROWS:
        assert f"{label} " in text and flat(participants) in text


# --- Identical bytes ---------------------------------------------------------------------------

def test_renders_are_byte_identical_anywhere(tmp_path: Path, sample_documents: dict[str, Document],
                                            sample_pdf: bytes, sample_html: str) -> None:
    before = {name: os.environ.get(name) for name in ("SOURCE_DATE_EPOCH", "FONTCONFIG_FILE")}
    elsewhere = shutil.copytree(TEMPLATES, tmp_path / "andre skabeloner æøå")
    assert render(sample_documents[PDF], TEMPLATES) == sample_pdf
    assert render(sample_documents[PDF], elsewhere) == sample_pdf
    assert render(sample_documents[HTML], elsewhere).decode("utf-8") == sample_html
    assert {name: os.environ.get(name) for name in before} == before


def test_renders_are_identical_in_a_fresh_process(sample_pdf: bytes, tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path\n"
        "from pipeline.source.read import read_workbook; from pipeline.source.validate import validate\n"
        "from pipeline.documents.planning import plan_documents; from pipeline.render.dispatch import render\n"
        f"plan = validate(read_workbook(Path({str(ROOT / 'input' / 'implementeringsplan_2017.xlsx')!r})))\n"
        f"doc = next(d for d in plan_documents([plan]) if str(d.path) == {PDF!r})\n"
        f"sys.stdout.buffer.write(render(doc, Path({str(TEMPLATES)!r})))\n"
    )
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1", "TZ": "Pacific/Auckland"}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, check=True)
    assert result.stdout == sample_pdf


def test_pdf_holds_no_clock_time_and_no_machine_path(sample_pdf: bytes) -> None:
    with pikepdf.open(BytesIO(sample_pdf)) as pdf:
        pdf.remove_unreferenced_resources()
        buffer = BytesIO()
        pdf.save(buffer, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.generalized,
                 deterministic_id=True)
    raw = buffer.getvalue()
    for needle in (str(ROOT).encode(), b"/tmp/", b"weasyprint-", b"pipeline-fonts", b"CreationDate",
                   b"ModDate", b"CreateDate", b"ModifyDate"):
        assert needle not in raw, needle
    assert zlib  # streams were decoded above; fonts stay binary


def test_planning_does_not_import_weasyprint() -> None:
    script = (
        "import sys; from pathlib import Path\n"
        "from pipeline.source.read import read_workbook; from pipeline.source.validate import validate\n"
        "from pipeline.documents.planning import plan_documents; from pipeline.documents.kinds import build_context\n"
        f"plan = validate(read_workbook(Path({str(ROOT / 'input' / 'implementeringsplan_2017.xlsx')!r})))\n"
        "[build_context(d) for d in plan_documents([plan])]\n"
        "assert 'weasyprint' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True)


# --- A long overview laid out in parts --------------------------------------------------------

SPLIT_ROWS = 150
PART = 40  # PIPELINE_OVERVIEW_CHUNK: split above 40 rows, in parts of about 40 rows


def render_in_parts(document: Document, templates: Path = TEMPLATES) -> bytes:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(overview.CHUNK_VARIABLE, str(PART))
        return render(document, templates)


@pytest.fixture(scope="module")
def split_documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Document]:
    path = write_xlsx(tmp_path_factory.mktemp("split") / "implementeringsplan_2017.xlsx",
                      long_plan_rows(SPLIT_ROWS, status=True), header=STATUS_HEADER)
    return overview_of(path)


@pytest.fixture(scope="module")
def split_pdf(split_documents: dict[str, Document]) -> bytes:
    return render_in_parts(split_documents[PDF])


def test_the_html_is_cut_into_parts_that_hold_every_row_once(split_documents: dict[str, Document]) -> None:
    from lxml import html as lxml_html

    from pipeline.documents.kinds import build_context
    from pipeline.render.overview import render_template

    whole = render_template(build_context(split_documents[PDF]), TEMPLATES)
    parts = [lxml_html.document_fromstring(part) for part in split_html(whole, PART)]
    assert len(parts) >= 6
    assert len([p for p in parts if p.find(".//h1") is not None]) == 1  # the title block once
    table_rows, timeline_rows = [], []
    for part in parts:
        for table in part.iter("table"):
            assert table.find("colgroup") is not None and table.find("thead") is not None
            rows = [tr.text_content() for body in table.iter("tbody") for tr in body]
            (table_rows if "plan" in table.get("class") else timeline_rows).extend(rows)
        assert "content: none !important" in part.find("head").text_content()
    # A part never ends right after a group heading row.
    for part in parts:
        for table in part.iter("table"):
            bodies = list(table.iter("tbody"))
            if bodies:
                last = bodies[-1]
                assert not (len(last) == 1 and "gruppe" in (last[0].get("class") or ""))
    numbers = [int(n) for row in table_rows for n in re.findall(r"nr\. (\d+)\)", row)]
    assert sorted(numbers) == list(range(1, SPLIT_ROWS + 1)) and len(numbers) == SPLIT_ROWS
    assert len(timeline_rows) == SPLIT_ROWS


def test_split_pdf_has_every_row_in_order_and_numbers_every_page(
        split_pdf: bytes, split_documents: dict[str, Document]) -> None:
    pages = page_texts(split_pdf)
    total = len(pages)
    assert total > 8
    for number, text in enumerate(pages, start=1):
        assert f"Side {number} af {total}" in text, text[-80:]
        assert "Implementeringsplan 2017 · Ballerup Kommune" in text
    assert pages[0].startswith("Ballerup Kommune Implementeringsplan 2017")
    text = " ".join(pages)
    assert text.count("Ballerup Kommune Implementeringsplan 2017 Oversigt") == 1
    table = text[: text.index("Tidslinje 2017")]
    # The table's rows come in the order of the unsplit overview's rows.
    variables = overview_variables(split_documents[PDF], lambda a: {"aktivitet": a.text})
    expected = [int(re.search(r"nr\. (\d+)", r["aktivitet"]).group(1))
                for g in variables["grupper"] for r in g["raekker"]]
    found = [int(n) for n in re.findall(r"\(nr\. (\d+)\)", table)]
    assert found == expected
    timeline = next(i for i, p in enumerate(pages) if "Tidslinje 2017" in p)
    for page in pages[1:timeline]:
        assert page.startswith("Dato Tema Aktivitet Deltagerkreds Status "), page[:80]
    for page in pages[timeline:]:
        assert "Aktivitet Januar Februar Marts" in page
    assert text.count("Tidslinje 2017") == 1


def test_split_pdf_draws_footers_as_artifacts_over_each_page(split_pdf: bytes) -> None:
    with pikepdf.open(BytesIO(split_pdf)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            name = f"{FOOTER}{number}"
            assert name in page.Resources.XObject
            content = b"".join(stream.read_bytes() for stream in page.Contents)
            assert content.count(b" Do") >= 1
            footer = content[content.rindex(b"/Artifact"):]
            assert footer.startswith(b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC")
            assert f"{name} Do".encode() in footer and footer.rstrip().endswith(b"EMC")


def test_split_pdf_is_one_tagged_document(split_pdf: bytes) -> None:
    with pikepdf.open(BytesIO(split_pdf)) as pdf:
        assert str(pdf.Root.Lang) == "da"
        assert bool(pdf.Root.MarkInfo.Marked)
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle)
        assert str(pdf.docinfo.Title) == "Implementeringsplan 2017 – Ballerup Kommune"
        with pdf.open_metadata() as xmp:
            assert xmp["pdfuaid:part"] == "1"
            assert xmp["dc:title"] == "Implementeringsplan 2017 – Ballerup Kommune"
        root = pdf.Root.StructTreeRoot
        assert len(root.K) == 1 and root.K[0].S == "/Document"
        document = root.K[0]
        for child in document.K:
            assert child.P.objgen == document.objgen
        types = _structure_types(pdf)
        assert types.count("/H1") == 1 and types.count("/H2") == 2
        assert types.count("/TH") > SPLIT_ROWS  # column headers on every page + timeline row headers
        assert types.count("/Table") > 4
        # Each page has its own key in the parent tree, mapping its MCIDs to elements on that page.
        nums = root.ParentTree.Nums
        tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        keys = [int(page.StructParents) for page in pdf.pages]
        assert len(set(keys)) == len(keys) == len(pdf.pages)
        for page, key in zip(pdf.pages, keys):
            elements = tree[key]
            assert len(elements) > 0
            for element in elements:
                assert element.Pg.objgen == page.obj.objgen
        scopes = {str(obj.A.Scope) for obj in pdf.objects
                  if isinstance(obj, pikepdf.Dictionary) and obj.get("/S") == "/TH"}
        assert scopes == {"/Column", "/Row"}
        with pdf.open_outline() as outline:
            top = outline.root
            assert [item.title for item in top] == ["Implementeringsplan 2017"]
            children = [item.title for item in top[0].children]
            assert children == ["Aktiviteter i datoorden", "Tidslinje 2017"]


def test_split_pdf_embeds_one_font_family_only(split_pdf: bytes) -> None:
    names = set()
    with pikepdf.open(BytesIO(split_pdf)) as pdf:
        fonts = []
        for page in pdf.pages:
            fonts.extend(page.Resources.Font.values())
            for xobject in page.Resources.XObject.values():
                fonts.extend(xobject.Resources.Font.values())
        for font in fonts:
            descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            assert "/FontFile2" in descendant.FontDescriptor
            names.add(str(font.BaseFont).split("+", 1)[1].replace("-Bold", ""))
    assert len(names) == 1 and names.pop().startswith("DejaVu-Sans"), names


def test_split_pdf_is_byte_identical_anywhere(tmp_path: Path, split_pdf: bytes,
                                               split_documents: dict[str, Document]) -> None:
    elsewhere = shutil.copytree(TEMPLATES, tmp_path / "andre skabeloner æøå")
    assert render_in_parts(split_documents[PDF]) == split_pdf
    assert render_in_parts(split_documents[PDF], elsewhere) == split_pdf


def test_a_plan_up_to_the_threshold_is_laid_out_in_one_go(long_pdf: bytes, sample_pdf: bytes) -> None:
    assert overview.SPLIT_ABOVE > 120 and overview.PART_ROWS > 0
    for data in (long_pdf, sample_pdf):
        with pikepdf.open(BytesIO(data)) as pdf:
            assert not any(str(name).startswith(FOOTER)
                           for page in pdf.pages for name in page.Resources.get("/XObject", {}))


def test_a_bad_chunk_setting_is_refused_like_any_cap(sample_documents: dict[str, Document],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(overview.CHUNK_VARIABLE, "mange")
    with pytest.raises(UsageError) as refused:
        render(sample_documents[PDF], TEMPLATES)
    assert str(refused.value) == ('Miljøvariablen PIPELINE_OVERVIEW_CHUNK skal være et helt tal større end 0 '
                                  '(fx 600), ikke "mange".')


# --- Timeline geometry -------------------------------------------------------------------------

def test_year_fraction_puts_month_boundaries_on_the_grid() -> None:
    assert year_fraction(date(2017, 1, 1), 2017) == 0
    assert year_fraction(date(2017, 6, 1), 2017) == pytest.approx(5 / 12)
    assert year_fraction(date(2017, 9, 30), 2017, end=True) == pytest.approx(9 / 12)
    assert year_fraction(date(2017, 12, 31), 2017, end=True) == 1
    assert year_fraction(date(2016, 12, 31), 2017) == 0
    assert year_fraction(date(2018, 2, 28), 2017, end=True) == 1


def test_timeline_items_for_the_sample(sample_documents: dict[str, Document]) -> None:
    variables = overview_variables(sample_documents[PDF], lambda a: {})
    items = {(t["dato"], t["udvalg"]): t for t in variables["tidslinje"]}
    assert variables["tidslinje"][0]["form"] == "loebende"
    assert [m["navn"] for m in variables["maaneder"]][::5] == ["januar", "juni", "november"]
    june = items["Juni-september", ""]
    assert (june["form"], june["start"], june["slut"]) == ("periode", pytest.approx(5 / 12),
                                                            pytest.approx(9 / 12))
    assert items["30. maj", "BSU, TMU og SSU"]["form"] == "moede"
    assert items["8. maj", ""]["form"] == "dag"
    autumn = items["Efterår/Vinter", ""]
    assert autumn["efter"] and autumn["slut"] == 1 and autumn["note"] == "fortsætter i 2018"
    later = items["2018", ""]
    assert later["form"] == "udenfor" and later["note"] == "efter 2017"
    assert variables["former"] == ["periode", "loebende", "dag", "moede", "udenfor"]
    assert variables["medie"] == "pdf" and variables["antal"] == 13
    assert overview_variables(sample_documents[HTML], lambda a: {})["medie"] == "web"
