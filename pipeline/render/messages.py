"""Jinja's English error texts, said in Danish with what to do about them.

Every message Jinja's lexer, parser, compiler and runtime can give for a template a person
writes has a Danish counterpart here; anything unforeseen becomes a general Danish sentence,
so no English reaches a case officer.

Both stages that meet Jinja's errors use it: the renderers (`word.py`, `overview.py`) say why
a document could not be filled in with `describe_error`, and the template linter (`lint/`)
explains a syntax error with `explain` and offers the closest name with `suggest`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable

from jinja2.exceptions import SecurityError, TemplateError

SMART_QUOTES = "„“”‘’‚"
# How Jinja names the pieces of a tag in its messages (`describe_token`).
_TOKENS = {
    "end of print statement": '"}}"',
    "begin of print statement": '"{{"',
    "end of statement block": '"%}"',
    "begin of statement block": '"{%"',
    "end of comment": '"#}"',
    "begin of comment": '"{#"',
    "end of template": "slutningen af skabelonen",
    "template data / text": "almindelig tekst",
    "comment": "en kommentar",
    "name": "et navn",
    "string": "en tekst i anførselstegn",
    "integer": "et tal",
    "float": "et tal",
}
_UNSAFE = re.compile(r"access to attribute '(?P<name>[^']*)' of '[^']*' object is unsafe")
FIX_SYNTAX = "ret tagget, så det skrives som i README, fx {{ udvalg.navn }} eller {%p if sagsnr %}"


def token(description: str) -> str:
    """Return Jinja's name for a piece of a tag in Danish: `end of print statement` → `"}}"`."""
    return _TOKENS.get(description, f'"{description}"')


def suggest(name: str, known: Iterable[object]) -> str:
    """Return `mente du "x"?` for the known name closest to `name`, or "" when none is close."""
    close = difflib.get_close_matches(name, [str(k) for k in known], n=1, cutoff=0.6)
    return f'mente du "{close[0]}"?' if close else ""


_KNOWN_TAGS = ("if", "elif", "else", "endif", "for", "endfor", "set", "endset", "macro", "endmacro",
               "call", "endcall", "filter", "endfilter", "with", "endwith", "block", "endblock",
               "raw", "endraw", "autoescape", "endautoescape", "include", "import", "from", "extends")


def _unknown_tag(name: str) -> tuple[str, str]:
    if name in ("p", "tr", "tc", "r"):
        return (f'"{name}" står med mellemrum efter "{{%"',
                f'skriv "{{%{name}" uden mellemrum, fx "{{%{name} if … %}}"')
    if name in _KNOWN_TAGS:
        return (f'"{name}" står et sted, hvor der ikke er nogen blok at afslutte eller fortsætte',
                "slet tagget, eller tilføj den manglende begyndelse ({%p if … %} eller {%p for … %})")
    return (f'ukendt tag "{name}"', suggest(name, _KNOWN_TAGS)
            or "kendte tags er bl.a. if, elif, else, endif, for, endfor og set")


def _unexpected(what: str) -> tuple[str, str]:
    if what in ("end of print statement", "end of statement block"):
        return (f"tagget slutter ({token(what)}), før udtrykket i det er færdigt",
                "fjern det tegn, der står for meget, eller skriv det, der mangler")
    if what == "end of template":
        return "skabelonen slutter midt i et tag", "afslut tagget med }} eller %}"
    return (f'{token(what)} står et sted, hvor det ikke kan stå',
            "fjern det, eller ret udtrykket omkring det")


