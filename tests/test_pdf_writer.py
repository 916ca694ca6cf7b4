"""The streaming writer of merged PDFs, on bytes alone: parts built by hand, no WeasyPrint.

Each test builds small parts as the adapter would hand them over (objects numbered locally,
references written as markers), merges them with `Writer`, and reads the file back with
pikepdf and `qpdf --check`.
"""

from __future__ import annotations

import subprocess
import sys
import zlib
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
from test_pdf_validity import needs_qpdf, strict_problems

from pipeline.render.pdf import syntax
from pipeline.render.pdf.part import DOCUMENT, PAGES, BookmarkPage, Footers, Part, marker
from pipeline.render.pdf.writer import FOOTER, OBJECT_STREAM, Writer

IDENTIFIER = b"0123456789abcdef0123456789abcdef"
WIDTH, HEIGHT = 200, 100


def stream_parts(content: bytes, **entries: syntax.Value) -> tuple[bytes, bytes]:
    """Return a stream as a part holds it: (its dictionary with /Length, its content)."""
    data = syntax.stream(content, entries)
    head, _, rest = data.partition(b"\nstream\n")
    return head, rest.removesuffix(b"\nendstream")


def hand_part(pages: int, *, first: bool, label: str, extra_objects: int = 0) -> Part:
    """Return a part of `pages` pages, each with a tagged paragraph (MCID 0) and a link annotation.

    Local numbers: 0 the shared resources; then per page: the page, its content stream, its
    paragraph element and its link; then `extra_objects` unreferenced arrays."""
    part = Part(count=1 + 4 * pages + extra_objects, objects=[], streams=[], keyed=[], pages=[],
                resources=(0, b"<</ProcSet [/PDF]>>", b""), kids=[], nums=[],
                bookmark_pages=[], catalog={}, info=b"")
    for index in range(pages):
        page, content, paragraph, link = (1 + 4 * index + offset for offset in range(4))
        head, body = stream_parts(b"/P <</MCID 0>> BDC 0 0 1 rg 10 10 50 50 re f EMC")
        part.streams.append((content, head, body))
        part.objects.append((paragraph, syntax.dictionary({
            "Type": "/StructElem", "S": "/P", "P": syntax.reference(DOCUMENT), "Pg": marker(page),
            "K": syntax.array([0, syntax.dictionary({"Type": "/OBJR", "Obj": marker(link)})]),
            "T": syntax.string(f"{label} {index + 1}")})))
        part.keyed.append((link, syntax.dictionary({
            "Type": "/Annot", "Subtype": "/Link", "Rect": syntax.array([0, 0, 10, 10]),
            "Border": syntax.array([0, 0, 0]), "Contents": syntax.string("Link"),
            "A": syntax.dictionary({"S": "/URI", "URI": syntax.string("https://example.org/")})}), 2 * index + 1))
        part.pages.append((page, syntax.dictionary({
            "Type": "/Page", "MediaBox": syntax.array([0, 0, WIDTH, HEIGHT]), "Resources": marker(0),
            "Annots": syntax.array([marker(link)]), "Tabs": "/S"}), marker(content), 2 * index))
        part.kids.append(marker(paragraph))
        part.nums += [syntax.array([marker(paragraph)]), marker(paragraph)]
        part.bookmark_pages.append(BookmarkPage([], WIDTH, HEIGHT))
    for local in range(1 + 4 * pages, part.count):
        part.objects.append((local, syntax.array([local])))
    if first:
        part.catalog = {"Lang": syntax.string("da"), "MarkInfo": syntax.dictionary({"Marked": "true"})}
        part.info = syntax.dictionary({"Title": syntax.string("Prøveplan – 2017")})
    return part


def hand_footers(pages: int) -> Footers:
    """Return a footer form XObject for each of `pages` pages, and one shared resource dictionary."""
    footers = Footers(count=pages + 1, objects=[(0, syntax.dictionary({"ProcSet": syntax.array(["/PDF"])}), None)],
                      forms=list(range(1, pages + 1)))
    for local in footers.forms:
        head, body = stream_parts(b"0 0 0 rg 0 0 %d 5 re f" % (10 * local), Type="/XObject", Subtype="/Form",
                                  BBox=syntax.array([0, 0, WIDTH, HEIGHT]), Resources=marker(0))
        footers.objects.append((local, head, body))
    return footers


