"""`pipeline check-templates --preview MAPPE`: one example of every document, before the night run.

Each template is rendered, the same way the build renders it, with the plans in `input/`, or
with built-in example data when there is no plan or it cannot be read, into a folder the case
officer chooses: an orientation case and a discussion note (.docx), the overview (.pdf) and the
web page (.html). The folder may not lie inside the output folder (nor the templates folder):
a preview never replaces a real document. Everything is rendered before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.core.errors import InputError, UsageError
from pipeline.core.model import Activity, Document, DocumentKind, Initiative, Plan, Source, Status
from pipeline.source.parse import DEFAULT_COMMITTEES, parse_period, parse_questions

EXAMPLE_FILE = "eksempeldata"
EXAMPLE_PREFIX = "eksempel_"
KINDS = (DocumentKind.ORIENTATION, DocumentKind.DISCUSSION, DocumentKind.OVERVIEW, DocumentKind.WEBPAGE)


@dataclass(frozen=True)
class Preview:
    """What a preview wrote: the files, and what their data came from (a note when it fell back)."""

    files: tuple[Path, ...]
    origin: str
    note: str = ""


def write_preview(folder: Path, templates: Path, output: Path, plans: Iterable[Path] = ()) -> Preview:
    """Render one document of each kind into `folder`; raise UsageError for a folder inside `output`."""
    from pipeline.core.files import atomic_write
    from pipeline.render.dispatch import render

    refuse_folder(folder, output, templates)
    documents, origin, note = example_documents(plans)
    rendered = [(folder / _file_name(document), render(document, templates)) for document in documents]
    for path, data in rendered:
        atomic_write(path, data)
    return Preview(tuple(path for path, _ in rendered), origin, note)


def refuse_folder(folder: Path, output: Path, templates: Path) -> None:
    """Raise UsageError when `folder` is, or lies inside, the output folder or the templates folder."""
    target = folder.resolve()
    for protected, what in ((output, "outputmappen"), (templates, "skabelonmappen")):
        root = protected.resolve()
        if target == root or target.is_relative_to(root):
            where = f"det er {what}" if target == root else f"den ligger i {what} {protected}"
            raise UsageError(f"Eksemplerne kan ikke skrives i {folder}, for {where}; vælg en anden mappe, "
                             "fx --preview eksempler")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"Eksemplerne kan ikke skrives i {folder}: det er en fil, ikke en mappe.")


def example_documents(plans: Iterable[Path] = ()) -> tuple[list[Document], str, str]:
    """Return one document of each kind, what its data came from, and a note when the plans failed.

    The plans in `plans` (default: every plan in `input/`) are used when they can be read; a kind
    they make no document of is taken from the example data.
    """
    from pipeline.documents.planning import plan_documents
    from pipeline.source.plans import find_plans, load_plans, read_plan_files

    note = ""
    try:
        paths = find_plans(plans)
        documents = plan_documents(load_plans(read_plan_files(paths)))
        origin = ", ".join(path.name for path in paths)
    except UsageError:
        documents, origin = [], EXAMPLE_FILE
        note = "Der er ingen plan i input/, så eksemplerne er lavet med indbyggede eksempeldata."
    except InputError as error:
        documents, origin = [], EXAMPLE_FILE
        count = len(error.problems)
        note = (f"Planen i input/ kan ikke læses ({count} fejl; se dem med »pipeline validate«), så "
                "eksemplerne er lavet med indbyggede eksempeldata.")
    examples = plan_documents([example_plan()])
    chosen = []
    for kind in KINDS:
        document = next((d for d in documents if d.kind is kind), None)
        chosen.append(document or next(d for d in examples if d.kind is kind))
    return chosen, origin, note


def _file_name(document: Document) -> str:
    """Return the file name in the preview folder: the output file's name, marked when it is example data."""
    example = EXAMPLE_FILE in document.plans
    return f"{EXAMPLE_PREFIX if example else ''}{document.path.name}"


# --- Example data --------------------------------------------------------------------------------

EXAMPLE_YEAR = 2029
_LONG = ("Forvaltningen inddrager borgere, foreninger, skoler og det lokale erhvervsliv i en række "
         "åbne værksteder, hvor ønsker og idéer til byens udvikling samles, prioriteres og føres "
         "videre til de politiske udvalg. Værkstederne holdes på biblioteker, i idrætshaller og på "
         "plejecentre, så også ældre, børnefamilier og unge uden erfaring med høringer kan være med; "
         "resultaterne offentliggøres på kommunens hjemmeside og i lokalavisen.")
