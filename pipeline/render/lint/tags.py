"""Check each tag as the user wrote it: how Word stored it, and whether Jinja can read it alone.

Word can store a tag in ways that break it without showing anything on screen: curled quotes,
a tag split over runs (formatting, a bookmark, a comment …), a tag inside a tracked change.
A tag may also never be finished, or be code Jinja cannot parse. Each tag is parsed on its own
(a lone block tag with a stand-in for the rest of its block), so a syntax error names its own tag.
"""

from __future__ import annotations

import re

from jinja2 import Environment, nodes
from jinja2.exceptions import TemplateSyntaxError

from pipeline.render.lint.model import BRANCHES, OPENER, SPLIT_CAUSES, TAG, Paragraph, Source, Tag, clip, opens_block
from pipeline.render.lint.report import Report, around
from pipeline.render.messages import SMART_QUOTES, explain

AUTOCORRECT = ("Så Word ikke krøller dem igen: Filer → Indstillinger → Korrektur → "
               "Autokorrekturindstillinger → Autoformat under skrivning → fjern fluebenet ved "
               '"Lige anførselstegn med typografiske anførselstegn"')
# Why a tag was split (one of SPLIT_CAUSES), and what to do about it.
_SPLIT = {
    "tracked": ("en del af det er en registreret ændring (Spor ændringer)",
                "godkend ændringerne (Gennemse → Acceptér), og skriv tagget igen i ét stræk"),
    "comment": ("en kommentar begynder eller slutter midt i det",
                "flyt kommentaren, så den dækker hele tagget eller slet ikke, eller slet den"),
    "field": ("en del af det er et felt (fx en dato eller et sidetal)",
              "slet tagget, og skriv det igen i ét stræk som almindelig tekst"),
    "container": ("en del af det er et link eller et indholdskontrolelement",
                  "slet tagget, og skriv det igen i ét stræk uden for linket eller kontrolelementet"),
    "bookmark": ("et bogmærke begynder eller slutter midt i det",
                 "slet tagget, og skriv det igen i ét stræk (bogmærket kan sættes bagefter)"),
    "format": ("dele af det har forskellig formatering (fx fed, kursiv eller en anden skrifttype)",
               "markér hele tagget, og fjern formateringen med Ctrl+Mellemrum, eller slet det og "
               "skriv det igen i ét stræk"),
    "proof": ("stave- eller grammatikkontrollen har markeret en del af det",
              "slet tagget, og skriv det igen i ét stræk"),
    "runs": ("Word har gemt det i flere stykker (det sker, når et tag rettes i flere omgange)",
             "slet tagget, og skriv det igen i ét stræk uden at formatere midt i det"),
}
_CLOSING = {"{{": "}}", "{%": "%}", "{#": "#}"}
# What to put around a lone block tag so that Jinja can parse it on its own.
_OPEN_FOR = {"for": "{% for x in y %}", "if": "{% if x %}", "macro": "{% macro x() %}",
             "call": "{% call x() %}", "filter": "{% filter upper %}", "block": "{% block x %}",
             "with": "{% with %}", "autoescape": "{% autoescape true %}", "set": "{% set x %}"}


def check_tags(source: Source, report: Report, env: Environment) -> bool:
    """Report curled quotes, split, unfinished and tracked tags and tags Jinja cannot read.

    Returns True when a block tag cannot be read, so its blocks cannot be paired up.
    """
    broken, raw = False, False
    for paragraph in source.paragraphs:
        covered = []
        for match in TAG.finditer(paragraph.text):
            tag = Tag(match.group(), paragraph, match.start(), match.end())
            covered.append((tag.start, tag.end))
            if tag.keyword == "raw" or raw:  # text inside {% raw %} is not code
                raw = tag.keyword != "endraw"
                continue
            if not _as_written(tag, report):
                broken |= not _readable(tag, report, env) and tag.text.startswith("{%")
        broken |= _unfinished(paragraph, covered, report)
    return broken


