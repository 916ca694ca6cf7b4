"""What changed in the plans since the last build: rows added, removed and changed, per column.

The previous build's rows live in `<output>/.pipeline/planer.json` (per plan file: each row's
number and its columns as text). Like every state file in the shared output folder it is
untrusted: a damaged one is set aside with a Danish warning and the build goes on as if it were
not there (then nothing is reported as changed).

Rows are matched by content, not by number, so inserting a row reports one added row rather
than every row below it as changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from html import escape
from pathlib import Path

from pipeline.core.errors import os_reason
from pipeline.core.files import atomic_write
from pipeline.core.model import Activity, Document, Plan
from pipeline.core.text import shorten
from pipeline.engine.manifest import FOLDER, set_aside
from pipeline.engine.report import Outcome, Report
from pipeline.engine.status import CHANGE_LOG_PAGE, STATUS_PAGE, page, table, when

SNAPSHOT = "planer.json"
FORMAT = 1
SHOWN_CHANGES = 3  # a document's reason names at most this many changed rows

Rows = list[tuple[int, dict[str, str]]]  # (Excel row number, column header → text)


@dataclass(frozen=True)
class RowChange:
    """One row of a plan that was added, removed or changed since the last build."""

    plan: str
    kind: str  # "tilføjet", "fjernet" or "ændret" (Danish: shown as is)
    row: int  # the row number now (for a removed row: the number it had)
    columns: tuple[tuple[str, str, str], ...] = ()  # (column, old text, new text) of a changed row
    text: str = ""  # the activity, for an added or removed row

    def __str__(self) -> str:
        if self.kind == "ændret":
            return f"række {self.row}, " + "; ".join(f"{c}: {_short(o)} → {_short(n)}" for c, o, n in self.columns)
        return f"række {self.row} {self.kind}: {_short(self.text)}"

    def as_json(self) -> dict[str, object]:
        return {"plan": self.plan, "kind": self.kind, "row": self.row,
                "columns": [list(c) for c in self.columns], "text": self.text}


def _short(text: str) -> str:
    return shorten(text, 60) or "(tom)"


def row_columns(activity: Activity) -> dict[str, str]:
    """Return a plan row as its columns' text, as a case officer reads them in the spreadsheet."""
    columns = {"Dato": activity.period.label, "Tema": activity.theme, "Aktivitet": activity.text,
               "Deltagerkreds": activity.participants,
               "Status": activity.status.value if activity.status else "",
               "Sagsnr.": activity.case_number, "Ansvarlig": activity.responsible,
               "Bemærkning": activity.remark}
    columns.update(activity.extra)
    return columns


def plan_rows(plans: list[Plan]) -> dict[str, Rows]:
    """Return each plan's rows by plan file name."""
    return {plan.file: [(a.source.row, row_columns(a)) for a in plan.activities] for plan in plans}


def diff_rows(plan: str, old: Rows, new: Rows) -> list[RowChange]:
    """Return the rows added, removed and changed from `old` to `new`, in row order."""
    def key(columns: dict[str, str]) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(columns.items()))

    def text(columns: dict[str, str]) -> str:
        return " – ".join(v for v in (columns.get("Dato", ""), columns.get("Tema", ""),
                                      columns.get("Aktivitet", "")) if v)

    # Rows equal at the start and at the end are not compared further: an edit of a long plan
    # touches a few rows, and SequenceMatcher over all of them took most of the time.
    start = 0
    while start < min(len(old), len(new)) and old[start][1] == new[start][1]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end][1] == new[-1 - end][1]:
        end += 1
    middle_old, middle_new = old[start:len(old) - end], new[start:len(new) - end]
    matcher = SequenceMatcher(None, [key(c) for _, c in middle_old], [key(c) for _, c in middle_new], autojunk=False)
    changes = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        i1, i2, j1, j2 = i1 + start, i2 + start, j1 + start, j2 + start
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for (_, before), (row, after) in zip(old[i1:i1 + pairs], new[j1:j1 + pairs]):
            columns = tuple((name, before.get(name, ""), after.get(name, ""))
                            for name in dict.fromkeys([*before, *after])
                            if before.get(name, "") != after.get(name, ""))
            changes.append(RowChange(plan, "ændret", row, columns))
        changes += [RowChange(plan, "fjernet", row, text=text(c)) for row, c in old[i1 + pairs:i2]]
        changes += [RowChange(plan, "tilføjet", row, text=text(c)) for row, c in new[j1 + pairs:j2]]
    return sorted(changes, key=lambda c: (c.row, c.kind))


