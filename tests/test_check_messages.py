"""What the checker says: where, what is wrong and what to do, in Danish only; and it never crashes."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from jinja2 import TemplateSyntaxError

from pipeline.cli.app import cli
from pipeline.render.lint.check import check_templates
from pipeline.render.lint.tags import AUTOCORRECT
from pipeline.render.messages import explain
from pipeline.render.templating import environment

from word_edits import (
    DISCUSSION,
    ORIENTATION,
    comment,
    copy_templates,
    retype,
    split_formatted,
    track_deletion,
    track_insertion,
)

# Words and phrases of Jinja's English messages (lexer, parser, compiler, runtime); none may reach a
# case officer. The generated templates never contain them, so they are looked for everywhere.
ENGLISH = re.compile(
    r"unexpected|expected|token|statement|Encountered|is undefined|has no (attribute|element)|end of|"
    r"unexpected char|Missing end|Invalid character|identifier|can't assign|invalid syntax|You cannot|"
    r"named '|defined twice|innermost|Jinja|got '|escape|unicode error|Block names|non-default|underline",
    re.IGNORECASE)


def danish_only(message: str) -> bool:
    """True when none of Jinja's English is in `message`."""
    return not ENGLISH.search(message)


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    return copy_templates(tmp_path / "templates")


@pytest.mark.parametrize("code", [
    "{{ spoergsmaal[0] }}", "{{ indsatser[0].navn }}", "{{ bilag[0].titel|upper }}", "{{ bilag[0]['titel'] }}",
    "{{ spoergsmaal[1:]|join(', ') }}", "{{ spoergsmaal[-1] }}", "{{ (bilag|first).titel }}",
    "{{ indsatser|map(attribute='navn')|join(', ') }}", "{{ udvalg['navn']|replace('-', ' ')|truncate(20) }}",
    "{{ andre_udvalg[0].udvalg.navn|default('–') }}", "{{ spoergsmaal[aar % 2] }}",
    "{{ bilag|selectattr('nummer')|map(attribute='titel')|first }}", "{{ (spoergsmaal|sort)[0]|length }}",
])
def test_indexes_slices_and_filters_with_arguments_are_accepted(templates, code):
    retype(templates / DISCUSSION, "{{ q }}", code)
    assert check_templates(templates) == []
    result = CliRunner().invoke(cli, ["check-templates", "-t", str(templates)])
    assert (result.exit_code, result.output) == (0, f"Skabelonerne i {templates} er i orden.\n")


def test_fields_behind_an_index_are_still_checked(templates):
    retype(templates / DISCUSSION, "{{ q }}", "{{ indsatser[0].navnet }} og {{ bilag.titel }}")
    assert check_templates(templates) == [
        'droeftelse.docx, under overskriften "Spørgsmål til drøftelse", afsnit 28: "indsatser[0]" har intet felt '
        '"navnet" i "{{ indsatser[0].navnet }} og"; mente du "navn"?',
        'droeftelse.docx, under overskriften "Spørgsmål til drøftelse", afsnit 28: "bilag" er en liste, så den har '
        'intet felt "titel" i "og {{ bilag.titel }}"; gå listen igennem med en løkke, fx {%p for x in bilag %} … '
        "{{ x.titel }} … {%p endfor %}, eller vælg ét element: bilag[0].titel"]


def test_a_syntax_error_quotes_its_own_tag_not_the_neighbour(templates):
    retype(templates / ORIENTATION, "Implementeringsplanen for {{ aar }} beskriver, hvordan visionen gøres kendt og "
           "omsættes til handling: i organisationen, i dialogen med borgerne og i det politiske udvalgsarbejde.",
           "Planen for {{ aar }} og {{ aar + }} gælder.")
    assert check_templates(templates) == [
        'orienteringssag.docx, under overskriften "Baggrund", afsnit 16: tagget "{{ aar + }}" kan ikke læses: '
        'tagget slutter ("}}"), før udtrykket i det er færdigt; fjern det tegn, der står for meget, eller skriv '
        "det, der mangler"]


def test_danish_quotes_are_named_once_with_how_to_stop_autocorrect(templates):
    retype(templates / DISCUSSION, "{%p if spoergsmaal %}", "{%p if udvalg.forkortelse == „BSU“ %}")
    retype(templates / DISCUSSION, "{{ q }}", "{{ q|replace(“?”, “.”) }}")
    first, second = check_templates(templates)
    assert first == (
        'droeftelse.docx, under overskriften "Udvalgte indsatser", afsnit 25: tagget '
        '"{%p if udvalg.forkortelse == „BSU“ %}" har typografiske anførselstegn (fx „ eller ”), som Word har sat '
        "ind, og dem kan skabelonkoden ikke læse; skriv almindelige \" eller ' i stedet. Så Word ikke krøller dem "
        "igen: Filer → Indstillinger → Korrektur → Autokorrekturindstillinger → Autoformat under skrivning → fjern "
        'fluebenet ved "Lige anførselstegn med typografiske anførselstegn"')
    assert first.count("„BSU“") == 1 and "5883" not in first and danish_only(first)
    assert second.startswith('droeftelse.docx, under overskriften "Spørgsmål til drøftelse", afsnit 28: tagget '
                             '"{{ q|replace(“?”, “.”) }}" har typografiske')
    assert AUTOCORRECT not in second  # said once


