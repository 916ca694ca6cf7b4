"""Synthetic implementation plans of any size, written as .xlsx with openpyxl.

The mix follows the real plan (`input/implementeringsplan_2017.xlsx`) scaled up:
- about 2 % committee discussion rows ("Drøftelse: …?" questions, `De politiske fagudvalg:
  BSU, TMU og SSU`-style participants, one meeting day each),
- 0.4 % council orientation cases (`Orienteringssag`, KMB, one meeting day each),
- the rest ordinary activities in Danish (æøå, multi-line cells) with a period in every form
  `pipeline/parse.py` reads: `8. maj`, `Maj`, `Juni-september`, `Juni – september`, `Efterår`,
  `Efterår/Vinter`, `uge 12`, `2. kvartal`, `Løbende`, `2018`, ISO `2017-06-19`, `19.6.2017`
  and real date cells.

Meeting (committee, date) pairs are kept unique, so the number of Word documents is what a
real plan of that size would give (one per row and committee). A fixed seed per size makes
every run build the same file.
"""

from __future__ import annotations

import itertools
import random
from datetime import date, datetime, timedelta
from pathlib import Path

YEAR = 2017
FILE_NAME = f"implementeringsplan_{YEAR}.xlsx"  # the year comes from the file name, as in the sample
HEADER = ("Dato", "Tema", "Aktivitet", "Deltagerkreds")
DISCUSSION_SHARE = 0.02
ORIENTATION_SHARE = 0.004

COMMITTEES = (
    ("KMB", "Kommunalbestyrelsen", "KB"),
    ("ØKU", "Økonomiudvalget", "ØU"),
    ("BSU", "Børne- og Skoleudvalget", None),
    ("TMU", "Teknik- og Miljøudvalget", None),
    ("SSU", "Social- og Sundhedsudvalget", None),
    ("KFU", "Kultur- og Fritidsudvalget", None),
    ("EBU", "Erhvervs- og Beskæftigelsesudvalget", None),
)
FULL_NAMES = {abbreviation: name for abbreviation, name, _ in COMMITTEES}
FAGUDVALG = ("ØKU", "BSU", "TMU", "SSU", "KFU", "EBU")

MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
          "oktober", "november", "december")
SEASONS = ("Forår", "Sommer", "Efterår", "Vinter")

THEMES = (
    "Formidling af Vision 2029 til ledere og medarbejdere",
    "Grafisk formidling af Vision 2029",
    "Fortællinger der illustrerer Vision 2029",
    "Dialog med borgerne om, hvordan Vision 2029 realiseres",
    "Formidling af eksisterende indsatser, der illustrer udmøntning af Vision 2029",
    "Modning af kommende/planlagte indsatser, der illustrerer /udmønter Vision 2029",
    "Præsentation af Vision 2029 samt hovedsporerne i implementeringsplanen",
    "Grøn omstilling og klimatilpasning i Ballerup",
    "Sundhed og trivsel for børn og unge",
    "Erhvervsudvikling og beskæftigelse",
    "Fællesskaber, kultur og fritidsliv",
    "Bæredygtige byrum og mobilitet",
    "Ældre, værdighed og nærhed",
    "Digital forvaltning og borgerservice",
)
VERBS = ("Præsentation af", "Udvikling af", "Workshop om", "Høring om", "Borgermøde om",
         "Evaluering af", "Kortlægning af", "Temadag om", "Pilotprojekt om", "Opfølgning på",
         "Dialogmøde om", "Udarbejdelse af", "Formidling af", "Analyse af")
SUBJECTS = ("fortælle-design for Ballerup 2029", "nærdemokrati og borgerinddragelse",
            "skolernes læringsmiljø", "grønne områder ved Pederstrup", "cykelstier og trafiksikkerhed",
            "ældreplejens kvalitetsstandarder", "lokale fællesskaber i Skovlunde og Måløv",
            "energirenovering af kommunens bygninger", "unges vej til uddannelse og job",
            "idrætsfaciliteter og foreningsliv", "sundhedsfremme på arbejdspladsen",
            "frivillighed og medborgerskab", "byudvikling omkring stationen",
            "digitale løsninger i hjemmeplejen", "vandmiljø og regnvandshåndtering")
DETAILS = ("v/ Eik Møller", "v/ Jesper Würtzen", "i samarbejde med Public Agency",
           "med deltagelse af lokale foreninger", "for ledere og medarbejdere",
           "på rådhuset i Ballerup", "på biblioteket i Måløv", "i Baltoppen",
           "med åben invitation i Ballerup Bladet og på de digitale medier")
