"""What pipeline/render/pdf/adapter.py relies on in WeasyPrint and pydyf, checked one by one.

None of it is WeasyPrint's or pydyf's promised API. When an upgrade changes one of these, the
test names what changed, so the adapter (the one module to change) can follow before any PDF
is written wrong. A small tagged document is laid out for real: a heading (an outline entry),
a table with a header row, and a link (an annotation in the structure tree).
"""

from __future__ import annotations

import inspect
from importlib.metadata import requires, version

import pydyf
import pytest
from packaging.requirements import Requirement

from pipeline.render.pdf import adapter
from pipeline.render.pdf.outline import bookmark_tree
from pipeline.render.pdf.part import BookmarkPage
from pipeline.render.pdf.sealed import laying_out

from conftest import TEMPLATES

HTML = """<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>Form</title>
<style>@font-face { font-family: Sans; src: url(fonts/DejaVuSansCondensed.ttf); }
body { font-family: Sans; } @page { @bottom-center { content: "Side " counter(page); } }</style></head>
<body><h1>Overskrift</h1><p><a href="https://example.org/">Et link</a></p>
<table><thead><tr><th>Dato</th><th>Aktivitet</th></tr></thead>
<tbody><tr><th>8. maj</th><td>Møde</td></tr></tbody></table></body></html>"""
UPGRADE = f"WeasyPrint {version('weasyprint')} / pydyf {version('pydyf')}"


def expect(condition: object, what: str) -> None:
    """Fail with a message that says which assumption of the adapter no longer holds."""
    if not condition:
        pytest.fail(f"{UPGRADE}: {what} — pipeline/render/pdf/adapter.py relies on this", pytrace=False)


@pytest.fixture(scope="module")
def laid_out() -> tuple[object, object, list]:
    with laying_out(2017, TEMPLATES.resolve()) as layout:
        document = layout(HTML)
        pdf, pages = adapter.tagged_objects(document)
    return document, pdf, pages


def object_at(pdf: object, reference: object, what: str) -> object:
    expect(isinstance(reference, (bytes, str)) and str(reference if isinstance(reference, str)
                                                       else reference.decode()).endswith(" 0 R"),
           f"{what} is an indirect reference written as b'N 0 R'")
    return pdf.objects[int(reference.split()[0])]


def test_the_installed_versions_are_the_declared_ones() -> None:
    declared = {Requirement(line).name: Requirement(line) for line in requires("pipeline") or []}
    for name in ("weasyprint", "pydyf"):
        expect(name in declared, f"pyproject.toml declares {name}")
        expect(declared[name].specifier.contains(version(name)),
               f"{name} {version(name)} is outside the tested range {declared[name].specifier}")


def test_the_functions_the_adapter_calls_are_there() -> None:
    from weasyprint import DEFAULT_OPTIONS, Document
    from weasyprint.pdf import VARIANTS, generate_pdf

    expect(list(inspect.signature(generate_pdf).parameters)[:3] == ["document", "target", "zoom"],
           "weasyprint.pdf.generate_pdf(document, target, zoom, **options) returns the pydyf.PDF")
    expect(adapter.PDF_VARIANT in VARIANTS and isinstance(VARIANTS[adapter.PDF_VARIANT][1], dict),
           f"weasyprint.pdf.VARIANTS[{adapter.PDF_VARIANT!r}] is (function, properties)")
    expect("pdf_variant" in DEFAULT_OPTIONS, "weasyprint.DEFAULT_OPTIONS has pdf_variant")
    expect("finisher" in inspect.signature(Document.write_pdf).parameters, "Document.write_pdf takes a finisher")
    expect(callable(getattr(Document, "make_bookmark_tree", None)), "Document.make_bookmark_tree exists")
    expect(callable(getattr(pydyf, "_to_bytes", None)), "pydyf._to_bytes (the private serialiser) exists")
    expect(pydyf._to_bytes(0.5) == b"0.5" and pydyf._to_bytes(b"1 0 R") == b"1 0 R",
           "pydyf._to_bytes writes numbers and bytes as before")


def test_the_finisher_is_called_with_the_document_and_its_pydyf_pdf() -> None:
    calls = []
    with laying_out(2017, TEMPLATES.resolve()) as layout:
        document = layout(HTML, pdf_variant=adapter.PDF_VARIANT)
        document.write_pdf(finisher=lambda *arguments: calls.append(arguments), pdf_variant=adapter.PDF_VARIANT)
    expect(len(calls) == 1 and len(calls[0]) == 2, "write_pdf calls the finisher once, with two arguments")
    expect(calls[0][0] is document and isinstance(calls[0][1], pydyf.PDF),
           "the finisher gets (the laid-out document, its pydyf.PDF)")


