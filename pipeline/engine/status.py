"""The status page `<output>/status.html`: what the last run of `build` did, in Danish.

Every run writes it, also one that stops on bad input, a template error or a held lock, so a
case officer opening the shared folder sees whether the documents are current and why not.
It is the pipeline's own page, not a document: it is not in the manifest, carries the run's
time (the one file besides the change log that may), and `pipeline clean` removes it.

Plain HTML with its own small style sheet and no scripts, so any browser shows it from a file
share. Everything taken from a spreadsheet or a path is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

from pipeline.core.errors import InputError, Interrupted, LockedError, PipelineError, Problem, TemplateError
from pipeline.core.files import atomic_write
from pipeline.engine.report import Outcome, Report

STATUS_PAGE = "status.html"
CHANGE_LOG_PAGE = "aendringslog.html"
PAGES = (STATUS_PAGE, CHANGE_LOG_PAGE)  # the pipeline's own pages in the output folder's top

STYLE = """
body { font-family: system-ui, "Segoe UI", Arial, sans-serif; color: #1a1a1a; background: #fff;
       line-height: 1.5; margin: 1.5rem auto; max-width: 70rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; } h3 { font-size: 1.05rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #767676; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eee; }
.resultat { font-weight: bold; }
.fejl { color: #a00000; }
td { overflow-wrap: anywhere; }
"""


def now() -> datetime:
    """Return the time now in Copenhagen (the page says when the run was, in the municipality's time)."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/Copenhagen"))


def when(moment: datetime) -> str:
    """Return `moment` as a case officer reads it: `29-11-2026 kl. 02:00`."""
    return moment.strftime("%d-%m-%Y kl. %H:%M")


def page(title: str, body: list[str]) -> bytes:
    """Return a whole Danish HTML page with `title` and the already escaped `body` lines."""
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="da">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>", "<main>",
        f"<h1>{escape(title)}</h1>", *body, "</main>", "</body>", "</html>", ""]).encode("utf-8")


def table(headers: list[str], rows: list[list[str]], caption: str = "") -> list[str]:
    """Return an HTML table of text (escaped here), the first column as row headers."""
    lines = ["<table>"] + ([f"<caption>{escape(caption)}</caption>"] if caption else [])
    lines.append("<thead><tr>" + "".join(f'<th scope="col">{escape(h)}</th>' for h in headers) + "</tr></thead>")
    lines.append("<tbody>")
    for row in rows:
        first, *rest = row
        lines.append(f'<tr><th scope="row">{escape(first)}</th>'
                     + "".join(f"<td>{escape(cell)}</td>" for cell in rest) + "</tr>")
    return [*lines, "</tbody>", "</table>"]


@dataclass
class Run:
    """One run of `build` as the status page tells it: its report, or the error that stopped it."""

    started: datetime
    report: Report | None = None
    error: BaseException | None = None

    @property
    def exit_code(self) -> int:
        if isinstance(self.error, (PipelineError, Interrupted)):
            return self.error.exit_code
        if self.error is not None:
            return 1  # a bug: the command line says so and exits 1
        return self.report.exit_code if self.report else 0

    def result(self) -> str:
        """Return the run's result in one Danish sentence."""
        error = self.error
        if isinstance(error, InputError):
            return "Stoppet: fejl i regnearket. Ingen dokumenter er ændret."
        if isinstance(error, TemplateError):
            return "Stoppet: fejl i skabelonerne. Ingen dokumenter er ændret."
        if isinstance(error, LockedError):
            return "Stoppet: en anden kørsel byggede allerede. Ingen dokumenter er ændret af denne kørsel."
        if isinstance(error, PipelineError):
            return "Stoppet: kørslen kunne ikke gennemføres. Ingen dokumenter er ændret."
        if isinstance(error, Interrupted):
            return ("Afbrudt undervejs. De filer, der nåede at blive skrevet, er hele; "
                    "næste kørsel gør arbejdet færdigt.")
        if error is not None:
            return "Stoppet af en uventet fejl i pipelinen. Kør igen med --verbose, og send teksten til udviklerne."
        if self.report and self.report.exit_code:
            return "Nogle dokumenter fejlede; de andre blev skrevet."
        return "Alt gik godt."


def status_page(run: Run) -> bytes:
    """Return the status page for `run`."""
    body = [f'<p>Seneste kørsel: <strong>{escape(when(run.started))}</strong> (dansk tid).</p>',
            f'<p class="resultat">Resultat: {escape(run.result())} (afslutningskode {run.exit_code})</p>']
    report = run.report
    body.append("<h2>Antal</h2>")
    if report is None:
        body.append("<p>Kørslen stoppede, før dokumenterne blev bygget; de ligger, som den forrige kørsel "
                    "efterlod dem.</p>")
    else:
        body += table(["Udfald", "Antal"], [[o.value, str(report.count(o))] for o in Outcome])
    body.append("<h2>Problemer</h2>")
    problems = _problems(run)
    body += problems or ["<p>Ingen problemer.</p>"]
    body.append("<h2>Dokumenter, der ikke er opdaterede</h2>")
    stale = _stale(report) if report else []
    if report is None:
        body.append("<p>Ukendt: kørslen stoppede, før dokumenterne blev vurderet. Ret problemerne ovenfor, "
                    "og kør igen.</p>")
    elif stale:
        body += table(["Dokument", "Hvorfor"], stale)
    else:
        body.append("<p>Alle dokumenter er opdaterede.</p>")
    body.append("<h2>Bevaret på grund af rettelser i hånden</h2>")
    kept = sorted(report.files[Outcome.PRESERVED].items()) if report else []
    if kept:
        body += table(["Dokument", "Bemærkning"], [[path, note] for path, note in kept])
    else:
        body.append("<p>Ingen.</p>" if report else "<p>Ukendt (se ovenfor).</p>")
    body.append(f'<p>Hvad der er ændret i planerne og dokumenterne, står i '
                f'<a href="{CHANGE_LOG_PAGE}">ændringsloggen</a>.</p>')
    return page("Status for implementeringsplanens dokumenter", body)


def _problems(run: Run) -> list[str]:
    lines: list[str] = []
    error = run.error
    if isinstance(error, InputError):
        lines += table(["Fil", "Ark", "Række", "Kolonne", "Værdi", "Fejl"],
                       [_problem_row(p) for p in error.problems],
                       caption=f"{len(error.problems)} fejl i regnearket")
        lines += ["<p>Som på kommandolinjen:</p>", "<ul>"]
        lines += [f"<li>Fejl: {escape(str(p))}</li>" for p in error.problems] + ["</ul>"]
    elif error is not None:
        message = str(error) if isinstance(error, PipelineError) else run.result()
        lines += ['<ul class="fejl">'] + [f"<li>{escape(line)}</li>" for line in message.splitlines() if line]
        lines.append("</ul>")
    report = run.report
    if report is not None:
        failed = sorted(report.files[Outcome.FAILED].items())
        if failed:
            lines += table(["Dokument", "Fejl"], [[path, note] for path, note in failed],
                           caption="Dokumenter, der fejlede")
        if report.warnings:
            lines += ["<p>Advarsler:</p>", "<ul>"] + [f"<li>{escape(w)}</li>" for w in report.warnings] + ["</ul>"]
    return lines


def _problem_row(problem: Problem) -> list[str]:
    return [problem.file, problem.sheet or "", "" if problem.row is None else str(problem.row),
            problem.column or "", problem.value or "", problem.message]


def _stale(report: Report) -> list[list[str]]:
    """Return the documents that are not what the plan says now, and why (Danish)."""
    rows = [[path, f"fejlede: {note}"] for path, note in report.files[Outcome.FAILED].items()]
    rows += [[path, f"bevaret, rettet i hånden: {note}" if note else "bevaret, rettet i hånden"]
             for path, note in report.files[Outcome.PRESERVED].items()]
    rows += [[path, note] for path, note in report.files[Outcome.CLOSED].items()
             if "ændret" in note]  # a held meeting's document whose data or template changed since
    return sorted(rows)


def write_status(output: Path, run: Run) -> str | None:
    """Write the status page into `output` atomically; return a Danish warning when it cannot be."""
    try:
        if output.exists() and not output.is_dir():
            return f"statussiden kan ikke skrives: {output} er ikke en mappe"
        output.mkdir(parents=True, exist_ok=True)
        target = output / STATUS_PAGE
        if target.is_symlink() or (target.exists() and not target.is_file()):
            return f"statussiden kan ikke skrives: {target} er ikke en almindelig fil"
        atomic_write(target, status_page(run))
    except OSError as error:
        from pipeline.core.errors import os_reason

        return f"statussiden kan ikke skrives: {os_reason(error)}"
    return None
