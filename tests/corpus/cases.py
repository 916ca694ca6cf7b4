"""The corpus of hostile and broken plans: each case writes its files and states its outcome.

A case either fails with exit code 2 and the exact Danish lines a case officer sees (naming the
file, sheet, row, column and value), leaving the output folder as it was; or it succeeds, and
the text it lists comes out literally in the documents named. `tests/test_corpus.py` runs every
case through the command line.

Choices the corpus pins down (see also `pipeline/source/excel.py`):
- Hidden rows are data; a hidden sheet is never the plan sheet (not even one named Plan), but a
  hidden `Udvalg` sheet is the committee register.
- A cell merged over several rows counts in each row that has data of its own.
- Formulas count with the result Excel saved; one saved without a result, or with an error
  value, is an error in its cell.
- Numbers in text columns are text (`42`); control characters are dropped; emoji and
  right-to-left text are kept.
- CSV: UTF-8 and Windows-1252 may be mixed in one file (read byte by byte); `;`, `,` and tab
  separate columns; any other separator finds no header row and says so.
- Two plans for the same year are one plan: the same document from both files is one file with
  the rows of both.
"""

from __future__ import annotations

import codecs
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook

from corpus.files import Formula, Sheet, write_encrypted_office, write_raw_xlsx, write_zip_bomb

from conftest import HEADER, TEMPLATES, write_csv, write_xlsx

PLAN = "implementeringsplan_2017.xlsx"
CSV = "implementeringsplan_2017.csv"
ORIENTATION = "orienteringssager/2017-06-19_KMB_orienteringssag.docx"
BSU_NOTE = "droeftelser/2017-05-30_BSU_droeftelse.docx"
PDF = "oversigter/implementeringsplan_2017.pdf"
HTML = "oversigter/implementeringsplan_2017.html"
OVERVIEWS = frozenset({PDF, HTML})
ENDING = "Ret regnearket og prøv igen; ingen dokumenter er ændret."

# Rows that make one orientation case and one discussion note.
MEETING = ("19. juni", "Status på planen", "Orienteringssag", "KMB")
DISCUSSION = ("30. maj", "Fortællinger", "Drøftelse: Hvilke fortællinger skal vi bruge?", "BSU")
ACTIVITY = ("Juni – september", "Formidling", "Hjemmeside\nPresse", "Borgere")

# Template code and markup that must come out as text, never evaluated (README, "Regnearket").
HOSTILE = ("{{ 7*7 }} {% for x in y %}{% endfor %} <script>alert(1)</script> "
           "<img src=file:///etc/passwd> </style> url(http://x) & \"citat\"")
EMOJI_RTL = "Fællesskab 😀 👩‍👩‍👧 שלום עולם مرحبا بالعالم"


@dataclass(frozen=True)
class Case:
    """One bad input and what the command line must do with it.

    `make` writes the case's files into a folder and returns the plan files to pass on the
    command line (none: the build finds them in `input/`). For a failure, `lines` are the exact
    lines the user sees and `prefixes` the start of lines whose end quotes a library. For a
    success, `documents` is every document the build writes and `texts` maps a document to the
    text it must show literally; `pdf_text` is False where the PDF's font has no glyph to extract.
    """

    name: str
    make: Callable[[Path], list[str]]
    exit_code: int = 2
    command: str = "build"
    lines: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    documents: frozenset[str] | None = None
    texts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    absent: tuple[str, ...] = ()  # text that must not be in any document (dropped control characters)
    env: dict[str, str] = field(default_factory=dict)
    pdf_text: bool = True


def errors(*messages: str) -> tuple[str, ...]:
    """Return the lines the CLI prints for `messages`: each as `Fejl: …`, then the closing line."""
    closing = f"{len(messages)} fejl fundet. {ENDING}" if len(messages) > 1 else ENDING
    return (*(f"Fejl: {message}" for message in messages), closing)


def _in(folder: Path, name: str) -> Path:
    (folder / "input").mkdir(exist_ok=True)
    return folder / "input" / name


