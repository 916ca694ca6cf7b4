"""Small synthetic documents whose contexts fill every list with one item.

The template linter and `check-templates --preview` use them to learn which variables (and
fields of list items) a template of each kind may use.
"""

from __future__ import annotations

from datetime import date

from pipeline.core.model import Activity, Committee, Document, DocumentKind, Initiative, Period, Source, Status
from pipeline.documents.kinds import build_context, output_path


def sample_document(kind: DocumentKind) -> Document:
    """Return a small synthetic document of `kind` whose context fills every list with one item.

    The template linter uses it to learn which variables (and fields of list items) exist.
    """
    source = Source("eksempel_2017.xlsx", "Plan", 2)
    day = date(2017, 6, 19)
    council = Committee("KMB", "Kommunalbestyrelsen")
    other = Committee("BSU", "Børne- og Skoleudvalget")

    def activity(status: Status | None = None, *, kinds: tuple[DocumentKind, ...] = (),
                 committees: tuple[Committee, ...] = (), start: date = day) -> Activity:
        return Activity(source, Period(start, start, start.isoformat()), "Tema", "Aktivitet",
                        "Deltagerkreds", committees, kinds, ("Spørgsmål?",) if kinds else (),
                        status, "17/1", "Ansvarlig", "Bemærkning")  # `ekstra` stays open-ended

    statuses = tuple(activity(status) for status in Status)
    attachments = (output_path(DocumentKind.OVERVIEW, 2017),)
    if kind is DocumentKind.ORIENTATION:
        own = activity(kinds=(kind,), committees=(council,))
        return Document(kind, output_path(kind, 2017, council, day), 2017, council, day,
                        (own,), (own, *statuses), (), True, (source.file,), attachments=attachments)
    if kind is DocumentKind.DISCUSSION:
        own = activity(kinds=(kind,), committees=(council,))
        sibling = activity(kinds=(kind,), committees=(other,), start=date(2017, 6, 20))
        return Document(kind, output_path(kind, 2017, council, day), 2017, council, day,
                        (own,), (own, sibling), (Initiative(source, "Indsats", "Beskrivelse",
                                                            "eksisterende", None),),
                        True, (source.file,), attachments=attachments)
    return Document(kind, output_path(kind, 2017), 2017, shown=statuses, has_status=True,
                    plans=(source.file,))


def variables(kind: DocumentKind) -> frozenset[str]:
    """Return the names of the variables a template for `kind` may use."""
    return frozenset(build_context(sample_document(kind)))
