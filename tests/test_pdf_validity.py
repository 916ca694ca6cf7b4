"""A merged (split) overview PDF is strictly valid: `qpdf --check` finds nothing, and pikepdf
opens it without a warning. A broken file fails that check (so the check really checks)."""

from __future__ import annotations

import re
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest

from pipeline.core.model import Document
from pipeline.render import overview
from pipeline.render.dispatch import render

from conftest import TEMPLATES

PDF = "oversigter/implementeringsplan_2017.pdf"
QPDF = shutil.which("qpdf")
needs_qpdf = pytest.mark.skipif(QPDF is None, reason="qpdf is not installed (.ci/run installs it)")


def qpdf_problems(pdf: bytes, folder: Path) -> list[str]:
    """Return what `qpdf --check` reports beyond a clean bill of health (nothing for a valid file)."""
    path = folder / "check.pdf"
    path.write_bytes(pdf)
    result = subprocess.run([QPDF, "--check", str(path)], capture_output=True, text=True)
    report = result.stdout + result.stderr
    if result.returncode == 0 and "No syntax or stream encoding errors found" in report and "WARNING" not in report:
        return []
    return [line for line in report.splitlines() if line.strip()] or [f"qpdf exited with {result.returncode}"]


def pikepdf_problems(pdf: bytes) -> list[str]:
    """Return the warnings pikepdf (qpdf's library) gives while opening and reading every object."""
    try:
        with pikepdf.open(BytesIO(pdf)) as opened:
            for obj in opened.objects:  # resolve every object, streams decoded
                if isinstance(obj, pikepdf.Stream):
                    obj.read_bytes()
            return [str(warning) for warning in opened.get_warnings()]
    except pikepdf.PdfError as error:
        return [f"pikepdf: {error}"]


def strict_problems(pdf: bytes, folder: Path) -> list[str]:
    """Return every problem `qpdf --check` or pikepdf finds in `pdf`."""
    return qpdf_problems(pdf, folder) + pikepdf_problems(pdf)


@pytest.fixture(scope="module")
def merged_pdf(sample_documents: dict[str, Document]) -> bytes:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(overview.CHUNK_VARIABLE, "3")  # 13 rows: five parts and a footer document
        return render(sample_documents[PDF], TEMPLATES)


def with_broken_startxref(pdf: bytes) -> bytes:
    """Return `pdf` with its `startxref` pointing 7 bytes past the cross-reference stream."""
    match = re.search(rb"startxref\n(\d+)\n%%EOF\n$", pdf)
    assert match, "a merged PDF ends with startxref and %%EOF"
    return pdf[:match.start(1)] + str(int(match[1]) + 7).encode() + pdf[match.end(1):]


@needs_qpdf
def test_a_merged_pdf_passes_qpdf_check_and_opens_without_warnings(merged_pdf: bytes, tmp_path: Path) -> None:
    with pikepdf.open(BytesIO(merged_pdf)) as pdf:
        assert len(pdf.pages) > 4 and "/PipelineFooter1" in pdf.pages[0].Resources.XObject  # merged
    assert strict_problems(merged_pdf, tmp_path) == []


@needs_qpdf
def test_a_broken_startxref_fails_both_checks(merged_pdf: bytes, tmp_path: Path) -> None:
    broken = with_broken_startxref(merged_pdf)
    assert qpdf_problems(broken, tmp_path), "qpdf --check let a wrong startxref pass"
    assert pikepdf_problems(broken), "pikepdf opened a wrong startxref without a warning"


def test_a_damaged_cross_reference_stream_fails_pikepdf(merged_pdf: bytes) -> None:
    offset = int(re.search(rb"startxref\n(\d+)\n", merged_pdf)[1])
    damaged = bytearray(merged_pdf)
    damaged[offset:offset + 2] = b"99"  # the xref stream's object number no longer matches
    assert pikepdf_problems(bytes(damaged))
