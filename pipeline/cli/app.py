"""The command line: each command turns its options into one library call.

Heavy libraries (pandas, docxtpl, WeasyPrint) are imported by the library functions that need
them, never here, so `pipeline --help` starts at once.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from pipeline import __version__
from pipeline.cli import danish
from pipeline.core.errors import InputError, Interrupted, PipelineError, TemplateError

danish.install_catalogue()  # before any option is declared (see danish.install_catalogue)

NIGHTLY_WAIT = 600.0  # seconds a night run waits for another build before it gives up with code 3
PLAN_ARGUMENT = click.argument("plans", nargs=-1, type=click.Path(path_type=Path), metavar="[PLAN]...")
YEAR_OPTION = click.option("--year", type=click.IntRange(1900, 2200), metavar="ÅÅÅÅ",
                           help="Planens år, når hverken kolonnen År eller filnavnet angiver det.")
TEMPLATES_OPTION = click.option("-t", "--templates", type=click.Path(path_type=Path), metavar="MAPPE",
                                default=Path("templates"), help="Mappen med skabelonerne (standard: templates).")
TODAY_OPTION = click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                            metavar="ÅÅÅÅ-MM-DD",
                            help="Dagen, der regnes som i dag (standard: dagens dato); dokumenter til "
                                 "møder før den dag er afsluttede.")
OUTPUT_OPTION = click.option("-o", "--output", type=click.Path(path_type=Path), metavar="MAPPE",
                             default=Path("output"), help="Mappen, dokumenterne skrives i (standard: output).")
VERBOSE_OPTION = click.option("-v", "--verbose", is_flag=True, expose_value=False,
                              callback=lambda ctx, _param, value: ctx.meta.__setitem__("verbose", value),
                              help="Vis teknisk fejlinfo, hvis der sker en uventet fejl.")


class _Group(danish.DanishCommand, click.Group):
    """Turns the library's errors into a Danish message and an exit code, in one place."""

    command_class = danish.DanishCommand

    def invoke(self, ctx: click.Context):
        try:
            with _signals_interrupt():
                return super().invoke(ctx)
        except PipelineError as error:
            _print_error(error)
            ctx.exit(error.exit_code)
        except Interrupted as stop:
            click.echo(f"\nAfbrudt ({_SIGNALS.get(stop.signal_number, stop.signal_number)}). Filer, der "
                       "nåede at blive skrevet, er hele; kør igen for at gøre arbejdet færdigt.", err=True)
            ctx.exit(stop.exit_code)
        except BrokenPipeError:
            # The reader stopped reading (`pipeline list | head -1`): what it wanted it has.
            _silence_stdout()
            ctx.exit(0)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as error:  # a bug: say so plainly; the traceback only on request
            if ctx.meta.get("verbose") or os.environ.get("PIPELINE_DEBUG"):
                traceback.print_exc()
            click.echo(f"Uventet fejl i pipelinen ({type(error).__name__}: {error}). "
                       "Kør igen med --verbose og send teksten til udviklerne.", err=True)
            ctx.exit(1)