def _unfinished(paragraph: Paragraph, covered: list[tuple[int, int]], report: Report) -> bool:
    """Report each tag begun outside the `covered` spans of whole tags; True if there is one."""
    found = False
    for match in OPENER.finditer(paragraph.text):
        if any(start <= match.start() < end for start, end in covered):
            continue
        found = True
        where = "i samme afsnit" if paragraph.word else ""
        report.say(paragraph.place_at(match.start()),
                   f'tagget, der begynder med "{match.group()}" i '
                   f'"{around(paragraph.text, match.start(), len(paragraph.text))}", slutter '
                   + (f"ikke {where}" if where else "aldrig"),
                   f'skriv hele tagget færdigt (med "{_CLOSING[match.group()]}") {where}'.rstrip())
    return found


def _as_written(tag: Tag, report: Report) -> bool:
    """Report how Word stored the tag (tracked change, split, curled quotes); True if reported."""
    paragraph = tag.paragraph
    tracked = {change for start, end, change in paragraph.tracked if start < tag.end and tag.start < end}
    if "del" in tracked:
        report.say(tag, f'tagget "{tag.text}" er slettet med Spor ændringer, men sletningen er ikke '
                        "godkendt, så tagget bliver stadig udfyldt",
                   "godkend sletningen (Gennemse → Acceptér), og slå Spor ændringer fra, før skabelonen gemmes")
        return True
    if "ins" in tracked:
        report.say(tag, f'tagget "{tag.text}" står i en registreret ændring (Spor ændringer), som ikke er '
                        "godkendt, så ændringsmarkeringen ville komme med i hvert dokument",
                   "godkend ændringen (Gennemse → Acceptér), og slå Spor ændringer fra, før skabelonen gemmes")
        return True
    causes = [cause for offset, cause in paragraph.breaks if tag.start < offset < tag.end]
    if causes:
        why, fix = _SPLIT[min(causes, key=SPLIT_CAUSES.index)]
        report.say(tag, f'tagget "{tag.text}" er delt i flere stykker i Word, fordi {why}', fix)
        return True
    if any(quote in tag.text for quote in SMART_QUOTES):
        fix = "skriv almindelige \" eller ' i stedet"
        if report.first_time("autocorrect"):
            fix += f". {AUTOCORRECT}"
        report.say(tag, f'tagget "{tag.text}" har typografiske anførselstegn (fx „ eller ”), som Word har '
                        "sat ind, og dem kan skabelonkoden ikke læse", fix)
        return True
    return False


def _readable(tag: Tag, report: Report, env: Environment) -> bool:
    """Report a tag Jinja cannot parse on its own; True when it can."""
    if tag.text.startswith("{#"):
        return True
    if not tag.paragraph.word and re.match(r"\{[%{](tr|tc|p|r) ", tag.text):
        report.say(tag, f'tagget "{tag.text}" er et Word-tag ({{%p … %}}, {{%tr … %}}), som ikke virker i en '
                        "HTML-skabelon", f'skriv "{tag.text[:2]} {tag.text[tag.text.index(" ") + 1:]}" i stedet')
        return False
    try:
        tree = env.parse(_standalone(tag))
    except TemplateSyntaxError as error:
        what, fix = explain(error.message or "")
        report.say(tag, f'tagget "{tag.text}" kan ikke læses: {what}', fix)
        return False
    except RecursionError:
        report.say(tag, f'tagget "{clip(tag.text, 60)}" er for indviklet (for mange parenteser inde i '
                        "hinanden)", "del udtrykket op")
        return False
    try:
        empty = any(isinstance(node.arg, nodes.Tuple) and not node.arg.items
                    for node in tree.find_all(nodes.Getitem))
    except RecursionError:
        empty = False  # reported with the whole part
    if empty:
        report.say(tag, f'tagget "{tag.text}" kan ikke læses: der mangler noget mellem [ og ]',
                   "skriv et tal eller et navn i klammerne, fx spoergsmaal[0]")
        return False
    return True


def _standalone(tag: Tag) -> str:
    """Return the tag as code Jinja can parse alone: a block tag gets the rest of a block around it."""
    code, keyword = tag.inner, tag.keyword
    if opens_block(keyword, code):
        return f"{code}{{% end{keyword} %}}"
    if keyword in BRANCHES:
        block = "if" if keyword == "elif" else "for"
        return f"{_OPEN_FOR[block]}{code}{{% end{block} %}}"
    if keyword.startswith("end") and keyword[3:] in _OPEN_FOR:
        return f"{_OPEN_FOR[keyword[3:]]}{code}"
    return code
