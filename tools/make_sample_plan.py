"""Write input/implementeringsplan_2017.xlsx: the 13 rows of Ballerup's 2017 plan.

The workbook belongs to the case officers once it is in input/; this script only exists so a
maintainer can recreate the original sample. Run: .venv/bin/python tools/make_sample_plan.py
"""

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

DISCUSSION_THEME = "Fortællinger der illustrerer Vision 2029\nHvordan realiseres Vision 2029"
DISCUSSION_TEXT = (
    "Drøftelse af de af chefgruppen udvalgte eksisterende og kommende/planlagte indsatser, "
    "der kan illustrere en udmøntning af Vision 2029.\n"
    "Drøftelse: Hvad er de vigtigste politiske tiltag for realisering af Vision 2029? "
    "Hvilke konsekvenser har det for det politiske udvalgsarbejde?"
)
RIDE_THEME = "Dialog med borgerne om, hvordan Vision 2029 realiseres"
RIDE_TEXT = "Cykeltur rundt i Ballerup v/ Jesper Würtzen"
SPREAD_THEME = "Formidling af eksisterende indsatser, der illustrer udmøntning af Vision 2029"

ROWS = [
    ("Løbende", "Formidling af Vision 2029 til ledere og medarbejdere",
     "Præsentation af Vision 2029 v/ Eik Møller", "Ledergrupper og personalegrupper"),
    ("Maj", "Grafisk formidling af Vision 2029",
     "Udvikling af fortælle-design mv. for Ballerup 2029", "Public Agency"),
    ("8. maj", "Fortællinger der illustrerer Vision 2029",
     "Chefgruppen udvælger eksisterende og kommende/planlagte indsatser, der kan illustrere en "
     "udmøntning af Vision 2029.", "Chefgruppen"),
    ("21. maj", RIDE_THEME, RIDE_TEXT,
     "Borgere og politikere\nÅben invitation i Ballerup Bladet og på de digitale medier"),
    ("30. maj", DISCUSSION_THEME, DISCUSSION_TEXT, "De politiske fagudvalg: BSU, TMU og SSU"),
    ("6. juni", DISCUSSION_THEME, DISCUSSION_TEXT, "De politiske fagudvalg: EBU og KFU"),
    ("13. juni", DISCUSSION_THEME, DISCUSSION_TEXT, "De politiske fagudvalg: ØKU"),
    ("18. juni", RIDE_THEME, RIDE_TEXT,
     "Borgere og politikere\nÅben invitation i Ballerup Bladet og på digitale medier"),
    ("19. juni", "Status", "Orienteringssag", "KMB"),
    ("Juni-september", SPREAD_THEME,
     "Fortællinger til organisationen som de politiske positioner/konkretiserede retninger i "
     "Vision 2029", "Administrationen"),
    ("Juni – september", SPREAD_THEME, "Hjemmeside\nPresse", "Borgere og virksomheder"),
    ("Efterår/Vinter",
     "Modning af kommende/planlagte indsatser, der illustrerer /udmønter Vision 2029",
     "Udviklingsarbejde i samarbejde med interne og eksterne samarbejdspartnere",
     "Politikere, Administrationen og eksterne samarbejdspartnere"),
    ("2018", "Præsentation af Vision 2029 samt hovedsporerne i implementeringsplanen",
     "Introduktionsseminar for den nye Kommunalbestyrelse", "Politikerne"),
]

COMMITTEES = [
    ("KMB", "Kommunalbestyrelsen", "KB"),
    ("ØKU", "Økonomiudvalget", "ØU"),
    ("BSU", "Børne- og Skoleudvalget", ""),
    ("TMU", "Teknik- og Miljøudvalget", ""),
    ("SSU", "Social- og Sundhedsudvalget", ""),
    ("KFU", "Kultur- og Fritidsudvalget", ""),
    ("EBU", "Erhvervs- og Beskæftigelsesudvalget", ""),
]


def main(target: Path) -> None:
    book = Workbook()
    plan = book.active
    plan.title = "Plan"
    plan.append(["Implementeringsplan – Vision 2029"])
    plan["A1"].font = Font(bold=True, size=14)
    plan.append([])
    plan.append(["Dato", "Tema", "Aktivitet", "Deltagerkreds"])
    for cell in plan[3]:
        cell.font = Font(bold=True)
    for row in ROWS:
        plan.append(list(row))
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in plan.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = wrap
    for column, width in zip("ABCD", (18, 40, 60, 40)):
        plan.column_dimensions[column].width = width
    plan.freeze_panes = "A4"

    register = book.create_sheet("Udvalg")
    register.append(["Forkortelse", "Navn", "Alias"])
    for row in COMMITTEES:
        register.append(list(row))
    register.column_dimensions["B"].width = 38

    initiatives = book.create_sheet("Indsatser")
    initiatives.append(["Indsats", "Beskrivelse", "Type", "Udvalg"])
    book.save(target)


if __name__ == "__main__":
    main(Path(__file__).resolve().parents[1] / "input" / "implementeringsplan_2017.xlsx")
