"""Every generated Word document opens in LibreOffice: converted headless to PDF without error."""

import shutil
import subprocess

import pytest
from pypdf import PdfReader

from pipeline.documents.kinds import MEETING_KINDS as WORD_KINDS
from pipeline.render.dispatch import render

from conftest import TEMPLATES

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (.ci/run installs it)")
def test_every_sample_word_document_converts_with_libreoffice(sample_documents, tmp_path):
    words = {path: document for path, document in sample_documents.items() if document.kind in WORD_KINDS}
    for path, document in words.items():
        (tmp_path / path.replace("/", "_")).write_bytes(render(document, TEMPLATES))
    files = sorted(str(p) for p in tmp_path.glob("*.docx"))
    done = subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/profile",
                           "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), *files],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    pdfs = sorted((tmp_path / "pdf").glob("*.pdf"))
    assert len(pdfs) == len(words) == 7
    for pdf in pdfs:
        text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
        assert "Ballerup Kommune" in text and "Indstilling" in text, pdf.name
        assert "{{" not in text and "{%" not in text