def test_the_pdf_objects_have_the_shape_the_adapter_reads(laid_out: tuple) -> None:
    _, pdf, _ = laid_out
    expect(isinstance(pdf, pydyf.PDF), "generate_pdf returns a pydyf.PDF")
    expect(all(obj.number == index for index, obj in enumerate(pdf.objects)),
           "pdf.objects[N] is object number N")
    catalog = pdf.catalog
    expect("StructTreeRoot" in catalog, "a tagged PDF's catalog has /StructTreeRoot")
    root = object_at(pdf, catalog["StructTreeRoot"], "/StructTreeRoot")
    expect(len(root["K"]) == 1, "the structure tree root has one kid")
    document = object_at(pdf, root["K"][0], "the root's kid")
    expect(document.get("S") == "/Document", "the structure tree root's one kid is a /Document element")
    expect(all(isinstance(kid, bytes) for kid in document["K"]), "/Document's kids are references")
    parent_tree = object_at(pdf, root["ParentTree"], "/ParentTree")
    expect("Nums" in parent_tree and len(parent_tree["Nums"]) % 2 == 0, "/ParentTree is a flat /Nums array")
    pages = [object_at(pdf, reference, "a page") for reference in pdf.page_references]
    expect(len({page["Resources"] for page in pages}) == 1, "all pages share one /Resources reference")
    for page in pages:
        expect("StructParents" in page, "every page has /StructParents")
        object_at(pdf, page["Contents"], "a page's /Contents")
    keys = {int(pdf.objects[int(ref.split()[0])]["StructParents"]) for ref in pdf.page_references}
    annotations = [obj for obj in pdf.objects if isinstance(obj, dict) and obj.get("Type") == "/Annot"]
    expect(annotations and all("StructParent" in annotation for annotation in annotations),
           "a link annotation has /StructParent")
    keys |= {int(annotation["StructParent"]) for annotation in annotations}
    expect(keys == {int(key) for key in parent_tree["Nums"][::2]}, "the parent tree's keys are the pages' and links'")
    expect("Outlines" in catalog and "First" in object_at(pdf, catalog["Outlines"], "/Outlines"),
           "a heading makes /Outlines with /First")
    streams = [obj for obj in pdf.objects if isinstance(obj, pydyf.Stream)]
    expect(streams and all(hasattr(obj, name) for obj in streams for name in ("extra", "stream", "compress")),
           "pydyf.Stream keeps .extra, .stream and .compress")
    scoped = [obj for obj in pdf.objects if isinstance(obj, dict) and obj.get("S") == "/TH"]
    expect({str(obj["A"]["Scope"]) for obj in scoped} == {"/Column", "/Row"},
           "header cells are /TH elements whose /P chain reaches /THead (the finisher scopes them)")


def test_a_part_and_its_outline_come_out_as_plain_data(laid_out: tuple) -> None:
    _, pdf, pages = laid_out
    expect(pages and all(isinstance(page.bookmarks, list) for page in pages), "pages keep .bookmarks")
    part = adapter.serialised_part(pdf, pages, first=True)
    expect(part.pages and part.kids and part.nums and "Lang" in part.catalog, "a part serialises")
    tree = bookmark_tree(pages)
    expect(len(tree) == 1 and tree[0][0] == "Overskrift" and len(tree[0][1]) == 3,
           "the outline is (title, (page, x, y), children, state)")


LEVELS = [1, 3, 2, 4, 6, 2, 1, 4, 3, 1, 2, 2, 5, 1]  # headings that skip levels, and come back
SKIPPING = "".join(f'<h{level} style="break-before: {"page" if index % 3 == 0 else "auto"}">'
                   f"Niveau {level}.{index}</h{level}>" for index, level in enumerate(LEVELS))


def test_the_outline_is_weasyprints_bookmark_tree() -> None:
    """`outline.bookmark_tree` carries WeasyPrint's over, so the parent need not import it."""
    from types import SimpleNamespace

    from weasyprint import Document

    with laying_out(2017, TEMPLATES.resolve()) as layout:
        document = layout(f'<!DOCTYPE html><html lang="da"><body>{SKIPPING}</body></html>')
    pages = [BookmarkPage(page.bookmarks, page.width, page.height) for page in document.pages]
    expect(len(pages) == 5 and sum(len(page.bookmarks) for page in pages) == 14, "the headings are laid out")
    theirs = Document.make_bookmark_tree(SimpleNamespace(pages=pages), transform_pages=True)
    expect(bookmark_tree(pages) == theirs, "Document.make_bookmark_tree builds the tree outline.py carries over")
    expect(repr(bookmark_tree(pages)) == repr(theirs), "... with the same floats")


def test_the_footer_document_becomes_form_xobjects(laid_out: tuple) -> None:
    document, _, _ = laid_out
    with laying_out(2017, TEMPLATES.resolve()):
        footers = adapter.footer_forms(document)
    expect(len(footers.forms) == len(document.pages), "one form XObject per page")


def test_the_versions_that_shape_the_bytes_are_found() -> None:
    versions = adapter.library_versions()
    expect(set(versions) == {"weasyprint", "pydyf", "fonttools", "pango", "harfbuzz"}, f"versions: {versions}")
    expect(versions["pango"].isdigit() and int(versions["pango"]) >= 14400,
           "weasyprint.text.ffi.pango.pango_version() gives Pango's version as a number")
    major, minor, micro = (int(n) for n in versions["harfbuzz"].split()[0].split("."))
    from weasyprint.text.ffi import harfbuzz

    expect(harfbuzz.hb_version_atleast(major, minor, micro) and not harfbuzz.hb_version_atleast(major, minor,
                                                                                                 micro + 1),
           "HarfBuzz's version is found through hb_version_atleast")