# The signals that stop a run cleanly, as a case officer would name them (README "Afslutningskoder").
_SIGNALS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "stoppet udefra med SIGTERM",
            signal.SIGHUP: "terminalen blev lukket (SIGHUP)"}


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Within the block, Ctrl-C, SIGTERM and SIGHUP raise Interrupted, which unwinds the run like
    any exception (temporary files removed, workers stopped, the lock released)."""
    def interrupt(number: int, _frame: object) -> None:
        raise Interrupted(number)

    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach only the main thread (a test runner's thread, say)
        return
    saved = {number: signal.signal(number, interrupt) for number in _SIGNALS}
    try:
        yield
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so flushing it at exit does not fail again on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _print_error(error: PipelineError) -> None:
    if isinstance(error, InputError):
        for problem in error.problems:
            click.echo(f"Fejl: {problem}", err=True)
        notes = getattr(error, "__notes__", ())  # e.g. where validate --mark put the marked copies
        for note in notes:
            click.echo(note, err=True)
        count = len(error.problems)
        advice = "Ret regnearket og prøv igen." if notes else "Ret regnearket og prøv igen; ingen dokumenter er ændret."
        click.echo(f"{count} fejl fundet. {advice}" if count > 1 else advice, err=True)
    else:
        click.echo(f"Fejl: {error}", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]},
             subcommand_metavar="KOMMANDO [ARGUMENTER]...")
@click.version_option(__version__, prog_name="pipeline", message="%(prog)s %(version)s",
                      help="Vis versionen og afslut.")
def cli() -> None:
    """Laver orienteringssager, drøftelsessager og PDF-oversigter ud fra implementeringsplanen.

    Uden PLAN bruges alle .xlsx- og .csv-filer i mappen input/.

    Afslutningskoder: 0 alt gik godt; 1 nogle dokumenter fejlede (de andre blev skrevet);
    2 fejl i regnearket, skabelonerne eller kommandoen (ingen dokumenter blev ændret);
    3 en anden kørsel er i gang; 130, 143 og 129 kørslen blev afbrudt (Ctrl-C, SIGTERM, SIGHUP).
    """


@cli.command()
@PLAN_ARGUMENT
@OUTPUT_OPTION
@TEMPLATES_OPTION
@YEAR_OPTION
@click.option("--force", is_flag=True, help="Byg alle dokumenter, også dem der er opdaterede.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None, metavar="N",
              help="Antal dokumenter, der laves samtidig (standard: antal processorkerner).")
@click.option("--wait", type=click.FloatRange(0), default=5.0, metavar="SEK",
              help="Sekunder, der ventes på en anden kørsel, før der gives op (standard: 5).")
@click.option("-q", "--quiet", is_flag=True, help="Vis kun problemer og opsummeringen.")
@click.option("-v", "--verbose", is_flag=True, help="Vis flere detaljer (og teknisk fejlinfo).")
@click.option("--log-file", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="FIL",
              help="Tilføj logbeskeder til denne fil.")
@TODAY_OPTION
@click.option("--reopen", type=click.Path(path_type=Path), multiple=True, metavar="FIL",
              help="Byg et afsluttet dokument (et holdt møde) igen med vilje; kan gentages.")
@click.option("--nightly", is_flag=True,
              help="Til natlige kørsler: som --quiet, venter op til 10 minutter på en anden kørsel og "
                   "skriver alt, også fejl, i OUTPUT/.pipeline/nightly.log.")
@click.pass_context
def build(ctx: click.Context, plans, output, templates, year, force, jobs, wait, quiet, verbose,
          log_file, today, reopen, nightly) -> None:
    """Byg alle dokumenter for planerne ind i outputmappen."""
    from pipeline.cli.progress import Progress
    from pipeline.engine.build import build as run_build
    from pipeline.engine.options import BuildOptions

    ctx.meta["verbose"] = verbose
    if nightly:
        quiet = True
        if ctx.get_parameter_source("wait") is click.core.ParameterSource.DEFAULT:
            wait = NIGHTLY_WAIT
        log_file = log_file or output / ".pipeline" / "nightly.log"
    progress = Progress(quiet=quiet, verbose=verbose, log_file=log_file)
    try:
        report = run_build(BuildOptions(
            plans=tuple(plans), output=output, templates=templates, year=year, force=force,
            jobs=jobs or os.cpu_count() or 1, wait=wait, today=today.date() if today else None,
            reopen=tuple(reopen),
        ), progress)
    except BaseException as error:  # the log tells every run's story, also one that stops
        progress.stopped(error)
        raise
    progress.summary(report)
    ctx.exit(report.exit_code)


@cli.command()
@PLAN_ARGUMENT
@YEAR_OPTION
@click.option("--mark", is_flag=True,
              help="Gem også en kopi af hver plan med fejl, »<plan> (fejl markeret).xlsx«, hvor "
                   "cellerne med fejl er røde og har en kommentar. Planen selv ændres ikke.")
@VERBOSE_OPTION
def validate(plans, year, mark) -> None:
    """Læs og kontrollér planerne, og vis alle fejl. Uden --mark skrives intet."""
    from pipeline.documents.planning import plan_documents
    from pipeline.source.plans import find_plans, load_plans, read_plan_files

    files = find_plans(plans)
    try:
        loaded = load_plans(read_plan_files(files), year)
        plan_documents(loaded)  # two plans that would write one file
    except InputError as error:
        if mark:
            from pipeline.source.mark import mark_plans

            for marked in mark_plans(files, error.problems):
                error.add_note(str(marked))  # printed after the problems
        raise
    for plan in loaded:
        click.echo(f"{plan.file}: {len(plan.activities)} aktiviteter i {plan.year} – ingen fejl fundet.")


@cli.command(name="new-plan")
@click.argument("year", type=click.IntRange(1900, 2200), metavar="ÅÅÅÅ")
@VERBOSE_OPTION
def new_plan(year) -> None:
    """Lav en ny, tom plan for året ÅÅÅÅ: input/implementeringsplan_ÅÅÅÅ.xlsx.

    Regnearket har rullelister til Status, Dokumenttype og udvalg, udvalgsregistret og en
    vejledning. En eksisterende fil bliver aldrig overskrevet.
    """
    from pipeline.source.newplan import register_in_use, write_new_plan
    from pipeline.source.plans import INPUT

    path = write_new_plan(INPUT, year, register_in_use())
    click.echo(f"Ny plan: {path}. Åbn den i Excel, og udfyld arket Plan (se arket Vejledning).")


@cli.command(name="list")
@PLAN_ARGUMENT
@OUTPUT_OPTION
@TEMPLATES_OPTION
@YEAR_OPTION
@TODAY_OPTION
@VERBOSE_OPTION
def list_documents(plans, output, templates, year, today) -> None:
    """Vis de dokumenter, en kørsel vil lave eller fjerne, og om hvert er opdateret."""
    from pipeline.engine.listing import document_states
    from pipeline.engine.options import BuildOptions

    def warn(message: str) -> None:
        click.echo(f"Advarsel: {message}", err=True)

    options = BuildOptions(plans=tuple(plans), output=output, templates=templates, year=year,
                           today=today.date() if today else None)
    for state in document_states(options, warn):
        click.echo(f"{state.path}  ({state.reason})")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="FIL...")
@OUTPUT_OPTION
@TEMPLATES_OPTION
@YEAR_OPTION
@VERBOSE_OPTION
def accept(files, output, templates, year) -> None:
    """Gør filen, som den er nu, til den gældende udgave af sit dokument.

    En "(ny version)"-fil får dokumentets eget navn, og den hidtidige fil gemmes som
    "(erstattet)". Pipelinen lader den godkendte fil være, til dokumentets data eller skabelon
    ændres igen; så skrives en ny version ved siden af.
    """
    from pipeline.engine.accept import accept as run_accept
    from pipeline.engine.options import BuildOptions

    for line in run_accept(tuple(files), BuildOptions(output=output, templates=templates, year=year)):
        click.echo(line)


@cli.command()
@OUTPUT_OPTION
@TODAY_OPTION
@VERBOSE_OPTION
def clean(output, today) -> None:
    """Slet de filer i outputmappen, pipelinen har skrevet, og som ingen har ændret.

    Dokumenter til holdte møder, filer rettet i hånden og filer, pipelinen ikke har skrevet,
    bevares; kommandoen siger hvilke. (Det er det, `make clean` gør med outputmappen.)
    """
    from pipeline.engine.accept import clean as run_clean
    from pipeline.engine.options import copenhagen_today
    from pipeline.engine.rules import Rules

    result = run_clean(output, Rules(today.date() if today else copenhagen_today()))
    click.echo(f"Slettet {len(result.removed)} fil(er), som pipelinen har skrevet.")
    for path, why in result.kept.items():
        click.echo(f"bevaret: {path} ({why})")


@cli.command(name="check-templates")
@TEMPLATES_OPTION
@click.option("--preview", type=click.Path(path_type=Path), metavar="MAPPE", default=None,
              help="Lav også ét eksempel på hvert dokument i MAPPE (.docx, .pdf, .html) med planen i "
                   "input/ eller eksempeldata; aldrig i outputmappen.")
@click.option("-o", "--output", type=click.Path(path_type=Path), metavar="MAPPE", default=Path("output"),
              help="Outputmappen, som --preview ikke må skrive i (standard: output).")
@VERBOSE_OPTION
def check_templates(templates, preview, output) -> None:
    """Kontrollér skabelonerne: blokke, syntaks, ukendte variabler, krøllede anførselstegn og delte tags."""
    from pipeline.render.lint.check import check_templates as run_check

    if preview is not None:
        from pipeline.engine.preview import refuse_folder

        refuse_folder(preview, output, templates)
    if problems := run_check(templates):
        raise TemplateError(f"{len(problems)} problem(er) i skabelonerne i {templates}:\n" + "\n".join(problems))
    click.echo(f"Skabelonerne i {templates} er i orden.")
    if preview is not None:
        from pipeline.engine.preview import write_preview

        written = write_preview(preview, templates, output)
        if written.note:
            click.echo(written.note)
        for path in written.files:
            click.echo(f"Eksempel skrevet: {path}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="pipeline")
