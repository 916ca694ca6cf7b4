"""Edit Word templates the way Word stores a case officer's edits: through python-docx runs.

Each helper opens a .docx with python-docx, changes runs (their text, formatting, tracked
changes, comments) and saves it, so the template on disk is what Word would have written.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from conftest import TEMPLATES

ORIENTATION = "orienteringssag.docx"
DISCUSSION = "droeftelse.docx"


def copy_templates(folder: Path) -> Path:
    """Copy the shipped templates (Word, HTML, CSS, fonts) into `folder`; return it."""
    shutil.copytree(TEMPLATES, folder, dirs_exist_ok=True)
    return folder


def paragraphs(document) -> Iterator[Paragraph]:
    """Yield every paragraph of the body, those in table cells included, in document order."""
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            yield block
        else:
            for row in block.rows:
                for cell in row.cells:
                    yield from cell.paragraphs


def find(document, text: str, nth: int = 0) -> Paragraph:
    """Return the `nth` paragraph whose text is exactly `text`."""
    found = [p for p in paragraphs(document) if p.text == text]
    assert len(found) > nth, f"{text!r} occurs {len(found)} times"
    return found[nth]


def retype(path: Path, old: str, new: str, nth: int = 0) -> None:
    """Replace the `nth` paragraph reading `old` by `new`, as typing over it in Word does."""
    document = docx.Document(str(path))
    paragraph = find(document, old, nth)
    paragraph.runs[0].text = new
    for run in paragraph.runs[1:]:
        run._r.getparent().remove(run._r)
    document.save(str(path))


def split_formatted(path: Path, text: str, at: int, **formatting) -> None:
    """Split the paragraph reading `text` into two runs at `at`, the second with `formatting` (bold=True)."""
    document = docx.Document(str(path))
    paragraph = find(document, text)
    paragraph.runs[0].text = text[:at]
    run = paragraph.add_run(text[at:])
    for name, value in formatting.items():
        setattr(run.font, name, value)
    document.save(str(path))


def track_insertion(path: Path, text: str) -> None:
    """Mark the runs of the paragraph reading `text` as a tracked insertion (w:ins), not accepted."""
    document = docx.Document(str(path))
    paragraph = find(document, text)
    insertion = _revision("w:ins", 1)
    paragraph.runs[0]._r.addprevious(insertion)
    for run in paragraph.runs:
        insertion.append(run._r)
    document.save(str(path))


def track_deletion(path: Path, text: str, deleted: str) -> None:
    """Append `deleted` to the paragraph reading `text` as tracked deleted text (w:del), not accepted."""
    document = docx.Document(str(path))
    run = find(document, text).add_run(deleted)._r
    run.find(qn("w:t")).tag = qn("w:delText")
    deletion = _revision("w:del", 2)
    run.addprevious(deletion)
    deletion.append(run)
    document.save(str(path))


def comment(path: Path, text: str, note: str, split_at: int | None = None) -> None:
    """Comment on the paragraph reading `text`; with `split_at`, anchor on its text from there on."""
    document = docx.Document(str(path))
    paragraph = find(document, text)
    runs = paragraph.runs
    if split_at is not None:
        runs[0].text = text[:split_at]
        runs = [paragraph.add_run(text[split_at:])]
    document.add_comment(runs, text=note, author="Sagsbehandler")
    document.save(str(path))


def add_paragraph(path: Path, text: str, after: str, style: str | None = None) -> None:
    """Insert a paragraph reading `text` after the one reading `after`."""
    document = docx.Document(str(path))
    anchor = find(document, after)
    new = OxmlElement("w:p")
    anchor._p.addnext(new)
    paragraph = Paragraph(new, anchor._parent)
    paragraph.add_run(text)
    if style:
        paragraph.style = document.styles[style]
    document.save(str(path))


def _revision(tag: str, number: int):
    element = OxmlElement(tag)
    element.set(qn("w:id"), str(number))
    element.set(qn("w:author"), "Sagsbehandler")
    element.set(qn("w:date"), "2024-03-01T10:00:00Z")
    return element
