"""Turning a workbook's tables into a typed `Plan`, collecting every problem in one pass."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeVar

from pipeline.core.danish import file_name_part
from pipeline.core.errors import InputError, Problem
from pipeline.core.files import check_name
from pipeline.core.model import Activity, Committee, DocumentKind, Initiative, Plan, Source
from pipeline.core.text import loose
from pipeline.source import parse
from pipeline.source.workbook import COMMITTEE_SHEET, INITIATIVE_SHEET, Row, Table, Workbook

REQUIRED = ("Dato", "Tema", "Aktivitet", "Deltagerkreds")
OPTIONAL = ("År", "Status", "Dokumenttype", "Sagsnr.", "Ansvarlig", "Bemærkning")
INITIATIVE_TYPES = ("eksisterende", "kommende", "planlagt")
# A committee abbreviation becomes part of a file name, so it is kept short and plain.
_ABBREVIATION = re.compile(r"[A-Za-zÆØÅæøå0-9]{1,12}")

T = TypeVar("T")


def validate(workbook: Workbook, year: int | None = None) -> Plan:
    """Return the workbook's plan as typed records; raise InputError listing every problem."""
    problems: list[Problem] = []
    committees = _committees(workbook, problems)
    table = workbook.table(workbook.plan_sheet(), REQUIRED, OPTIONAL)
    plan_year = _plan_year(workbook, table, year, problems)
    activities = tuple(
        activity for row in table.rows
        if (activity := _activity(table, row, plan_year, committees, problems)) is not None
    )
    initiatives = _initiatives(workbook, committees, problems)
    if problems:
        raise InputError(problems)
    return Plan(workbook.name, plan_year, activities, initiatives, committees, table.has("Status"))


def check_together(plans: Sequence[Plan]) -> list[Problem]:
    """Return what stops several plans from being built together: two plans for one year, or one
    committee written two ways.

    Each document belongs to one plan, and a year's overview is one file, so a year has one plan
    (a CSV copy beside the workbook is a second plan). Documents are named by committee
    abbreviation, so two plans that spell one file name (as a Windows share compares names)
    with different committees would write two committees' documents to one file.
    """
    problems: list[Problem] = []
    years: dict[int, Plan] = {}
    for plan in plans:
        other = years.setdefault(plan.year, plan)
        if other is not plan:
            problems.append(Problem(plan.file, f"planen gælder {plan.year} ligesom {other.file}; der må kun "
                                    "være én plan pr. år – flyt den ene ud af mappen, eller ret dens år"))
    first: dict[str, tuple[Committee, str]] = {}
    for plan in plans:
        used = dict.fromkeys(c for activity in plan.activities if activity.kinds for c in activity.committees)
        for committee in used:
            other, file = first.setdefault(file_name_part(committee.abbreviation).casefold(), (committee, plan.file))
            if (other.abbreviation, other.name) != (committee.abbreviation, committee.name):
                problems.append(Problem(plan.file, f'udvalget "{committee.abbreviation}" ({committee.name}) får '
                                        f'de samme filnavne som "{other.abbreviation}" ({other.name}) i {file}; '
                                        "skriv udvalget ens i arket Udvalg i alle planerne"))
    return problems


class _Collector:
    """Runs parsers for one row, turning `parse.Invalid` into a located Problem."""

    def __init__(self, table: Table, row: Row, problems: list[Problem]):
        self.table, self.row, self.problems = table, row, problems

    def __call__(self, column: str, parser: Callable[[str], T], default: T, value: str | None = None) -> T:
        text = self.table.text(self.row, column) if value is None else value
        try:
            return parser(text)
        except parse.Invalid as error:
            self.report(column, str(error), text)
            return default

    def report(self, column: str, message: str, value: str | None = None) -> None:
        self.problems.append(self.table.problem(message, self.row, column, value))


def _activity(table: Table, row: Row, plan_year: int, committees: tuple[Committee, ...],
              problems: list[Problem]) -> Activity | None:
    check = _Collector(table, row, problems)
    before = len(problems)
    row_year = check("År", parse.parse_year, plan_year) if table.text(row, "År") else plan_year
    cell = table.get(row, "Dato")
    if isinstance(cell, date):
        period = parse.period_from_date(cell)
    elif not cell.strip():
        check.report("Dato", "er tom; skriv en dato eller periode, fx \"8. maj\" eller \"Løbende\"")
        period = None
    else:
        period = check("Dato", lambda text: parse.parse_period(text, row_year), None)
    text = table.text(row, "Aktivitet")
    kinds = check("Dokumenttype", lambda kind: parse.parse_kinds(kind, text), ())
    named, unknown = parse.parse_committees(table.text(row, "Deltagerkreds"), committees)
    if kinds:
        _check_document_row(check, kinds, period, named, unknown, committees)
    status = check("Status", parse.parse_status, None)
    if len(problems) > before or period is None:
        return None
    return Activity(
        source=Source(table.file, table.sheet, row.number),
        period=period,
        theme=table.text(row, "Tema"),
        text=text,
        participants=table.text(row, "Deltagerkreds"),
        committees=named,
        kinds=kinds,
        questions=parse.parse_questions(text) if DocumentKind.DISCUSSION in kinds else (),
        status=status,
        case_number=table.text(row, "Sagsnr."),
        responsible=table.text(row, "Ansvarlig"),
        remark=table.text(row, "Bemærkning"),
        extra=tuple((header, row.text(header)) for header in table.extra if row.text(header)),
    )


