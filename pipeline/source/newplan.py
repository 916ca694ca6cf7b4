"""A new, empty plan workbook for a year, ready for a case officer to fill in Excel.

The workbook has the columns the validator reads (`validate.REQUIRED`, `validate.OPTIONAL`),
drop-down lists for Status, Dokumenttype and the committees, input messages that show the date
forms the parser reads, the committee register, the `Indsatser` headers and a short guide.
The drop-down lists live on a hidden sheet behind workbook names, because a list written into
the validation itself is capped at 255 characters.

The bytes depend only on the year and the register (fixed document properties and zip times),
so the same command gives the same file.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline.core.errors import PipelineError, UsageError, os_reason
from pipeline.core.files import atomic_write
from pipeline.core.model import Committee, Status
from pipeline.core.zipped import FixedTimeZip
from pipeline.source.parse import DEFAULT_COMMITTEES
from pipeline.source.validate import INITIATIVE_TYPES, OPTIONAL, REQUIRED

PLAN_SHEET = "Plan"
LIST_SHEET = "Lister"
DOCUMENT_TYPES = ("Orienteringssag", "Drøftelse", "Ingen")
# Workbook names of the drop-down lists on the hidden sheet.
STATUS_LIST = "Statusliste"
DOCUMENT_TYPE_LIST = "Dokumenttyper"
COMMITTEE_LIST = "Udvalgsliste"
INITIATIVE_TYPE_LIST = "Indsatstyper"
# Validations and formats reach to Excel's last row, so rows added anywhere get them too.
LAST_ROW = 1_048_576
_HEADER_FILL = "DDEBF7"
_WRAPPED = {"Tema", "Aktivitet", "Deltagerkreds", "Bemærkning"}
_WIDTHS = {"Dato": 18, "Tema": 32, "Aktivitet": 60, "Deltagerkreds": 30, "År": 8, "Status": 14,
           "Dokumenttype": 18, "Sagsnr.": 16, "Ansvarlig": 22, "Bemærkning": 40}


def plan_file_name(year: int) -> str:
    """Return the file name of a new plan: `implementeringsplan_2019.xlsx` (the year is read from it)."""
    return f"implementeringsplan_{year}.xlsx"


def register_in_use() -> tuple[Committee, ...]:
    """Return the committee register of the newest plan in input/ that reads without errors, else
    the built-in one: a new year starts with the committees the municipality uses now."""
    from pipeline.source.plans import find_plans, load_plans, read_plan_files

    try:
        plans = load_plans(read_plan_files(find_plans()))
    except PipelineError:
        return DEFAULT_COMMITTEES
    return max(plans, key=lambda plan: plan.year).committees if plans else DEFAULT_COMMITTEES


def write_new_plan(folder: Path, year: int, committees: Sequence[Committee] = DEFAULT_COMMITTEES) -> Path:
    """Write a new plan workbook for `year` into `folder` and return its path; never overwrite one."""
    target = folder / plan_file_name(year)
    if target.exists():
        raise UsageError(f"{target} findes allerede, og den overskrives ikke. Omdøb eller flyt den, "
                         "hvis du vil have en ny, tom plan.")
    data = new_plan_bytes(year, committees)
    try:
        atomic_write(target, data)
    except OSError as error:
        raise UsageError(f"{target} kan ikke skrives ({os_reason(error)}).") from None
    return target


def new_plan_bytes(year: int, committees: Sequence[Committee] = DEFAULT_COMMITTEES) -> bytes:
    """Return the .xlsx bytes of a new, empty plan for `year` with `committees` as its register."""
    from openpyxl import Workbook

    book = Workbook()
    plan = book.active
    plan.title = PLAN_SHEET
    lists = _lists(committees)
    _plan_sheet(plan, year)
    _register_sheet(book, committees)
    _initiative_sheet(book)
    _guide_sheet(book, year)
    _list_sheet(book, lists)
    book.active = 0
    moment = datetime(year, 1, 1)
    properties = book.properties
    properties.creator = properties.lastModifiedBy = "pipeline"
    properties.title = f"Implementeringsplan {year}"
    properties.language = "da-DK"
    properties.created = properties.modified = moment
    return _fixed_bytes(book)


@dataclass(frozen=True)
class _List:
    """One drop-down list: its workbook name, its heading on the hidden sheet and its values."""

    name: str
    heading: str
    values: tuple[str, ...]


def _lists(committees: Sequence[Committee]) -> tuple[_List, ...]:
    return (
        _List(STATUS_LIST, "Status", tuple(status.value for status in Status)),
        _List(DOCUMENT_TYPE_LIST, "Dokumenttype", DOCUMENT_TYPES),
        _List(COMMITTEE_LIST, "Udvalg", tuple(c.abbreviation for c in committees)),
        _List(INITIATIVE_TYPE_LIST, "Indsatstype", INITIATIVE_TYPES),
    )


# --- Sheets --------------------------------------------------------------------------------------

# Excel shows at most 32 characters of an input message's title and 255 of its text.
_PROMPTS = {
    "Dato": ("Dato eller periode",
             "Fx 19. juni, 19-06-{year}, Maj, Juni-september, Efterår, Vinter, Efterår/Vinter, uge 12, "
             "2. kvartal, Løbende (hele året) eller {next_year}. En orienteringssag eller drøftelse "
             "skal have mødedatoen."),
    "Tema": ("Tema", "Rækkens tema. En drøftelsessag får temaet som titel."),
    "Aktivitet": ("Aktivitet",
                  "Hvad der sker. Ordet Orienteringssag giver en orienteringssag. »Drøftelse:« "
                  "efterfulgt af spørgsmålene (ét pr. spørgsmålstegn) giver en drøftelsessag."),
    "Deltagerkreds": ("Deltagerkreds",
                      "Vælg et udvalg på listen, eller skriv flere, fx »BSU, TMU og SSU« eller "
                      "»De politiske fagudvalg: BSU, TMU og SSU«. Andre deltagere, fx Borgere, "
                      "må også stå her."),
    "År": ("År (kan stå tom)", "Tom: året i filnavnet ({year}). Skriv et årstal, hvis rækkens "
                               "datoer hører til et andet år."),
    "Status": ("Status (kan stå tom)", "Vælg på listen. Tom: status regnes ud fra datoerne."),
    "Dokumenttype": ("Dokumenttype (kan stå tom)",
                     "Tom: ud fra aktiviteten (Orienteringssag, Drøftelse). Ingen: intet dokument."),
    "Sagsnr.": ("Sagsnr. (kan stå tom)", "Sagsnummeret, som står i sagens hoved."),
}


def _plan_sheet(sheet, year: int) -> None:
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    headers = (*REQUIRED, *OPTIONAL)
    _header(sheet, headers)
    columns = {header: get_column_letter(index) for index, header in enumerate(headers, start=1)}
    for header, letter in columns.items():
        dimension = sheet.column_dimensions[letter]
        dimension.width = _WIDTHS.get(header, 16)
        if header in _WRAPPED:
            dimension.alignment = Alignment(wrap_text=True, vertical="top")
        else:
            dimension.alignment = Alignment(vertical="top")
    # Text, so Excel keeps "8. maj" as written instead of making it a date in the current year.
    sheet.column_dimensions[columns["Dato"]].number_format = "@"
    lists = {"Status": STATUS_LIST, "Dokumenttype": DOCUMENT_TYPE_LIST, "Deltagerkreds": COMMITTEE_LIST}
    for header, (title, prompt) in _PROMPTS.items():
        listed = lists.get(header)
        validation = DataValidation(
            type="list" if listed else None, formula1=listed, allow_blank=True,
            showInputMessage=True, promptTitle=title,
            prompt=prompt.format(year=year, next_year=year + 1),
            # Deltagerkreds takes several committees and other participants: the list only helps.
            showErrorMessage=bool(listed) and header != "Deltagerkreds",
        )
        if validation.showErrorMessage:
            validation.errorTitle, validation.error = f"Ukendt {header.casefold()}", "Vælg en værdi på listen."
        validation.add(f"{columns[header]}2:{columns[header]}{LAST_ROW}")
        sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"


def _register_sheet(book, committees: Sequence[Committee]) -> None:
    sheet = book.create_sheet("Udvalg")
    _header(sheet, ("Forkortelse", "Navn", "Alias"))
    for committee in committees:
        sheet.append([committee.abbreviation, committee.name, ", ".join(committee.aliases)])
    for letter, width in zip("ABC", (14, 42, 20)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"


def _initiative_sheet(book) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    sheet = book.create_sheet("Indsatser")
    _header(sheet, ("Indsats", "Beskrivelse", "Type", "Udvalg"))
    for letter, width in zip("ABCD", (36, 60, 16, 14)):
        sheet.column_dimensions[letter].width = width
    kinds = DataValidation(type="list", formula1=INITIATIVE_TYPE_LIST, allow_blank=True,
                           showErrorMessage=True, errorTitle="Ukendt type",
                           error="Vælg eksisterende, kommende eller planlagt.")
    kinds.add(f"C2:C{LAST_ROW}")
    # A committee added to the Udvalg sheet is not on the list; Excel warns but lets it in.
    committee = DataValidation(type="list", formula1=COMMITTEE_LIST, allow_blank=True,
                               showErrorMessage=True, errorStyle="information", errorTitle="Udvalg",
                               error="Udvalget er ikke på listen. Står det i arket Udvalg, er det i orden.",
                               showInputMessage=True, promptTitle="Udvalg (kan stå tom)",
                               prompt="Ét udvalg. Tom: indsatsen vises for alle udvalg.")
    committee.add(f"D2:D{LAST_ROW}")
    sheet.add_data_validation(kinds)
    sheet.add_data_validation(committee)
    sheet.freeze_panes = "A2"


def _guide_sheet(book, year: int) -> None:
    from openpyxl.styles import Alignment, Font

    sheet = book.create_sheet("Vejledning")
    sheet.column_dimensions["A"].width = 110
    sheet.append([f"Sådan udfylder du implementeringsplanen for {year}"])
    sheet["A1"].font = Font(bold=True, size=14)
    for line in _guide(year):
        sheet.append([line])
        sheet.cell(sheet.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")


def _guide(year: int) -> tuple[str, ...]:
    return (
        "Skriv én aktivitet pr. række i arket Plan. Dato, Tema, Aktivitet og Deltagerkreds skal "
        "udfyldes; de andre kolonner kan stå tomme. Lad overskrifterne stå, som de er.",
        f"Dato: en dag eller en periode, fx 19. juni, 19-06-{year}, 9.6.{year % 100:02d}, Maj, "
        "Juni-september, Efterår, Vinter (december-februar), Forår, Sommer, Efterår/Vinter, uge 12, "
        f"2. kvartal, Løbende (hele året) eller et årstal ({year + 1}). Datoer uden årstal gælder "
        f"{year} (året i filnavnet), medmindre kolonnen År siger andet.",
        "Orienteringssager og drøftelser: ordet Orienteringssag i Aktivitet giver en orienteringssag, "
        "og »Drøftelse:« efterfulgt af spørgsmålene (ét pr. spørgsmålstegn) giver en drøftelsessag "
        "til hvert udvalg i Deltagerkreds. Kolonnen Dokumenttype bestemmer, hvis den er udfyldt "
        "(Ingen: intet dokument). Sådan en række skal have mødedatoen, fx 19. juni.",
        "Deltagerkreds: vælg et udvalg på rullelisten, eller skriv flere, fx »BSU, TMU og SSU« eller "
        "»De politiske fagudvalg: BSU, TMU og SSU«. Andre deltagere, fx Borgere, må også stå her.",
        "Status: Planlagt, I gang, Gennemført, Aflyst eller Udskudt. Står den tom, regnes status "
        "ud fra datoerne.",
        "Udvalg: arket Udvalg er udvalgsregistret (forkortelse, fulde navn og evt. andre navne). "
        "Et nyt udvalg tilføjes dér. Rullelisten viser udvalgene, som de var, da planen blev lavet; "
        "et nyt udvalgs forkortelse kan altid skrives i hånden.",
        "Indsatser: chefgruppens udvalgte indsatser. Type er eksisterende, kommende eller planlagt; "
        "Udvalg er ét udvalg eller tom (så vises indsatsen for alle udvalg). Drøftelsessagerne "
        "viser dem.",
        "Kontrollér planen med »make validate«, eller med »pipeline validate --mark«, som ved siden "
        "af planen gemmer en kopi med fejlene markeret med rødt og forklaret i en kommentar: "
        "»… (fejl markeret).xlsx«. Ret fejlene i selve planen, og slet kopien bagefter.",
        "Læg planen i mappen input, gem den som Excel-projektmappe (.xlsx), og byg dokumenterne "
        "med »make all«.",
    )


def _list_sheet(book, lists: Sequence[_List]) -> None:
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.workbook.defined_name import DefinedName

    sheet = book.create_sheet(LIST_SHEET)
    sheet.sheet_state = "hidden"
    for column, listed in enumerate(lists, start=1):
        sheet.cell(1, column, listed.heading)
        for row, value in enumerate(listed.values, start=2):
            sheet.cell(row, column, value)
        letter = get_column_letter(column)
        last = max(len(listed.values) + 1, 2)  # a range of at least one cell, also for an empty list
        reference = f"{quote_sheetname(LIST_SHEET)}!${letter}$2:${letter}${last}"
        book.defined_names[listed.name] = DefinedName(listed.name, attr_text=reference)


def _header(sheet, headers: Sequence[str]) -> None:
    from openpyxl.styles import Font, PatternFill

    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=_HEADER_FILL)


# --- Deterministic bytes -------------------------------------------------------------------------

_CORE = "docProps/core.xml"


def _fixed_bytes(book) -> bytes:
    """Return the workbook as .xlsx bytes with its own document properties and fixed zip times.

    openpyxl stamps the modification time with the clock when saving and the zip members with
    the current time; both are put back to fixed values here, with openpyxl's own serialiser.
    """
    from openpyxl.xml.functions import tostring

    modified = book.properties.modified
    raw = io.BytesIO()
    book.save(raw)
    book.properties.modified = modified
    core = tostring(book.properties.to_tree())
    source = zipfile.ZipFile(raw)
    buffer = io.BytesIO()
    with FixedTimeZip(buffer) as target:
        for name in sorted(source.namelist(), key=lambda n: n != "[Content_Types].xml"):
            target.add(name, core if name == _CORE else source.read(name))
    return buffer.getvalue()