def diff_plans(old: dict[str, Rows], new: dict[str, Rows]) -> list[RowChange]:
    """Return the changed rows of every plan in `new` that `old` knows (a new plan is not a change)."""
    return [change for plan in sorted(new) if plan in old for change in diff_rows(plan, old[plan], new[plan])]


def data_note(document: Document, changes: list[RowChange],
              seen: dict[int, set[tuple[str, int]]] | None = None) -> str:
    """Return, in Danish, the changed rows among those `document` shows (else its plans' changed rows).

    `seen` keeps the rows of each tuple of shown activities across calls (many documents of a
    plan show the same tuple: all of its rows)."""
    seen = {} if seen is None else seen
    rows = seen.get(id(document.shown))
    if rows is None:
        rows = seen[id(document.shown)] = {(a.source.file, a.source.row) for a in document.shown}
    plans = set(document.plans)
    own = {(a.source.file, a.source.row) for a in document.activities}
    ours = [c for c in changes if c.plan in plans]
    shown = [c for c in ours if c.kind != "fjernet" and ((c.plan, c.row) in rows or (c.plan, c.row) in own)] or ours
    if not shown:
        return ""
    text = "; ".join(str(c) for c in shown[:SHOWN_CHANGES])
    more = len(shown) - SHOWN_CHANGES
    return text + (f" og {more} ændring(er) mere" if more > 0 else "")


def load_snapshot(output: Path, *, repair: bool = False) -> tuple[dict[str, Rows], list[str]]:
    """Return the rows of the last build by plan, and Danish warnings; damaged state is left out
    (and, with `repair`, set aside)."""
    path = output / FOLDER / SNAPSHOT
    if not path.exists() and not path.is_symlink():
        return {}, []
    try:
        if path.is_symlink() or not path.is_file():
            raise ValueError("not a file")
        data = json.loads(path.read_bytes().decode("utf-8"))
        return _parse(data), []
    except (OSError, ValueError, TypeError, KeyError):
        where = f"{output}/{FOLDER}/{SNAPSHOT}"
        if not repair:
            return {}, [f"{where} er beskadiget; ændringer i planerne kan ikke vises denne gang"]
        aside = set_aside(path)
        moved = f"lagt til side som {aside.name}" if aside else "kunne ikke lægges til side"
        return {}, [f"{where} var beskadiget og er {moved}; ændringer i planerne kan ikke vises denne gang"]


def _parse(data: object) -> dict[str, Rows]:
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("plans"), dict):
        raise ValueError("not a snapshot")
    plans: dict[str, Rows] = {}
    for name, rows in data["plans"].items():
        if not isinstance(rows, list):
            raise ValueError("not a snapshot")
        parsed = []
        for item in rows:
            row, columns = item
            if (type(row) is not int or not isinstance(columns, dict)
                    or not all(isinstance(k, str) and isinstance(v, str) for k, v in columns.items())):
                raise ValueError("not a snapshot")
            parsed.append((row, columns))
        plans[name] = parsed
    return plans


def save_snapshot(output: Path, plans: dict[str, Rows]) -> None:
    """Write the rows of the plans just built (keeping other plans' rows), atomically."""
    data = {"format": FORMAT, "plans": {name: [[row, columns] for row, columns in rows]
                                        for name, rows in sorted(plans.items())}}
    # Compact: Python's JSON encoder runs in C only without indentation (a 10,000-row plan: 0.06 s, not 0.2 s).
    compact = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    atomic_write(output / FOLDER / SNAPSHOT, compact.encode("utf-8"))


# --- The change log ---------------------------------------------------------------------------------

LOG = "aendringslog.json"  # the entries behind aendringslog.html, newest first
KEEP_ENTRIES = 200
KEEP_DAYS = 365