def _check_document_row(check: _Collector, kinds: tuple[DocumentKind, ...], period, named,
                        unknown: tuple[str, ...], committees: tuple[Committee, ...]) -> None:
    """Report what stops a row that calls for documents from making them."""
    what = "en orienteringssag" if DocumentKind.ORIENTATION in kinds else "en drøftelse"
    known = ", ".join(c.abbreviation for c in committees)
    for word in unknown:
        if parse.looks_like_abbreviation(word):
            check.report("Deltagerkreds", f"er ikke et kendt udvalg (kendte udvalg: {known})", word)
        else:
            check.report("Deltagerkreds", f"er ikke et udvalg; {what} skal sendes til udvalg "
                         f"(kendte udvalg: {known})", word)
    if not named and not unknown:
        check.report("Deltagerkreds", f"er tom; {what} skal nævne de udvalg, den er til (fx KMB)")
    if period is not None and not period.is_day:
        check.report("Dato", f"er ikke én bestemt dato; {what} skal have mødedatoen (fx \"19. juni\")",
                     period.label)


def _plan_year(workbook: Workbook, table: Table, option: int | None, problems: list[Problem]) -> int:
    """Return the plan year: the År column, else --year, else the file name; else report how to give it."""
    years = Counter()
    for row in table.rows:
        try:
            years[parse.parse_year(table.text(row, "År"))] += 1
        except parse.Invalid:
            pass  # reported with its row by _activity
    if years:
        return min(years, key=lambda y: (-years[y], y))
    if option is not None:
        return option
    if (from_name := parse.year_from_file_name(workbook.name)) is not None:
        return from_name
    raise InputError([*problems, Problem(
        workbook.name,
        'det fremgår ikke, hvilket år planen gælder: tilføj en kolonne "År", skriv årstallet i '
        "filnavnet (fx implementeringsplan_2017.xlsx) eller brug --year 2017",
        table.sheet,
    )])


def _committees(workbook: Workbook, problems: list[Problem]) -> tuple[Committee, ...]:
    """Return the committee register from the `Udvalg` sheet, or the built-in default."""
    sheet = workbook.sheet_named(COMMITTEE_SHEET)
    if sheet is None:
        return parse.DEFAULT_COMMITTEES
    table = workbook.table(sheet, ("Forkortelse", "Navn"), ("Alias",))
    committees: list[Committee] = []
    files: dict[str, tuple[str, int]] = {}  # file-name form of each abbreviation → (abbreviation, row)
    names: dict[str, tuple[str, int]] = {}  # every name a committee goes by → (abbreviation, row)
    for row in table.rows:
        check = _Collector(table, row, problems)
        abbreviation, name = table.text(row, "Forkortelse"), table.text(row, "Navn")
        if (reason := abbreviation_problem(abbreviation)) is not None:
            check.report("Forkortelse", reason, abbreviation)
            continue
        if not name:
            check.report("Navn", "er tom; skriv udvalgets fulde navn")
            continue
        aliases = tuple(a.strip() for a in re.split(r"[,;]", table.text(row, "Alias")) if a.strip())
        file = file_name_part(abbreviation).casefold()  # a Windows share does not tell BSU from Bsu
        if file in files:
            other, number = files[file]
            check.report("Forkortelse", f'giver de samme filnavne som "{other}" i række {number}; '
                         "giv udvalgene forskellige forkortelser", abbreviation)
            continue
        files[file] = abbreviation, row.number
        for column, text in (("Forkortelse", abbreviation), ("Navn", name), *(("Alias", a) for a in aliases)):
            other, number = names.setdefault(loose(text), (abbreviation, row.number))
            if number != row.number:
                check.report(column, f'bruges også af udvalget "{other}" i række {number}; et navn må '
                             "kun høre til ét udvalg", text)
        committees.append(Committee(abbreviation, name, aliases))
    return tuple(committees) or parse.DEFAULT_COMMITTEES


def abbreviation_problem(text: str) -> str | None:
    """Return why `text` cannot be a committee abbreviation (it becomes part of file names), or None."""
    if not _ABBREVIATION.fullmatch(text):
        return "kan ikke bruges som forkortelse (kun bogstaver og tal, højst 12 tegn, da den indgår i filnavne)"
    if check_name(file_name_part(text)) is not None:
        return "kan ikke bruges som forkortelse, da Windows reserverer navnet til en enhed (den indgår i filnavne)"
    return None


def _initiatives(workbook: Workbook, committees: tuple[Committee, ...],
                 problems: list[Problem]) -> tuple[Initiative, ...]:
    """Return the rows of the optional `Indsatser` sheet."""
    sheet = workbook.sheet_named(INITIATIVE_SHEET)
    if sheet is None:
        return ()
    try:
        table = workbook.table(sheet, ("Indsats",), ("Beskrivelse", "Type", "Udvalg"))
    except InputError as error:
        problems.extend(error.problems)
        return ()
    initiatives = []
    for row in table.rows:
        check = _Collector(table, row, problems)
        kind = table.text(row, "Type")
        if kind and kind.casefold() not in INITIATIVE_TYPES:
            check.report("Type", f"er ikke en type (brug {', '.join(INITIATIVE_TYPES)})", kind)
        named, unknown = parse.parse_committees(table.text(row, "Udvalg"), committees)
        if unknown or len(named) > 1:
            check.report("Udvalg", "er ikke ét kendt udvalg (skriv én forkortelse, fx BSU, "
                         "eller lad feltet stå tomt for alle udvalg)", table.text(row, "Udvalg"))
        if not table.text(row, "Indsats"):
            check.report("Indsats", "er tom; skriv indsatsens navn")
        initiatives.append(Initiative(Source(table.file, table.sheet, row.number),
                                      table.text(row, "Indsats"), table.text(row, "Beskrivelse"),
                                      kind.casefold(), named[0] if named else None))
    return tuple(initiatives)