def test_a_split_tag_among_identical_ones_is_located(templates):
    # "{{ udvalg.navn }}" is in the header, afsnit 1, 9 and 51; the one in afsnit 51 is split.
    split_formatted(templates / ORIENTATION, "{{ udvalg.navn }}", 8, bold=True)
    (message,) = check_templates(templates)
    assert message.startswith('orienteringssag.docx, afsnit 1: tagget "{{ udvalg.navn }}" er delt')
    copy_templates(templates)
    document = docx.Document(str(templates / ORIENTATION))
    paragraph = [p for p in document.paragraphs if p.text == "{{ udvalg.navn }}"][1]
    paragraph.runs[0].text = "{{ udvalg."
    paragraph.add_run("navn }}").italic = True
    document.save(str(templates / ORIENTATION))
    assert check_templates(templates) == [
        'orienteringssag.docx, under overskriften "Beslutningen træffes af", afsnit 51: tagget "{{ udvalg.navn }}" '
        "er delt i flere stykker i Word, fordi dele af det har forskellig formatering (fx fed, kursiv eller en "
        "anden skrifttype); markér hele tagget, og fjern formateringen med Ctrl+Mellemrum, eller slet det og skriv "
        "det igen i ét stræk"]


def test_a_tag_in_a_tracked_insertion(templates):
    track_insertion(templates / DISCUSSION, "{{ tema }}")
    assert check_templates(templates) == [
        'droeftelse.docx, afsnit 7: tagget "{{ tema }}" står i en registreret ændring (Spor ændringer), som ikke er '
        "godkendt, så ændringsmarkeringen ville komme med i hvert dokument; godkend ændringen (Gennemse → "
        "Acceptér), og slå Spor ændringer fra, før skabelonen gemmes"]


def test_a_tag_in_a_tracked_deletion_is_still_live(templates):
    track_deletion(templates / DISCUSSION, "Sagen har ingen økonomiske konsekvenser.", "{{ udvalg.navn }}")
    assert check_templates(templates) == [
        'droeftelse.docx, under overskriften "Økonomiske konsekvenser og finansiering", afsnit 38: tagget '
        '"{{ udvalg.navn }}" er slettet med Spor ændringer, men sletningen er ikke godkendt, så tagget bliver '
        "stadig udfyldt; godkend sletningen (Gennemse → Acceptér), og slå Spor ændringer fra, før skabelonen gemmes"]


def test_a_tag_in_a_comment(templates):
    comment(templates / DISCUSSION, "{{ tema }}", "Her kunne stå {{ udvalg.navn }}")
    assert check_templates(templates) == [
        'droeftelse.docx, afsnit 7: kommentaren "Her kunne stå {{ udvalg.navn }}" indeholder skabelonkode, men '
        "kommentarer bliver ikke udfyldt, og de kommer med i hvert dokument; skriv tagget i selve teksten, og slet "
        "kommentaren (Gennemse → Slet)"]


def test_a_comment_that_begins_inside_a_tag(templates):
    comment(templates / DISCUSSION, "{{ tema }}", "Titlen skal være kort", split_at=5)
    assert check_templates(templates) == [
        'droeftelse.docx, afsnit 7: tagget "{{ tema }}" er delt i flere stykker i Word, fordi en kommentar '
        "begynder eller slutter midt i det; flyt kommentaren, så den dækker hele tagget eller slet ikke, eller "
        "slet den"]


def test_a_comment_without_tags_is_fine(templates):
    comment(templates / DISCUSSION, "{{ tema }}", "Titlen skal være kort")
    assert check_templates(templates) == []


# Broken tags as people type them; each must get a Danish explanation of its own.
BROKEN = ["{{ aar + }}", "{{ tema | }}", "{{ (aar }}", "{{ aar ) }}", "{{ 'x }}", "{% %}", "{% if %}",
          "{{ udvalg. }}", "{% for loop in bilag %}{% endfor %}",
          "{{ aar is number is number }}", "{{ '\\x' }}", "{{ aar aar }}", "{% set 1 = 2 %}",
          "{{ range(a=1, 2) }}", "{{ „x“ }}", "{{ aar ] }}", "{% endfor %}", "{% p if aar %}{% endif %}",
          "{% if aar %}{% endfor %}", "{# ikke afsluttet", "{% raw %}abc", "{% block a-b %}{% endblock %}",
          "{% macro m(a=1, b) %}{% endmacro %}"]


@pytest.mark.parametrize("code", BROKEN)
def test_every_jinja_error_is_explained_in_danish(code):
    with pytest.raises(TemplateSyntaxError) as raised:
        environment().compile(code)
    what, fix = explain(raised.value.message or "")
    assert what != "skabelonkoden kan ikke læses her", raised.value.message  # a specific explanation
    assert danish_only(f"{what}; {fix}"), (raised.value.message, what)


@pytest.mark.parametrize("code", [*BROKEN, "{{ spoergsmaal[] }}"])
def test_every_broken_tag_gets_a_located_danish_message(templates, code):
    retype(templates / DISCUSSION, "{{ q }}", code)
    (templates / "oversigt.html").write_text(f"<p>\n{code}\n</p>\n", encoding="utf-8")
    messages = check_templates(templates)
    assert [m.split(",")[0] for m in messages][:1] == [DISCUSSION]
    assert any(m.startswith("oversigt.html, linje 2") for m in messages), messages
    for message in messages:
        assert danish_only(message), message
        assert re.match(r"(droeftelse\.docx, .*(afsnit|række) \d+|oversigt\.html, linje \d): ", message), message