def record_changes(output: Path, moment: datetime, changes: list[RowChange], report: Report) -> list[str]:
    """Add an entry for a build that changed something to the change log, and write its page;
    return Danish warnings (damaged log set aside, a page that could not be written)."""
    if not changes and not report.files[Outcome.WRITTEN] and not report.files[Outcome.REMOVED]:
        return []  # a hand-edited file kept again, or a document failing again, is no news
    documents = [[outcome.value, path, note] for outcome in (Outcome.WRITTEN, Outcome.REMOVED, Outcome.PRESERVED,
                                                            Outcome.FAILED)
                 for path, note in sorted(report.files[outcome].items())]
    entries, warnings = _load_log(output)
    entries.insert(0, {"time": moment.isoformat(timespec="seconds"),
                       "rows": [change.as_json() for change in changes], "documents": documents})
    cutoff = moment - timedelta(days=KEEP_DAYS)
    entries = [e for e in entries if datetime.fromisoformat(e["time"]) >= cutoff][:KEEP_ENTRIES]
    try:
        atomic_write(output / FOLDER / LOG, json.dumps({"format": FORMAT, "entries": entries},
                                                       ensure_ascii=False, indent=1).encode("utf-8"))
        atomic_write(output / CHANGE_LOG_PAGE, change_log_page(entries))
    except OSError as error:
        warnings.append(f"ændringsloggen kunne ikke skrives: {os_reason(error)}")
    return warnings


def _load_log(output: Path) -> tuple[list[dict], list[str]]:
    path = output / FOLDER / LOG
    if not path.exists() and not path.is_symlink():
        return [], []
    try:
        if path.is_symlink() or not path.is_file():
            raise ValueError("not a file")
        data = json.loads(path.read_bytes().decode("utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("entries"), list):
            raise ValueError("not a change log")
        for entry in data["entries"]:
            _check_entry(entry)
        return data["entries"], []
    except (OSError, ValueError, TypeError, KeyError):
        aside = set_aside(path)
        moved = f"lagt til side som {aside.name}" if aside else "kunne ikke lægges til side"
        return [], [f"{output}/{FOLDER}/{LOG} var beskadiget og er {moved}; ændringsloggen begynder forfra"]


def _check_entry(entry: object) -> None:
    """Raise ValueError unless `entry` has the shape `record_changes` writes."""
    if not isinstance(entry, dict) or not isinstance(entry.get("time"), str):
        raise ValueError("not an entry")
    if datetime.fromisoformat(entry["time"]).tzinfo is None:
        raise ValueError("no time zone")
    for change in entry["rows"]:
        if not (isinstance(change["plan"], str) and change["kind"] in ("tilføjet", "fjernet", "ændret")
                and type(change["row"]) is int and isinstance(change["text"], str)
                and all(len(c) == 3 and all(isinstance(t, str) for t in c) for c in change["columns"])):
            raise ValueError("not a row change")
    if not all(isinstance(d, list) and len(d) == 3 and all(isinstance(t, str) for t in d) for d in entry["documents"]):
        raise ValueError("not a document")


def change_log_page(entries: list[dict]) -> bytes:
    """Return the change log page: one section per build, newest first."""
    body = [f"<p>Hver kørsel, der ændrede noget, nyeste først: hvilke rækker i planerne der er tilføjet, "
            f"fjernet eller ændret, og hvad der skete med dokumenterne. Loggen viser de seneste "
            f"{KEEP_ENTRIES} kørsler inden for {KEEP_DAYS} dage. Se også <a href=\"{STATUS_PAGE}\">status for "
            "seneste kørsel</a>.</p>"]
    if not entries:
        body.append("<p>Ingen ændringer endnu.</p>")
    for entry in entries:
        body.append(f"<h2>Kørslen {escape(when(datetime.fromisoformat(entry['time'])))}</h2>")
        body.append("<h3>Ændringer i planerne</h3>")
        rows = []
        for change in entry["rows"]:
            if change["kind"] == "ændret":
                rows += [[f"række {change['row']}", change["plan"], "ændret", column, old, new]
                         for column, old, new in change["columns"]]
            else:
                old, new = (change["text"], "") if change["kind"] == "fjernet" else ("", change["text"])
                rows.append([f"række {change['row']}", change["plan"], change["kind"], "", old, new])
        body += table(["Række", "Plan", "Ændring", "Kolonne", "Før", "Efter"], rows) if rows else [
            "<p>Ingen rækker er ændret (fx en ny skabelon, en ny plan eller dokumenter, der manglede).</p>"]
        body.append("<h3>Dokumenter</h3>")
        if entry["documents"]:
            body += table(["Dokument", "Hvad skete", "Bemærkning"],
                          [[path, what, note] for what, path, note in entry["documents"]])
        else:
            body.append("<p>Ingen dokumenter er ændret.</p>")
    return page("Ændringslog for implementeringsplanens dokumenter", body)