PARTICIPANTS = ("Chefgruppen", "Ledergrupper og personalegrupper", "Public Agency", "Administrationen",
                "Borgere og politikere\nÅben invitation i Ballerup Bladet og på de digitale medier",
                "Borgere og virksomheder", "Politikerne", "Direktionen",
                "Politikere, Administrationen og eksterne samarbejdspartnere",
                "Skoleledere og pædagogisk personale", "Lokalråd og foreninger",
                "Medarbejdere i Social og Sundhed")
QUESTIONS = ("Hvad er de vigtigste politiske tiltag for realisering af Vision 2029?",
             "Hvilke konsekvenser har det for det politiske udvalgsarbejde?",
             "Hvordan inddrager vi borgerne undervejs?",
             "Hvilke indsatser skal prioriteres i næste budgetår?",
             "Hvordan måler vi, om målene nås?",
             "Hvad kræver det af samarbejdet på tværs af forvaltningerne?")
INITIATIVES = (
    ("Grønne skolegårde", "Skolegårde omlægges til grønne læringsrum.", "eksisterende", "BSU"),
    ("Klimatilpasning i Harrestrup Å", "Regnvandsbassiner og å-genopretning.", "kommende", "TMU"),
    ("Sund by-netværk", "Fælles indsats for sundhed i nærmiljøet.", "planlagt", "SSU"),
    ("Kulturnat i Ballerup", "Årlig kulturnat med foreningerne.", "eksisterende", "KFU"),
    ("Job og uddannelse for unge", "Vejledning og praktikpladser.", "kommende", "EBU"),
    ("Borgerbudgetter", "Borgerne fordeler en pulje i lokalområderne.", "planlagt", None),
)


def write_plan(folder: Path, rows: int, seed: int | None = None) -> Path:
    """Write a synthetic plan with `rows` activities to `folder`/implementeringsplan_2017.xlsx."""
    from openpyxl import Workbook

    rng = random.Random(2017_0000 + rows if seed is None else seed)
    book = Workbook()
    sheet = book.active
    sheet.title = "Plan"
    sheet.append(["Implementeringsplan – Vision 2029"])
    sheet.append([])
    sheet.append(list(HEADER))
    for row in plan_rows(rows, rng):
        sheet.append(list(row))
    committees = book.create_sheet("Udvalg")
    committees.append(["Forkortelse", "Navn", "Alias"])
    for abbreviation, name, alias in COMMITTEES:
        committees.append([abbreviation, name, alias])
    initiatives = book.create_sheet("Indsatser")
    initiatives.append(["Indsats", "Beskrivelse", "Type", "Udvalg"])
    for initiative in INITIATIVES:
        initiatives.append(list(initiative))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    book.save(path)
    return path


def plan_rows(count: int, rng: random.Random) -> list[tuple]:
    """Return `count` rows (Dato, Tema, Aktivitet, Deltagerkreds) in a shuffled, realistic order."""
    discussions = max(1, round(count * DISCUSSION_SHARE)) if count >= 50 else 0
    orientations = max(1, round(count * ORIENTATION_SHARE)) if count >= 50 else 0
    meeting_days = _weekdays(rng)
    rows = _orientation_rows(orientations, meeting_days, rng)
    rows += _discussion_rows(discussions, meeting_days, rng)
    rows += [_ordinary_row(rng) for _ in range(count - len(rows))]
    rng.shuffle(rows)
    return rows


def ordinary_row_indexes(path: Path) -> list[int]:
    """Return the 1-based sheet rows of ordinary activities (neither discussion nor orientation)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    found = []
    for number, (_dato, _tema, aktivitet, *_rest) in enumerate(book["Plan"].iter_rows(values_only=True), 1):
        text = str(aktivitet or "")
        if number > 3 and text and "Drøftelse" not in text and "Orienteringssag" not in text:
            found.append(number)
    book.close()
    return found


def edit_row(path: Path, row: int, suffix: str) -> None:
    """Change one activity's text (column C of `row`) to its original text plus `suffix`."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    cell = book["Plan"].cell(row=row, column=3)
    original = str(cell.value).split(" [rettet", 1)[0]
    cell.value = f"{original} [rettet {suffix}]"
    book.save(path)


# --- Rows ------------------------------------------------------------------------------------------

def _weekdays(rng: random.Random) -> list[date]:
    """Return the year's meeting days (Monday–Thursday, February–December), shuffled."""
    day, days = date(YEAR, 2, 1), []
    while day.year == YEAR:
        if day.weekday() < 4:
            days.append(day)
        day += timedelta(days=1)
    rng.shuffle(days)
    return days


def _meeting_cell(day: date, rng: random.Random):
    """Return a meeting day as a case officer writes it: mostly `30. maj`, some ISO, some date cells."""
    draw = rng.random()
    if draw < 0.7:
        return f"{day.day}. {MONTHS[day.month - 1]}"
    if draw < 0.85:
        return datetime(day.year, day.month, day.day)
    return day.isoformat()


