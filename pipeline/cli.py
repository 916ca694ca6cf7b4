"""The command line: each command turns its options into one library call.

Heavy libraries (pandas, docxtpl, WeasyPrint) are imported by the library functions that need
them, never here, so `pipeline --help` starts at once.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path

import click

from pipeline import __version__
from pipeline.errors import InputError, PipelineError, TemplateError

PLAN_ARGUMENT = click.argument("plans", nargs=-1, type=click.Path(path_type=Path), metavar="[PLAN]...")
YEAR_OPTION = click.option("--year", type=click.IntRange(1900, 2200), metavar="ÅÅÅÅ",
                           help="Planens år, når hverken kolonnen År eller filnavnet angiver det.")
TEMPLATES_OPTION = click.option("-t", "--templates", type=click.Path(path_type=Path), metavar="MAPPE",
                                default=Path("templates"), help="Mappen med skabelonerne (standard: templates).")
OUTPUT_OPTION = click.option("-o", "--output", type=click.Path(path_type=Path), metavar="MAPPE",
                             default=Path("output"), help="Mappen, dokumenterne skrives i (standard: output).")
VERBOSE_OPTION = click.option("-v", "--verbose", is_flag=True,
                              help="Vis teknisk fejlinfo, hvis der sker en uventet fejl.")


class _DanishHelp(click.HelpFormatter):
    """Click's help layout with Danish headings."""

    HEADINGS = {"Options": "Tilvalg", "Commands": "Kommandoer", "Arguments": "Argumenter"}

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "Brug: " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(self.HEADINGS.get(heading, heading))


class _Context(click.Context):
    formatter_class = _DanishHelp


class _DanishCommand(click.Command):
    """A command whose help (headings and the --help option itself) is in Danish."""

    context_class = _Context

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[TILVALG]")
        super().__init__(*args, **kwargs)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "Vis denne hjælp og afslut."
        return option


class _Group(_DanishCommand, click.Group):
    """Turns the library's errors into a Danish message and an exit code, in one place."""

    command_class = _DanishCommand

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PipelineError as error:
            _print_error(error)
            ctx.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as error:  # a bug: say so plainly; the traceback only on request
            if ctx.meta.get("verbose") or os.environ.get("PIPELINE_DEBUG"):
                traceback.print_exc()
            click.echo(f"Uventet fejl i pipelinen ({type(error).__name__}: {error}). "
                       "Kør igen med --verbose og send teksten til udviklerne.", err=True)
            ctx.exit(1)


def _print_error(error: PipelineError) -> None:
    if isinstance(error, InputError):
        for problem in error.problems:
            click.echo(f"Fejl: {problem}", err=True)
        count = len(error.problems)
        click.echo(f"{count} fejl fundet. Ret regnearket og prøv igen; intet er skrevet."
                   if count > 1 else "Ret regnearket og prøv igen; intet er skrevet.", err=True)
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
    2 fejl i regnearket, skabelonerne eller kommandoen (intet blev skrevet);
    3 en anden kørsel er i gang.
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
@click.pass_context
def build(ctx: click.Context, plans, output, templates, year, force, jobs, wait, quiet, verbose,
          log_file) -> None:
    """Byg alle dokumenter for planerne ind i outputmappen."""
    from pipeline.build import BuildOptions, build as run_build
    from pipeline.progress import Progress

    ctx.meta["verbose"] = verbose
    progress = Progress(quiet=quiet, verbose=verbose, log_file=log_file)
    report = run_build(BuildOptions(
        plans=tuple(plans), output=output, templates=templates, year=year, force=force,
        jobs=jobs or os.cpu_count() or 1, wait=wait,
    ), progress)
    progress.summary(report)
    ctx.exit(report.exit_code)


@cli.command()
@PLAN_ARGUMENT
@YEAR_OPTION
@VERBOSE_OPTION
@click.pass_context
def validate(ctx: click.Context, plans, year, verbose) -> None:
    """Læs og kontrollér planerne, vis alle fejl, og skriv intet."""
    from pipeline.build import find_plans, load_plans

    ctx.meta["verbose"] = verbose
    loaded = load_plans(find_plans(plans), year)
    for plan in loaded:
        click.echo(f"{plan.file}: {len(plan.activities)} aktiviteter i {plan.year} – ingen fejl fundet.")


@cli.command(name="list")
@PLAN_ARGUMENT
@OUTPUT_OPTION
@TEMPLATES_OPTION
@YEAR_OPTION
@VERBOSE_OPTION
@click.pass_context
def list_documents(ctx: click.Context, plans, output, templates, year, verbose) -> None:
    """Vis de dokumenter, en kørsel vil lave, og om hvert er opdateret."""
    from pipeline.build import document_states

    ctx.meta["verbose"] = verbose
    for state in document_states(tuple(plans), output, templates, year):
        click.echo(f"{state.path}  ({state.reason})")


@cli.command(name="check-templates")
@TEMPLATES_OPTION
@click.option("--preview", type=click.Path(path_type=Path), metavar="MAPPE", default=None,
              help="Lav også ét eksempel på hvert dokument i MAPPE (.docx, .pdf, .html) med planen i "
                   "input/ eller eksempeldata; aldrig i outputmappen.")
@click.option("-o", "--output", type=click.Path(path_type=Path), metavar="MAPPE", default=Path("output"),
              help="Outputmappen, som --preview ikke må skrive i (standard: output).")
@VERBOSE_OPTION
@click.pass_context
def check_templates(ctx: click.Context, templates, preview, output, verbose) -> None:
    """Kontrollér skabelonerne: blokke, syntaks, ukendte variabler, krøllede anførselstegn og delte tags."""
    from pipeline.check import check_templates as run_check

    ctx.meta["verbose"] = verbose
    if preview is not None:
        from pipeline.preview import refuse_folder

        refuse_folder(preview, output, templates)
    if problems := run_check(templates):
        raise TemplateError(f"{len(problems)} problem(er) i skabelonerne i {templates}:\n" + "\n".join(problems))
    click.echo(f"Skabelonerne i {templates} er i orden.")
    if preview is not None:
        from pipeline.preview import write_preview

        written = write_preview(preview, templates, output)
        if written.note:
            click.echo(written.note)
        for path in written.files:
            click.echo(f"Eksempel skrevet: {path}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="pipeline")