def _xlsx(rows, header=HEADER, **options) -> Callable[[Path], list[str]]:
    """Return a `make` that writes one workbook with openpyxl (conftest.write_xlsx)."""
    def make(folder: Path) -> list[str]:
        write_xlsx(_in(folder, PLAN), rows, header, **options)
        return [f"input/{PLAN}"]
    return make


def _raw(*sheets: Sheet, name: str = PLAN) -> Callable[[Path], list[str]]:
    """Return a `make` that writes one raw .xlsx package (corpus.files)."""
    def make(folder: Path) -> list[str]:
        write_raw_xlsx(_in(folder, name), sheets)
        return [f"input/{name}"]
    return make


def _csv_bytes(data: bytes, name: str = CSV) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        _in(folder, name).write_bytes(data)
        return [f"input/{name}"]
    return make


def _lines(rows, separator: str = ";", header=HEADER) -> str:
    return "".join(separator.join(row) + "\r\n" for row in (header, *rows))


# --- Files that are not what their name says ----------------------------------------------------

def _password_protected(folder: Path) -> list[str]:
    write_encrypted_office(_in(folder, PLAN))
    return [f"input/{PLAN}"]


def _truncated(folder: Path) -> list[str]:
    path = write_xlsx(_in(folder, PLAN), [MEETING, DISCUSSION, ACTIVITY])
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return [f"input/{PLAN}"]