# (pattern, what is wrong, how to fix it); `what`/`fix` may use the pattern's groups.
_RULES: list[tuple[re.Pattern, Callable[[re.Match], tuple[str, str]]]] = [
    (re.compile(r"unexpected char (['\"])(.)\1 at \d+"), lambda m: (
        f'tegnet "{m[2]}" kan ikke bruges i et tag'
        + (" (et typografisk anførselstegn)" if m[2] in SMART_QUOTES else "")
        + (" (en tekst i anførselstegn afsluttes ikke)" if m[2] in "'\"" else ""),
        "skriv almindelige \" eller ' i stedet" if m[2] in SMART_QUOTES else
        "afslut teksten med samme slags anførselstegn" if m[2] in "'\"" else "fjern tegnet, eller ret det")),
    (re.compile(r"unexpected '(.+)', expected '(.+)'"), lambda m: (
        f'der står "{m[1]}", hvor der skulle have stået "{m[2]}" (parenteserne passer ikke sammen)',
        "ret parenteserne, så hver ( [ { lukkes af sin egen ) ] }")),
    (re.compile(r"unexpected end of template, expected '(.+)'"), lambda m: (
        f"skabelonen slutter, før der kommer {token(m[1])}", "afslut tagget")),
    (re.compile(r"expected token '(.+)', got '(.+)'"), lambda m: (
        f"der skulle stå {token(m[1])}, men der står {token(m[2])}", FIX_SYNTAX)),
    (re.compile(r"Encountered unknown tag '(\w+)'"), lambda m: _unknown_tag(m[1])),
    (re.compile(r"Unexpected end of template"), lambda m: (
        "et {% for %} eller {% if %} afsluttes aldrig", "tilføj det manglende {%p endfor %} eller {%p endif %}")),
    (re.compile(r"unexpected '(.+)'"), lambda m: _unexpected(m[1])),
    (re.compile(r"tag name expected"), lambda m: (
        'der mangler et ord efter "{%"', "skriv fx if, for, else eller endif efter {%")),
    (re.compile(r"expected name or number"), lambda m: (
        "der mangler et feltnavn efter punktummet", "skriv feltets navn, fx {{ udvalg.navn }}")),
    (re.compile(r"expected subscript expression"), lambda m: (
        "der mangler noget mellem [ og ]", "skriv et tal eller et navn i klammerne, fx spoergsmaal[0]")),
    (re.compile(r"Expected an expression, got '(.+)'"), lambda m: (
        f"der mangler et udtryk før {token(m[1])}", "skriv variablen, fx {{ tema }}")),
    (re.compile(r"Invalid character in identifier"), lambda m: (
        "et navn indeholder et tegn, som navne ikke kan indeholde",
        "brug kun a–z, 0–9 og _ i navne (variablerne staves uden æ, ø og å, fx spoergsmaal)")),
    (re.compile(r"can't assign to '(\w+)'"), lambda m: (
        "der kan ikke sættes en værdi på dette udtryk", "brug fx {% set navn = … %}")),
    (re.compile(r"invalid syntax for function call expression"), lambda m: (
        "et funktionskald er skrevet forkert", FIX_SYNTAX)),
    (re.compile(r"You cannot chain multiple tests with is"), lambda m: (
        'der må kun stå ét "is" ad gangen', 'del testen op med "and"')),
    (re.compile(r"No filter named '(\w+)'"), lambda m: (
        f'ukendt filter "{m[1]}"', "ret filterets navn; filtrene står i README under Skabelonvariabler")),
    (re.compile(r"No test named '(\w+)'"), lambda m: (
        f'ukendt test "{m[1]}"', "ret testens navn, fx defined, none eller number")),
    (re.compile(r"block '(\w+)' defined twice"), lambda m: (
        f'blokken "{m[1]}" findes to gange', "giv den ene blok et andet navn")),
    (re.compile(r"Can't assign to special loop variable"), lambda m: (
        '"loop" kan ikke bruges som navn i en løkke', "vælg et andet navn, fx {%p for r in … %}")),
    (re.compile(r"Block names in Jinja have to be valid"), lambda m: (
        "et bloknavn må ikke indeholde bindestreg", "brug _ i stedet for -")),
    (re.compile(r"non-default argument follows default argument"), lambda m: (
        "en makro har argumenter uden standardværdi efter argumenter med", "flyt argumenterne")),
    (re.compile(r"names starting with an underline"), lambda m: (
        "navne må ikke begynde med _", "giv det et navn uden _ forrest")),
    (re.compile(r"Missing end of comment tag"), lambda m: (
        'en kommentar "{#" afsluttes aldrig', 'afslut kommentaren med "#}"')),
    (re.compile(r"Missing end of raw directive"), lambda m: (
        "{% raw %} afsluttes aldrig", "tilføj {% endraw %}")),
    (re.compile(r"escape|unicode error", re.IGNORECASE), lambda m: (
        "en tekst i anførselstegn har en ugyldig \\-kode", "fjern \\ fra teksten, eller skriv \\\\")),
    (re.compile(r"'(\w+)' is undefined"), lambda m: (
        f'ukendt variabel "{m[1]}"', "ret navnet; variablerne står i README under Skabelonvariabler")),
    (re.compile(r"'list object' has no attribute '(.+)'"), lambda m: (
        f'ukendt felt "{m[1]}" (på en liste)', "gå listen igennem med {%p for … %}, eller vælg ét element, fx [0]")),
    (re.compile(r"'.+' has no attribute '(.+)'"), lambda m: (
        f'ukendt felt "{m[1]}"', "ret feltets navn; felterne står i README under Skabelonvariabler")),
    (re.compile(r"has no element (.+)"), lambda m: (
        f"listen har intet element nummer {m[1]} (den er tom eller kortere)",
        "gå listen igennem med {%p for … %}, eller tjek først dens længde med {%p if … %}")),
]


def explain(message: str) -> tuple[str, str]:
    """Return (what is wrong, how to fix it) in Danish for one of Jinja's messages."""
    for pattern, describe in _RULES:
        if match := pattern.search(message):
            return describe(match)
    return "skabelonkoden kan ikke læses her", FIX_SYNTAX


def describe_error(error: TemplateError) -> str:
    """Return what is wrong with a template, in Danish, for a Jinja error."""
    message = getattr(error, "message", None) or str(error)
    if isinstance(error, SecurityError):  # the sandbox refused Python internals or changing data
        match = _UNSAFE.search(message)
        what = f'"{match["name"]}" er ikke tilladt' if match else "skabelonen forsøger noget, som ikke er tilladt"
        return f"{what} i en skabelon; en skabelon kan kun vise pipelinens variabler med dens filtre"
    return explain(message)[0]