# (Dato, Tema, Aktivitet, Deltagerkreds, Status, Ansvarlig, Bemærkning)
_ROWS = [
    ("Løbende", "Kommunikation", "Visionen fortælles på hjemmesiden,\ni nyhedsbreve og på sociale medier",
     "Kommunikationsafdelingen", Status.IN_PROGRESS, "Søren Ærø", ""),
    ("Løbende", "Ledelse", "Ledere drøfter visionen på personalemøder", "Alle ledere", Status.IN_PROGRESS, "", ""),
    ("Januar", "Opstart", "Kick-off for alle medarbejdere i Ballerup Kommune", "Direktionen", Status.DONE,
     "Åse Østergård", "Afholdt i rådhushallen"),
    ("Februar-marts", "Borgerinddragelse", _LONG, "Borgere, foreninger og erhvervsliv", Status.DONE, "", ""),
    ("uge 12", "Uddannelse", "Temauge om fremtidens uddannelsesby", "BSU\nSkolerne", Status.DONE, "", ""),
    ("2. kvartal", "Grøn omstilling", "Kortlægning af kommunens energiforbrug", "TMU", Status.IN_PROGRESS, "", ""),
    ("Forår", "Erhverv", "Dialogmøder med virksomheder om lokale arbejdspladser", "EBU", Status.POSTPONED, "",
     "Flyttes til efteråret på grund af valget"),
    ("8. maj", "Kultur", "Åbent hus på Ballerup Bibliotek – »Vi skaber fremtiden sammen«", "KFU",
     Status.DONE, "", ""),
    ("Juni-september", "Sundhed", "Sommerkampagne om bevægelse & trivsel for <alle> aldersgrupper",
     "SSU", Status.PLANNED, "", ""),
    ("Efterår", "Økonomi", "Budgetseminar med fokus på visionens økonomiske konsekvenser", "ØKU",
     Status.PLANNED, "", ""),
    ("Efterår/Vinter", "Evaluering", "Midtvejsevaluering af implementeringsplanen", "Alle udvalg",
     Status.PLANNED, "", ""),
    ("Vinter", "Opsamling", "Årsberetning om visionens fremdrift", "KMB", Status.PLANNED, "", ""),
]
# Plenty of rows, so tables run over several pages; their status follows from their dates.
_MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
           "november", "december")
_TAILS = ("handleplan for området", "opfølgning på handleplanen og dialog med beboerne",
          "borgermøde, byvandring og værksted om pladsens fremtid – med børn fra de lokale skoler")
_ROWS += [(f"{day}. {month}", f"Lokalt projekt {number}",
           f"Lokalt projekt nr. {number} i {'Skovlunde' if number % 2 else 'Måløv'}: {_TAILS[number % 3]}",
           "BSU, TMU og SSU", None, "", "")
          for number, (day, month) in enumerate(((day, month) for month in _MONTHS for day in (4, 20)), start=1)]
_THEME = "Børn og unge: trivsel og læring i en grøn by"
_DISCUSSION = (f"Udvalget drøfter, hvordan visionen kan gøres konkret for børn og unge.\n{_LONG}\n"
               "Drøftelse: Hvordan kan skolerne bruge visionen i undervisningen? Hvilke indsatser skal "
               "prioriteres først? Hvad skal der til, for at også de ældste elever føler sig hørt?")


def example_plan() -> Plan:
    """Return a plan that fills every template variable: æøå, long texts, empty lists, many rows.

    One orientation case (Kommunalbestyrelsen, 18 June) with many done and started activities
    and none cancelled; one discussion (Børne- og Skoleudvalget, 29 May, also discussed by
    Økonomiudvalget) with three questions and several initiatives.
    """
    year = EXAMPLE_YEAR
    register = {committee.abbreviation: committee for committee in DEFAULT_COMMITTEES}
    activities = []
    for row, (label, theme, text, participants, status, responsible, remark) in enumerate(_ROWS, start=3):
        activities.append(Activity(
            Source(EXAMPLE_FILE, "Plan", row), parse_period(label, year), theme, text, participants,
            status=status, responsible=responsible, remark=remark, extra=_extra(row)))
    council, children, finance = register["KMB"], register["BSU"], register["ØKU"]
    activities.append(Activity(
        Source(EXAMPLE_FILE, "Plan", 40), parse_period("18. juni", year), "Status på visionen",
        "Orienteringssag om implementeringsplanen", "KMB", (council,), (DocumentKind.ORIENTATION,),
        status=Status.PLANNED, case_number="29/04711", responsible="Sekretariatet", extra=_extra(40)))
    for row, (day, committee) in enumerate(((date(year, 5, 29), children), (date(year, 6, 5), finance)), start=41):
        activities.append(Activity(
            Source(EXAMPLE_FILE, "Plan", row), parse_period(day.isoformat(), year), _THEME, _DISCUSSION,
            committee.abbreviation, (committee,), (DocumentKind.DISCUSSION,), parse_questions(_DISCUSSION),
            Status.PLANNED, "29/04712", "Børne- og Ungeforvaltningen", extra=_extra(row)))
    initiatives = (
        Initiative(Source(EXAMPLE_FILE, "Indsatser", 2), "Grønne skolegårde",
                   "Skolegårde med regnbede, frugttræer og udekøkkener\nUdvikles sammen med eleverne",
                   "eksisterende", children),
        Initiative(Source(EXAMPLE_FILE, "Indsatser", 3), "Læsebånd i alle klasser", _LONG, "kommende", None),
        Initiative(Source(EXAMPLE_FILE, "Indsatser", 4), "Ungeråd", "Et råd af unge, der høres i alle sager om "
                   "byens rum", "planlagt", children),
    )
    return Plan(EXAMPLE_FILE, year, tuple(activities), initiatives, DEFAULT_COMMITTEES, True)


def _extra(row: int) -> tuple[tuple[str, str], ...]:
    """Return the columns the schema does not know, as a plan may have them (`r.ekstra["Budget"]`)."""
    return (("Budget", f"{row * 12_500:,} kr.".replace(",", ".")), ("Kontakt", "Ærøskøbing Ølund"))