def _damaged_sheet(folder: Path) -> list[str]:
    """A sound zip whose worksheet is not XML (a disk error, a bad download)."""
    path = write_xlsx(_in(folder, PLAN), [MEETING])
    with zipfile.ZipFile(path) as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
    parts["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row><c r='A1' t='s'><v>9"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return [f"input/{PLAN}"]


def _word_document(folder: Path) -> list[str]:
    shutil.copy(TEMPLATES / "droeftelse.docx", _in(folder, PLAN))  # a zip, but not a workbook
    return [f"input/{PLAN}"]


def _zip_bomb(folder: Path) -> list[str]:
    write_zip_bomb(_in(folder, PLAN), megabytes=1024)
    return [f"input/{PLAN}"]


def _lying_zip_bomb(folder: Path) -> list[str]:
    write_zip_bomb(_in(folder, PLAN), megabytes=64, declared_megabytes=1)
    return [f"input/{PLAN}"]


def _unpacked_cap(folder: Path) -> list[str]:
    write_zip_bomb(_in(folder, PLAN), megabytes=2)
    return [f"input/{PLAN}"]


# --- Workbook features -------------------------------------------------------------------------

def _merged(folder: Path) -> list[str]:
    book = Workbook()
    sheet = book.active
    sheet.title = "Plan"
    for row in (("Implementeringsplan 2017",), HEADER, MEETING,
                ("8. maj", "Formidling", "Chefgruppen udvælger indsatser", "Chefgruppen"),
                ("30. maj", None, "Drøftelse: Hvordan fortæller vi om visionen?", "BSU"),
                ("Juni – september", None, "Hjemmeside", "Borgere"),
                (None, None, None, None)):
        sheet.append(list(row))
    sheet.merge_cells("A1:D1")  # the title across the columns
    sheet.merge_cells("B4:B7")  # one Tema for three activities and an empty row
    book.save(_in(folder, PLAN))
    return [f"input/{PLAN}"]


def _hidden(folder: Path) -> list[str]:
    book = Workbook()
    old = book.active
    old.title = "Plan"  # an old copy, hidden: not the plan
    old.sheet_state = "hidden"
    for row in (HEADER, ("32. maj", "Gammelt", "Forældet udkast", "XYZ")):
        old.append(list(row))
    plan = book.create_sheet("Ark1")
    for row in (HEADER, DISCUSSION, MEETING, ("13. juni", "Dialog", "Drøftelse: Hvem inviterer vi?", "DIA")):
        plan.append(list(row))
    plan.row_dimensions[3].hidden = True  # the orientation case: hidden, still data
    register = book.create_sheet("Udvalg")
    register.sheet_state = "hidden"  # a lookup list, hidden: still the register
    for row in (("Forkortelse", "Navn"), ("KMB", "Kommunalbestyrelsen"), ("BSU", "Børne- og Skoleudvalget"),
                ("DIA", "Dialogudvalget")):
        register.append(list(row))
    book.save(_in(folder, PLAN))
    return [f"input/{PLAN}"]


def _formula_sheet(tema: object, aktivitet: object) -> Sheet:
    return Sheet("Plan", [HEADER, ("30. maj", tema, aktivitet, Formula('UPPER("bsu")', "BSU"))])


# --- CSV ---------------------------------------------------------------------------------------

def _mixed_encoding(folder: Path) -> list[str]:
    utf8 = _lines([("8. maj", "Æbler og søer", "Åbent møde i Ølstykke", "Borgere")]).encode("utf-8")
    cp1252 = "30. maj;Ørkenvandring på Ærø;Drøftelse: Hvad gør vi på Ærø?;BSU\r\n".encode("cp1252")
    return _csv_bytes(utf8 + cp1252)(folder)


def _big_csv(folder: Path) -> list[str]:
    row = ("8. maj", "Tema", "x" * 1000, "Borgere")
    return _csv_bytes(_lines([row] * 1530).encode("utf-8"))(folder)  # 1.5 MB


# --- Names that try to become paths ------------------------------------------------------------

LONG = "A" * 200
COMMITTEE_PATHS = [("Forkortelse", "Navn"), ("../../x", "Stiudvalget"), ("CON", "Konsoludvalget"),
                   ("a/b", "Skråstregsudvalget"), (LONG, "Det lange udvalg"), ("KMB", "Kommunalbestyrelsen")]


def _hostile_everywhere(folder: Path) -> list[str]:
    header = (*HEADER, "Sagsnr.", "Ansvarlig", "Bemærkning", "Noter")
    more = (HOSTILE,) * 4
    rows = [
        ("30. maj", HOSTILE, f"{HOSTILE}\nDrøftelse: {HOSTILE}?", "BSU", *more),
        ("19. juni", HOSTILE, f"Orienteringssag: {HOSTILE}", "KMB", *more),
        ("Juni", HOSTILE, HOSTILE, HOSTILE, *more),
    ]
    sheets = {
        "Udvalg": [("Forkortelse", "Navn"), ("KMB", "Kommunalbestyrelsen"),
                   ("BSU", f"Børne- og Skoleudvalget {HOSTILE}")],
        "Indsatser": [("Indsats", "Beskrivelse", "Type", "Udvalg"), (HOSTILE, HOSTILE, "kommende", "")],
    }
    write_xlsx(_in(folder, PLAN), rows, header, sheets=sheets)
    return [f"input/{PLAN}"]


def _two_plans(folder: Path) -> list[str]:
    write_xlsx(_in(folder, PLAN), [
        MEETING, DISCUSSION, ("Maj", "Fortællinger", "Aktivitet fra den første plan", "Chefgruppen")])
    write_csv(_in(folder, "tillaeg_2017.csv"), [
        MEETING, ("30. maj", "Fortællinger", "Drøftelse: Hvem skal høre fortællingerne?", "BSU"),
        ("Oktober", "Dialog", "Aktivitet fra tillægget", "Borgere")])
    return []  # the build takes every plan in input/


def _limits_row(length: int) -> tuple[str, ...]:
    return ("8. maj", "Tema", "x" * length, "Borgere")


CASES: list[Case] = [
    # --- Not a workbook, or not a readable one --------------------------------------------------
    Case("password_protected_workbook", _password_protected, lines=errors(
        f"{PLAN}: filen er beskyttet med adgangskode eller gemt i det gamle .xls-format; gem den som "
        "almindelig Excel-projektmappe (.xlsx) uden adgangskode")),
    Case("truncated_workbook", _truncated, lines=errors(
        f"{PLAN}: filen er beskadiget eller ufuldstændig (måske afbrudt under kopiering); gem den igen fra Excel")),
    Case("word_document_named_xlsx", _word_document, lines=errors(
        f"{PLAN}: filen er ikke et Excel-regneark, selv om navnet ender på .xlsx; "
        "åbn den i Excel og gem den som .xlsx")),
    Case("damaged_worksheet_xml", _damaged_sheet,
         prefixes=(f"Fejl: {PLAN}: filen kan ikke læses som Excel-regneark (",)),
    Case("zip_bomb", _zip_bomb, lines=errors(
        f"{PLAN}: filen fylder 1.024 MB udpakket; grænsen er 500 MB (sæt miljøvariablen "
        "PIPELINE_MAX_UNPACKED_MB for at hæve den)")),
    # calamine refuses a member that unpacks past its declared size, before it fills the memory.
    Case("zip_bomb_that_lies_about_its_size", _lying_zip_bomb, env={"PIPELINE_MAX_UNPACKED_MB": "10"},
         prefixes=(f"Fejl: {PLAN}: filen kan ikke læses som Excel-regneark (",)),
    # --- Workbook features ------------------------------------------------------------------------
    Case("formulas_with_saved_results", _raw(_formula_sheet(
        Formula('"Formi"&"dling"', "Formidling"), Formula('"Drøftelse: "&"Hvad fortæller vi?"',
                                                           "Drøftelse: Hvad fortæller vi?"))),
         exit_code=0, documents=OVERVIEWS | {BSU_NOTE},
         texts={BSU_NOTE: ("Formidling", "Hvad fortæller vi?"), HTML: ("Formidling",)}),
    Case("formula_without_saved_result", _raw(_formula_sheet(Formula("1+1"), "Drøftelse: Hvad?")), lines=errors(
        f'{PLAN}, ark "Plan", række 2, kolonne "Tema": "=1+1" er en formel, som er gemt uden sit resultat; '
        "åbn filen i Excel, og gem den igen, så resultatet bliver beregnet")),
    Case("formula_with_error_value", _raw(_formula_sheet("Tema", Formula("1/0", "#DIV/0!", "e"))), lines=errors(
        f'{PLAN}, ark "Plan", række 2, kolonne "Aktivitet": "#DIV/0!" er en fejlværdi fra en formel; '
        "ret formlen i Excel")),
    Case("merged_cells", _merged, exit_code=0, documents=OVERVIEWS | {ORIENTATION, BSU_NOTE},
         texts={BSU_NOTE: ("Formidling", "Hvordan fortæller vi om visionen?"),
                ORIENTATION: ("Chefgruppen udvælger indsatser", "Hjemmeside")}),
    Case("hidden_rows_and_sheets", _hidden, exit_code=0,
         documents=OVERVIEWS | {ORIENTATION, BSU_NOTE, "droeftelser/2017-06-13_DIA_droeftelse.docx"},
         texts={"droeftelser/2017-06-13_DIA_droeftelse.docx": ("Dialogudvalget", "Hvem inviterer vi?")},
         absent=("Forældet udkast",)),
    Case("duplicated_header", _xlsx([MEETING], header=(*HEADER, "tema ")), lines=errors(
        f'{PLAN}, ark "Plan", række 1: "tema" står to gange i overskriftsrækken; giv kolonnerne forskellige navne')),
    Case("numbers_where_text_is_expected", _xlsx([("30. maj", 42, "Drøftelse: Hvad betyder 42?", "BSU", 17)],
                                                 header=(*HEADER, "Sagsnr.")),
         exit_code=0, documents=OVERVIEWS | {BSU_NOTE}, texts={BSU_NOTE: ("42", "Sagsnr. 17"), HTML: ("42",)}),
    # openpyxl would cut the cell to Excel's 32,767 characters; the raw package keeps all of them.
    Case("cell_of_100000_characters", _raw(Sheet("Plan", [HEADER, _limits_row(100_000)])), lines=errors(
        f'{PLAN}, ark "Plan", række 2, kolonne "Aktivitet": cellen har 100.000 tegn; grænsen er 10.000 tegn '
        "(sæt miljøvariablen PIPELINE_MAX_CELL for at hæve den)")),
    Case("50000_empty_formatted_rows", _raw(Sheet("Plan", [HEADER, MEETING, ACTIVITY], empty_formatted_rows=50_000)),
         exit_code=0, command="validate",
         lines=(f"{PLAN}: 2 aktiviteter i 2017 – ingen fejl fundet.",)),
    Case("emoji_right_to_left_and_control_characters",
         _raw(Sheet("Plan", [HEADER, ("30. maj", EMOJI_RTL, "Drøftelse: klokke_x0007_ og escape_x001B_[31m rød?",
                                      "BSU")])),
         exit_code=0, documents=OVERVIEWS | {BSU_NOTE},
         texts={BSU_NOTE: (EMOJI_RTL, "klokke og escape[31m rød?"), HTML: (EMOJI_RTL, "klokke og escape[31m rød?")},
         absent=("\x07", "\x1b"), pdf_text=False),
    Case("committee_abbreviations_that_try_to_become_paths",
         _xlsx([("30. maj", "Tema", "Drøftelse: Hvad?", "KMB")], sheets={"Udvalg": COMMITTEE_PATHS}),
         lines=errors(*(
             f'{PLAN}, ark "Udvalg", række {row}, kolonne "Forkortelse": "{shown}" {reason}'
             for row, shown, reason in [
                 (2, "../../x", "kan ikke bruges som forkortelse (kun bogstaver og tal, højst 12 tegn, da den "
                                "indgår i filnavne)"),
                 (3, "CON", "kan ikke bruges som forkortelse, da Windows reserverer navnet til en enhed (den "
                            "indgår i filnavne)"),
                 (4, "a/b", "kan ikke bruges som forkortelse (kun bogstaver og tal, højst 12 tegn, da den "
                            "indgår i filnavne)"),
                 (5, "A" * 79 + "…", "kan ikke bruges som forkortelse (kun bogstaver og tal, højst 12 tegn, "
                                     "da den indgår i filnavne)"),
             ]))),
    Case("template_code_and_markup_in_every_text_column", _hostile_everywhere, exit_code=0,
         documents=OVERVIEWS | {ORIENTATION, BSU_NOTE},
         texts={BSU_NOTE: (HOSTILE, f"{HOSTILE}?", f"Børne- og Skoleudvalget {HOSTILE}"),
                ORIENTATION: (HOSTILE,), HTML: (HOSTILE,), PDF: (HOSTILE,)}),
    Case("initiatives_sheet_without_its_columns",
         _xlsx([DISCUSSION], sheets={"Indsatser": [("Navn", "Beskrivelse", "Type"),
                                                   ("Fortællinger", "x", "kommende")]}),
         lines=errors(f'{PLAN}, ark "Indsatser": arket har ingen overskriftsrække med kolonnerne "Indsats"')),
    # One plan a year: each document belongs to one plan (a supplement goes into the plan itself).
    Case("two_plans_for_the_same_year", _two_plans, lines=errors(
        f"tillaeg_2017.csv: planen gælder 2017 ligesom {PLAN}; der må kun være én plan pr. år – flyt den "
        "ene ud af mappen, eller ret dens år")),
    # --- CSV --------------------------------------------------------------------------------------
    Case("csv_in_mixed_encodings", _mixed_encoding, exit_code=0, documents=OVERVIEWS | {BSU_NOTE},
         texts={BSU_NOTE: ("Ørkenvandring på Ærø", "Hvad gør vi på Ærø?"),
                HTML: ("Æbler og søer", "Åbent møde i Ølstykke", "Ørkenvandring på Ærø")}),
    Case("empty_csv", _csv_bytes(codecs.BOM_UTF8 + b"\r\n  \r\n"), lines=errors(f"{CSV}: filen er tom")),
    Case("csv_with_pipe_separator", _csv_bytes(_lines([DISCUSSION], "|").encode("utf-8")), lines=errors(
        f'{CSV}: filen har ingen overskriftsrække med kolonnerne "Dato", "Tema", "Aktivitet", "Deltagerkreds"; '
        "en CSV-fil skal have semikolon (;), komma (,) eller tabulator mellem kolonnerne")),
    Case("csv_with_tab_separator", _csv_bytes(_lines([DISCUSSION], "\t").encode("cp1252")), exit_code=0,
         documents=OVERVIEWS | {BSU_NOTE}, texts={BSU_NOTE: ("Hvilke fortællinger skal vi bruge?",)}),
    Case("csv_utf16_from_excel_unicode_text",
         _csv_bytes(codecs.BOM_UTF16_LE + _lines([DISCUSSION], "\t").encode("utf-16-le")), exit_code=0,
         documents=OVERVIEWS | {BSU_NOTE}, texts={BSU_NOTE: ("Hvilke fortællinger skal vi bruge?",)}),
    Case("csv_with_title_line_and_ragged_rows",
         _csv_bytes(("Implementeringsplan 2017\r\n\r\n" + _lines([DISCUSSION, ("8. maj", "Tema", "Møde", "Borgere",
                                                                              "en ekstra celle")]))
                    .encode("cp1252")),
         exit_code=0, command="validate", lines=(f"{CSV}: 2 aktiviteter i 2017 – ingen fejl fundet.",)),
    Case("csv_with_control_characters_and_nul",
         _csv_bytes(_lines([("30. maj", "Tema\x00 med\x1b nul", "Drøftelse: klokke\x07 og\x0c sideskift?",
                             "BSU")]).encode("utf-8")),
         exit_code=0, documents=OVERVIEWS | {BSU_NOTE},
         texts={BSU_NOTE: ("Tema med nul", "klokke og"), HTML: ("Tema med nul",)}, absent=("\x00", "\x07", "\x1b")),
    Case("csv_cell_longer_than_csv_modules_limit",
         _csv_bytes(_lines([_limits_row(200_000)]).encode("utf-8")), lines=errors(
             f'{CSV}, række 2, kolonne "Aktivitet": cellen har 200.000 tegn; grænsen er 10.000 tegn '
             "(sæt miljøvariablen PIPELINE_MAX_CELL for at hæve den)")),
    # --- Each cap, lowered through its environment variable -------------------------------------
    Case("cap_on_rows", _xlsx([_limits_row(5)] * 6), env={"PIPELINE_MAX_ROWS": "5"}, lines=errors(
        f'{PLAN}, ark "Plan": arket har over 5 rækker med data; grænsen er 5 rækker '
        "(sæt miljøvariablen PIPELINE_MAX_ROWS for at hæve den)")),
    Case("cap_on_cell_length", _xlsx([_limits_row(20), _limits_row(21)]), env={"PIPELINE_MAX_CELL": "20"},
         lines=errors(f'{PLAN}, ark "Plan", række 3, kolonne "Aktivitet": cellen har 21 tegn; grænsen er 20 tegn '
                      "(sæt miljøvariablen PIPELINE_MAX_CELL for at hæve den)")),
    Case("cap_on_file_size", _big_csv, env={"PIPELINE_MAX_FILE_MB": "1"}, lines=errors(
        f"{CSV}: filen fylder 1,5 MB; grænsen er 1 MB (sæt miljøvariablen PIPELINE_MAX_FILE_MB for at hæve den)")),
    Case("cap_on_unpacked_size", _unpacked_cap, env={"PIPELINE_MAX_UNPACKED_MB": "1"}, lines=errors(
        f"{PLAN}: filen fylder 2,0 MB udpakket; grænsen er 1 MB (sæt miljøvariablen PIPELINE_MAX_UNPACKED_MB "
        "for at hæve den)")),
    Case("cap_set_to_nonsense", _xlsx([MEETING]), env={"PIPELINE_MAX_ROWS": "mange"}, lines=(
        'Fejl: Miljøvariablen PIPELINE_MAX_ROWS skal være et helt tal større end 0 (fx 100000), ikke "mange".',)),
]

BY_NAME = {case.name: case for case in CASES}
assert len(BY_NAME) == len(CASES), "case names must be unique"