OUTLINE = [("Første del", (0, 0.0, 100.0), [("Underafsnit", (1, 0.0, 50.5), [], "open")], "open"),
           ("Anden del", (2, 0.0, 100.0), [], "closed")]


def merged(parts: list[Part], outline=None) -> bytes:
    writer = Writer()
    for part in parts:
        writer.add_part(part)
    writer.add_footers(hand_footers(writer.page_count))
    return writer.finish(IDENTIFIER, OUTLINE if outline is None else outline)


@pytest.fixture(scope="module")
def three_parts() -> bytes:
    return merged([hand_part(2, first=True, label="Første"), hand_part(1, first=False, label="Anden"),
                   hand_part(3, first=False, label="Tredje")])


def test_pages_come_in_part_order_under_one_page_tree(three_parts: bytes) -> None:
    with pikepdf.open(BytesIO(three_parts)) as pdf:
        assert len(pdf.pages) == 6
        assert pdf.Root.Pages.objgen == (PAGES, 0)
        titles = [str(page.obj.Annots[0].get("/Contents")) for page in pdf.pages]
        assert titles == ["Link"] * 6
        elements = [str(pdf.Root.StructTreeRoot.K[0].K[i].T) for i in range(6)]
        assert elements == ["Første 1", "Første 2", "Anden 1", "Tredje 1", "Tredje 2", "Tredje 3"]


def test_one_structure_tree_with_renumbered_parent_tree_keys(three_parts: bytes) -> None:
    with pikepdf.open(BytesIO(three_parts)) as pdf:
        root = pdf.Root.StructTreeRoot
        document = root.K[0]
        assert len(root.K) == 1 and document.S == "/Document" and document.objgen == (DOCUMENT, 0)
        assert all(kid.P.objgen == document.objgen for kid in document.K)
        nums = root.ParentTree.Nums
        tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        assert sorted(tree) == list(range(12)) and int(root.ParentTreeNextKey) == 12
        for page in pdf.pages:  # the page's key maps its MCID 0 to its paragraph, and back
            paragraph = tree[int(page.StructParents)][0]
            assert paragraph.Pg.objgen == page.obj.objgen
            link = page.obj.Annots[0]
            assert tree[int(link.StructParent)].objgen == paragraph.objgen
            assert paragraph.K[1].Obj.objgen == link.objgen


def test_each_page_draws_its_own_footer_as_an_artifact(three_parts: bytes) -> None:
    with pikepdf.open(BytesIO(three_parts)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            name = f"{FOOTER}{number}"
            form = page.Resources.XObject[name]
            assert form.Subtype == "/Form" and form.read_bytes() == b"0 0 0 rg 0 0 %d 5 re f" % (10 * number)
            content = b"\n".join(stream.read_bytes() for stream in page.Contents)  # a token boundary each
            assert content.startswith(b"q\n/P <</MCID 0>> BDC")  # the part's content, saved state first
            assert content.endswith(b"Q\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC\n"
                                    + f"q {name} Do Q\nEMC".encode())


def test_the_first_part_gives_the_catalog_and_info(three_parts: bytes) -> None:
    with pikepdf.open(BytesIO(three_parts)) as pdf:
        assert str(pdf.Root.Lang) == "da" and bool(pdf.Root.MarkInfo.Marked)
        assert str(pdf.docinfo.Title) == "Prøveplan – 2017"
        assert bytes(pdf.trailer.ID[0]) == IDENTIFIER


def test_the_outline_points_at_the_merged_pages(three_parts: bytes) -> None:
    with pikepdf.open(BytesIO(three_parts)) as pdf, pdf.open_outline() as outline:
        top = outline.root
        assert [item.title for item in top] == ["Første del", "Anden del"]
        assert [item.title for item in top[0].children] == ["Underafsnit"]
        pages = [page.obj.objgen for page in pdf.pages]
        assert top[0].children[0].destination[0].objgen == pages[1]
        assert float(top[0].children[0].destination[3]) == 50.5
        assert top[1].destination[0].objgen == pages[2]


def test_no_outline_without_headings() -> None:
    with pikepdf.open(BytesIO(merged([hand_part(1, first=True, label="Eneste")], outline=[]))) as pdf:
        assert "/Outlines" not in pdf.Root


def test_objects_beyond_one_object_stream_all_resolve() -> None:
    data = merged([hand_part(1, first=True, label="A", extra_objects=OBJECT_STREAM + 500),
                   hand_part(2, first=False, label="B", extra_objects=OBJECT_STREAM)])
    with pikepdf.open(BytesIO(data)) as pdf:
        streams = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Type") == "/ObjStm"]
        assert len(streams) >= 3
        arrays = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Array) and len(obj) == 1]
        assert len(arrays) >= 2 * OBJECT_STREAM + 500