def _orientation_rows(count: int, days: list[date], rng: random.Random) -> list[tuple]:
    council_days = sorted(days[:count])  # one KMB meeting per orientation case: unique dates
    rows = []
    for day in council_days:
        rows.append((_meeting_cell(day, rng), rng.choice(("Status", "Status på implementeringsplanen")),
                     "Orienteringssag", rng.choice(("KMB", "KMB", "Kommunalbestyrelsen"))))
    return rows


def _discussion_rows(count: int, days: list[date], rng: random.Random) -> list[tuple]:
    """Return discussion rows grouped in matters of 1–3 meetings (like the sample's three rows)."""
    used: set[tuple[str, date]] = set()
    pool = itertools.cycle(days)  # a day comes round again only after every other meeting day
    rows: list[tuple] = []
    matter = 0
    while len(rows) < count:
        matter += 1
        theme = (f"{rng.choice(THEMES)}\nHvordan realiseres Vision 2029 – "
                 f"{rng.choice(SUBJECTS)} ({matter})")
        questions = " ".join(rng.sample(QUESTIONS, rng.randint(1, 3)))
        text = (f"Drøftelse af de af chefgruppen udvalgte indsatser om {rng.choice(SUBJECTS)}.\n"
                f"Drøftelse: {questions}")
        for _ in range(min(rng.randint(1, 3), count - len(rows))):
            day = next(pool)
            free = [c for c in FAGUDVALG if (c, day) not in used]
            while not free:  # every committee meets that day already (only in huge plans)
                day = next(pool)
                free = [c for c in FAGUDVALG if (c, day) not in used]
            committees = rng.sample(free, min(len(free), rng.choice((1, 1, 2, 3))))
            used.update((c, day) for c in committees)
            rows.append((_meeting_cell(day, rng), theme, text, _participants(committees, rng)))
    return rows


def _participants(committees: list[str], rng: random.Random) -> str:
    """Return `De politiske fagudvalg: BSU, TMU og SSU`, `BSU og KFU` or a full committee name."""
    listed = committees[0] if len(committees) == 1 else (
        ", ".join(committees[:-1]) + " og " + committees[-1])
    draw = rng.random()
    if len(committees) > 1 and draw < 0.6:
        return f"De politiske fagudvalg: {listed}"
    if len(committees) == 1 and draw < 0.3:
        return FULL_NAMES[committees[0]]
    return listed


def _ordinary_row(rng: random.Random) -> tuple:
    text = f"{rng.choice(VERBS)} {rng.choice(SUBJECTS)} {rng.choice(DETAILS)}"
    if rng.random() < 0.25:
        text += "\nHjemmeside\nPresse" if rng.random() < 0.5 else f"\nOpfølgning: {rng.choice(SUBJECTS)}."
    theme = rng.choice(THEMES)
    if rng.random() < 0.1:
        theme += "\nHvordan realiseres Vision 2029"
    return _period_cell(rng), theme, text, rng.choice(PARTICIPANTS)


def _period_cell(rng: random.Random):
    """Return a period in one of the forms the parser supports, weighted roughly as plans use them."""
    forms = (
        (22, lambda: f"{rng.randint(1, 28)}. {rng.choice(MONTHS)}"),
        (8, lambda: _date(rng)),  # a real date cell
        (5, lambda: _date(rng).date().isoformat()),
        (2, lambda: f"{(d := _date(rng)).day}.{d.month}.{d.year}"),
        (12, lambda: rng.choice(MONTHS).capitalize()),
        (7, lambda: _month_range(rng, "-")),
        (4, lambda: _month_range(rng, " – ")),
        (8, lambda: rng.choice(SEASONS)),
        (4, lambda: rng.choice(("Efterår/Vinter", "Forår/Sommer", "Sommer/Efterår"))),
        (7, lambda: f"uge {rng.randint(1, 52)}"),
        (7, lambda: f"{rng.randint(1, 4)}. kvartal"),
        (10, lambda: "Løbende"),
        (2, lambda: "2018"),
        (2, lambda: rng.choice(MONTHS).capitalize() + " 2018"),
    )
    weights = [weight for weight, _ in forms]
    return rng.choices([make for _, make in forms], weights)[0]()


def _date(rng: random.Random) -> datetime:
    day = date(YEAR, 1, 1) + timedelta(days=rng.randrange(365))
    return datetime(day.year, day.month, day.day)


def _month_range(rng: random.Random, dash: str) -> str:
    first = rng.randrange(12)
    last = rng.randrange(first, 12)
    return f"{MONTHS[first].capitalize()}{dash}{MONTHS[last]}"