@needs_qpdf
def test_the_merged_file_is_strictly_valid(three_parts: bytes, tmp_path: Path) -> None:
    assert strict_problems(three_parts, tmp_path) == []


def test_the_same_parts_give_the_same_bytes(three_parts: bytes) -> None:
    again = merged([hand_part(2, first=True, label="Første"), hand_part(1, first=False, label="Anden"),
                    hand_part(3, first=False, label="Tredje")])
    assert again == three_parts


def test_footers_must_match_the_page_count() -> None:
    writer = Writer()
    writer.add_part(hand_part(2, first=True, label="A"))
    with pytest.raises(AssertionError):
        writer.add_footers(hand_footers(3))


def test_the_writer_imports_neither_weasyprint_nor_pydyf() -> None:
    script = ("import sys; import pipeline.render.pdf.writer, pipeline.render.pdf.part\n"
              "assert not {'weasyprint', 'pydyf'} & set(sys.modules), sorted(sys.modules)\n")
    subprocess.run([sys.executable, "-c", script], check=True)


# --- The writer's syntax is pydyf's, byte for byte ------------------------------------------------

@pytest.mark.parametrize("item", [b"12 0 R", "/Name", 0, 7, -3, 1.0, 0.5, 841.8897637795277, -0.25, 1e-07])
def test_values_are_written_as_pydyf_writes_them(item: syntax.Value) -> None:
    import pydyf

    assert syntax.value(item) == pydyf.Array([item]).data[1:-1]  # how pydyf writes one value


@pytest.mark.parametrize("text", ["Implementeringsplan 2017", "Første del – (og) \\ mere", b"\x00\x7f()\\",
                                  "Emoji 😀", ""])
def test_strings_are_written_as_pydyf_writes_them(text: str | bytes) -> None:
    import pydyf

    assert syntax.string(text) == pydyf.String(text).data


def _inflated(stream: bytes) -> bytes:
    """The decompressed content of a serialised stream."""
    return zlib.decompress(stream.split(b"\nstream\n", 1)[1].rsplit(b"\nendstream", 1)[0])


def test_containers_and_streams_are_written_as_pydyf_writes_them() -> None:
    import pydyf

    entries = {"Type": "/XRef", "Size": 12, "W": pydyf.Array([1, 3, 2]), "Root": b"4 0 R"}
    assert syntax.dictionary({**entries, "W": syntax.array([1, 3, 2])}) == pydyf.Dictionary(entries).data
    for compress in (False, True):
        for extra in ({}, {"Type": "/ObjStm", "N": 2, "First": 8}, {"Filter": "/FlateDecode", "Length": 1}):
            ours = syntax.stream(b"1 0 2 5\n<<>>\n[1]", extra, compress=compress)
            stream = pydyf.Stream([b"1 0 2 5", b"<<>>", b"[1]"], pydyf.Dictionary(extra), compress=compress)
            if compress:  # pydyf compresses at zlib level 9, the writer at 6: the same content
                theirs = stream.data
                assert _inflated(ours) == _inflated(theirs) == b"1 0 2 5\n<<>>\n[1]", extra
                assert ours.split(b"/Length")[0] == theirs.split(b"/Length")[0], extra
                continue
            assert ours == stream.data, (extra, compress)
            stream.number, stream.generation = 9, 0
            assert syntax.indirect(9, ours) == stream.indirect
