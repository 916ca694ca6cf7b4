"""Lint the templates before anything is rendered (`pipeline check-templates`).

Finds what would make a document fail or come out cut off, and says where and what to do:
block tags that do not match (`{%p if … %}` closed by a plain `{% endif %}`, a block that is
never closed, a plain tag whose block spans paragraphs), tags Word has split, curled or put in
a tracked change or a comment, Jinja syntax errors, and variables, fields and filters the
context does not have. Every message is Danish and names the template, the heading above the
place and the paragraph or table row, e.g.
`orienteringssag.docx, under overskriften "Gennemført", afsnit 23: "{% endif %}" hører til …`.

Beyond the rules, each Word part's real Jinja text (docxtpl's patched XML) is checked to
render into well-formed XML whatever the data: every block's body must close exactly the XML
elements it opens. The checker returns messages; it does not raise for anything a template
can contain.
"""

from __future__ import annotations

import difflib
import html
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import meta, nodes
from jinja2.exceptions import TemplateAssertionError, TemplateSyntaxError
from lxml import etree

from pipeline.documents.kinds import KINDS, build_context
from pipeline.documents.samples import sample_document
from pipeline.render.lint.source import (
    OPENER,
    TAG,
    Place,
    Source,
    Tag,
    closes_block,
    docx_comments,
    docx_sources,
    opens_block,
    shorten,
    text_source,
)
from pipeline.render.messages import SMART_QUOTES, explain, suggest
from pipeline.render.templating import environment

WORD_TEMPLATES = ("orienteringssag.docx", "droeftelse.docx")
HTML_TEMPLATE = "oversigt.html"

_BRANCHES = {"else": {"if", "for"}, "elif": {"if"}}
# What to put around a lone block tag so that Jinja can parse it on its own.
_OPEN_FOR = {"for": "{% for x in y %}", "if": "{% if x %}", "macro": "{% macro x() %}",
             "call": "{% call x() %}", "filter": "{% filter upper %}", "block": "{% block x %}",
             "with": "{% with %}", "autoescape": "{% autoescape true %}", "set": "{% set x %}"}
_KINDS = {"p": "et afsnits-tag ({%p … %})", "tr": "et tabelrække-tag ({%tr … %})",
          "tc": "et celle-tag ({%tc … %})", "r": "et tekststykke-tag ({%r … %})",
          "": "et almindeligt tag ({% … %})"}
_ALONE = {"p": "i et afsnit for sig", "tr": "i en tabelrække for sig", "tc": "i en celle for sig",
          "r": "i samme afsnit", "": "i samme afsnit"}
AUTOCORRECT = ("Så Word ikke krøller dem igen: Filer → Indstillinger → Korrektur → "
               "Autokorrekturindstillinger → Autoformat under skrivning → fjern fluebenet ved "
               '"Lige anførselstegn med typografiske anførselstegn"')
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
# Filters whose result the field check can still follow: an item of the list, or the list itself.
_ITEM_FILTERS = {"first", "last", "random", "min", "max"}
_LIST_FILTERS = {"sort", "reverse", "list", "unique", "select", "reject", "selectattr", "rejectattr",
                 "default", "d"}


def check_templates(templates: Path, names: Iterable[str] | None = None) -> list[str]:
    """Return every problem in the templates in `templates` (all of them, or those in `names`)."""
    if names is None:
        names = [*WORD_TEMPLATES, *([HTML_TEMPLATE] if (templates / HTML_TEMPLATE).exists() else [])]
    problems: list[str] = []
    for name in names:
        problems.extend(check_template(templates / name))
    return problems


def check_template(path: Path) -> list[str]:
    """Return every problem in the one template at `path`, in Danish, each with its place."""
    if not path.is_file():
        return [f"{path.name}: findes ikke i skabelonmappen {path.parent}"]
    word = path.suffix.casefold() == ".docx"
    try:
        sources = docx_sources(path) if word else [text_source(path)]
        comments = docx_comments(path) if word else []
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError):
        return [f"{path.name}: er ikke et gyldigt Word-dokument (.docx); åbn den i Word og gem den igen"]
    except UnicodeDecodeError:
        return [f"{path.name}: er ikke gemt som UTF-8-tekst; gem den igen med tegnsættet UTF-8"]
    kind = next((k for k, spec in KINDS.items() if spec.template == path.name), None)
    context = build_context(sample_document(kind)) if kind is not None else None
    checker = _Checker(context)
    for source in sources:
        checker.check(source)
    for comment in comments:
        checker.check_comment(comment)
    return list(dict.fromkeys(checker.problems))


@dataclass
class _Group:
    """A block: its opening tag, its `else`/`elif` tags and its closing tag."""

    opener: Tag
    keyword: str
    branches: list[Tag] = field(default_factory=list)
    closer: Tag | None = None

    @property
    def tags(self) -> list[Tag]:
        return [self.opener, *self.branches, *([self.closer] if self.closer else [])]


class _Checker:
    """Collects the problems of one template, part by part."""

    def __init__(self, context: dict[str, Any] | None):
        self.context = context
        self.env = environment()  # for parsing single tags (the part checks change their own)
        self.problems: list[str] = []
        self.quotes_explained = False

    def say(self, where: Place | Tag, what: str, fix: str = "") -> None:
        place = where.place if isinstance(where, Tag) else where
        self.problems.append(f"{place}: {what}" + (f"; {fix}" if fix else ""))

    def check(self, source: Source) -> None:
        before = len(self.problems)
        broken = self._check_tags(source)
        if not broken:
            structure = len(self.problems)
            self._check_structure(source)
            if source.word and len(self.problems) == structure:
                self._check_xml(source)
        try:
            self._check_jinja(source, quiet=len(self.problems) > before)
        except RecursionError:  # Jinja walks its trees recursively: an expression nested thousands deep
            self.say(Place(source.template, source.part), "skabelonkoden er for indviklet (for mange parenteser "
                     "eller blokke inde i hinanden)", "del udtrykkene op")

    # --- Tags as the user wrote them -------------------------------------------------------------

    def _check_tags(self, source: Source) -> bool:
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
                if not self._tag_as_written(tag):
                    broken |= not self._tag_syntax(tag) and tag.text.startswith("{%")
            for match in OPENER.finditer(paragraph.text):
                if not any(start <= match.start() < end for start, end in covered):
                    broken = True
                    where = "i samme afsnit" if paragraph.word else ""
                    self.say(paragraph.place_at(match.start()),
                             f'tagget, der begynder med "{match.group()}" i '
                             f'"{_around(paragraph.text, match.start(), len(paragraph.text))}", slutter '
                             + (f"ikke {where}" if where else "aldrig"),
                             f'skriv hele tagget færdigt (med "{_CLOSING[match.group()]}") {where}'.rstrip())
        return broken

    def _tag_as_written(self, tag: Tag) -> bool:
        """Report how Word stored the tag (tracked change, split, curled quotes); True if reported."""
        paragraph = tag.paragraph
        tracked = {change for start, end, change in paragraph.tracked if start < tag.end and tag.start < end}
        if "del" in tracked:
            self.say(tag, f'tagget "{tag.text}" er slettet med Spor ændringer, men sletningen er ikke '
                          "godkendt, så tagget bliver stadig udfyldt",
                     "godkend sletningen (Gennemse → Acceptér), og slå Spor ændringer fra, før skabelonen gemmes")
            return True
        if "ins" in tracked:
            self.say(tag, f'tagget "{tag.text}" står i en registreret ændring (Spor ændringer), som ikke er '
                          "godkendt, så ændringsmarkeringen ville komme med i hvert dokument",
                     "godkend ændringen (Gennemse → Acceptér), og slå Spor ændringer fra, før skabelonen gemmes")
            return True
        causes = [cause for offset, cause in paragraph.breaks if tag.start < offset < tag.end]
        if causes:
            cause = min(causes, key=list(_SPLIT).index)
            why, fix = _SPLIT[cause]
            self.say(tag, f'tagget "{tag.text}" er delt i flere stykker i Word, fordi {why}', fix)
            return True
        if any(quote in tag.text for quote in SMART_QUOTES):
            fix = "skriv almindelige \" eller ' i stedet"
            if not self.quotes_explained:
                fix += f". {AUTOCORRECT}"
                self.quotes_explained = True
            self.say(tag, f'tagget "{tag.text}" har typografiske anførselstegn (fx „ eller ”), som Word har '
                          "sat ind, og dem kan skabelonkoden ikke læse", fix)
            return True
        return False

    def _tag_syntax(self, tag: Tag) -> bool:
        """Report a tag Jinja cannot parse on its own; True when it can."""
        if tag.text.startswith("{#"):
            return True
        code, keyword = tag.inner, tag.keyword
        if not tag.paragraph.word and re.match(r"\{[%{](tr|tc|p|r) ", tag.text):
            self.say(tag, f'tagget "{tag.text}" er et Word-tag ({{%p … %}}, {{%tr … %}}), som ikke virker i en '
                          "HTML-skabelon", f'skriv "{tag.text[:2]} {tag.text[tag.text.index(" ") + 1:]}" i stedet')
            return False
        if opens_block(keyword, code):
            code = f"{code}{{% end{keyword} %}}"
        elif keyword in _BRANCHES:
            block = "if" if keyword == "elif" else "for"
            code = f"{_OPEN_FOR[block]}{code}{{% end{block} %}}"
        elif keyword.startswith("end") and keyword[3:] in _OPEN_FOR:
            code = f"{_OPEN_FOR[keyword[3:]]}{code}"
        try:
            tree = self.env.parse(code)
        except TemplateSyntaxError as error:
            what, fix = explain(error.message or "")
            self.say(tag, f'tagget "{tag.text}" kan ikke læses: {what}', fix)
            return False
        except RecursionError:
            self.say(tag, f'tagget "{shorten(tag.text, 60)}" er for indviklet (for mange parenteser inde i '
                          "hinanden)", "del udtrykket op")
            return False
        try:
            empty = any(isinstance(node.arg, nodes.Tuple) and not node.arg.items
                        for node in tree.find_all(nodes.Getitem))
        except RecursionError:
            empty = False  # reported with the whole part
        if empty:
            self.say(tag, f'tagget "{tag.text}" kan ikke læses: der mangler noget mellem [ og ]',
                     "skriv et tal eller et navn i klammerne, fx spoergsmaal[0]")
            return False
        return True

    # --- Blocks: pairs of tags, and the Word elements they stand for ----------------------------

    def _check_structure(self, source: Source) -> None:
        """Report blocks that are never closed, closers without a block, and mismatched levels."""
        for group in self._groups(source):
            self._check_group(source, group)
        if source.word:
            self._check_lost_text(source)

    def _groups(self, source: Source) -> list[_Group]:
        """Pair the block tags up; report tags that close nothing and blocks never closed.

        Where a closing tag does not fit, the likeliest slip is named once: a closer of the
        wrong kind typed in the same paragraph as its block, or one closer too many (the block
        is closed again later at its own level), rather than every block after it.
        """
        groups: list[_Group] = []
        stack: list[_Group] = []
        tags = [tag for tag in source.tags if tag.text.startswith("{%")]
        raw: Tag | None = None
        for index, tag in enumerate(tags):
            keyword = tag.keyword
            if raw is not None or keyword == "raw":
                raw = tag if keyword == "raw" and raw is None else None if keyword == "endraw" else raw
                continue
            if opens_block(keyword, tag.text):
                stack.append(_Group(tag, keyword))
            elif keyword in _BRANCHES:
                if stack and stack[-1].keyword in _BRANCHES[keyword]:
                    stack[-1].branches.append(tag)
                else:
                    self.say(tag, f'"{tag.text}" står uden for en blok, det kan høre til',
                             f"slet det, eller tilføj det manglende {_example('if', tag.prefix)} før det")
            elif closes_block(keyword):
                wanted = keyword[3:]
                own = next((group for group in reversed(stack) if group.keyword == wanted), None)
                top = stack[-1] if stack else None
                rest = tags[index + 1:]
                wrong_kind = top is not None and top is not own and not _closed_later(top, rest) and (
                    own is None or top.opener.paragraph is tag.paragraph)
                if not wrong_kind and own is not None and own.opener.prefix != tag.prefix \
                        and _closed_later(own, rest):
                    self.say(tag, f'"{tag.text}" står for meget: "{own.opener.text}" ({_spot(own.opener, tag)}) '
                                  "afsluttes længere nede", "slet det")
                    continue
                if own is not None and top is not own and _closed_later(top, rest):
                    self.say(tag, f'"{tag.text}" står for meget eller et forkert sted: "{top.opener.text}" '
                                  f"({_spot(top.opener, tag)}) er ikke afsluttet endnu",
                             f'slet det, eller flyt det ned efter "{_closer(top.opener)}"')
                    continue
                if wrong_kind:
                    self.say(tag, f'"{tag.text}" står der, hvor "{top.opener.text}" '
                                  f"({_spot(top.opener, tag)}) skulle afsluttes",
                             f'skriv "{_closer(top.opener)}" i stedet')
                elif own is None:
                    self.say(tag, f'"{tag.text}" afslutter ingen blok (der er ikke noget åbent '
                                  f'"{{% {wanted} … %}}" før det)',
                             f"slet det, eller tilføj det manglende {_example(wanted, tag.prefix)} før det")
                    continue
                else:
                    while stack[-1] is not own:
                        self._unclosed(stack.pop())
                group = stack.pop()
                group.closer = tag
                groups.append(group)
        if raw is not None:  # everything after it is text: the blocks still open are no news
            self.say(raw, f'"{raw.text}" afsluttes aldrig, så resten af skabelonen bliver vist som tekst',
                     'tilføj "{% endraw %}" dér, hvor teksten skal slutte')
            return groups
        for group in stack:
            self._unclosed(group)
        return groups

    def _unclosed(self, group: _Group) -> None:
        opener = group.opener
        self.say(opener, f'"{opener.text}" afsluttes aldrig',
                 f'tilføj "{_closer(opener)}" {_ALONE[opener.prefix]} dér, hvor blokken skal slutte')

    def _check_group(self, source: Source, group: _Group) -> None:
        """Report a block whose tags are at different levels or in different places."""
        opener, tags = group.opener, group.tags
        for tag in tags[1:]:
            if tag.prefix != opener.prefix:
                right, wrong = _right_and_wrong(opener, tag)
                self.say(wrong, f'"{wrong.text}" er {_KINDS[wrong.prefix]}, men hører sammen med "{right.text}" '
                                f"({_spot(right, wrong)}), som er {_KINDS[right.prefix]}; så bliver dokumentet "
                                "skåret over eller ødelagt",
                         f'skriv "{_with_prefix(wrong, right.prefix)}" i stedet')
                return
        prefix = opener.prefix
        if not source.word:
            return
        attribute = {"": None, "r": None, "p": "container", "tr": "table", "tc": "row"}[prefix]
        if attribute is None:
            if any(tag.paragraph is not opener.paragraph for tag in tags[1:]):
                other = next(tag for tag in tags[1:] if tag.paragraph is not opener.paragraph)
                if prefix:
                    fix = "flyt dem, så de står i samme afsnit"
                else:
                    fix = ('et tag, der går over flere afsnit, skal være et afsnits-tag: skriv '
                           + " og ".join(f'"{_with_prefix(tag, "p")}"' for tag in tags)
                           + ", hvert i sit eget afsnit")
                self.say(opener, f'"{opener.text}" begynder i {opener.place.spot}, men "{other.text}" står i '
                                 f"{other.place.spot}", fix)
            return
        if any(getattr(tag.paragraph, attribute) != getattr(opener.paragraph, attribute) for tag in tags[1:]):
            other = next(tag for tag in tags[1:]
                         if getattr(tag.paragraph, attribute) != getattr(opener.paragraph, attribute))
            where = {"container": "samme sted (begge uden for tabeller eller begge i samme tabelcelle)",
                     "table": "i samme tabel", "row": "i samme tabelrække"}[attribute]
            self.say(opener, f'"{opener.text}" og "{other.text}" ({other.place.spot}) står ikke {where}, så '
                             "dokumentet ville blive ødelagt",
                     f"flyt tagsene, så blokken begynder og slutter {where.split(' (')[0]}")

    def _check_lost_text(self, source: Source) -> None:
        """Report text that shares a paragraph, row or cell with a tag that removes it."""
        by = {"tr": "row", "tc": "cell"}
        for tag in source.tags:
            prefix = tag.prefix
            if prefix == "p":
                rest = tag.paragraph.text[:tag.start] + tag.paragraph.text[tag.end:]
                element = "afsnittet"
            elif prefix in by:
                key = getattr(tag.paragraph, by[prefix])
                rest = " ".join(p.text if p is not tag.paragraph else p.text[:tag.start] + p.text[tag.end:]
                                for p in source.paragraphs if getattr(p, by[prefix]) == key)
                element = "tabelrækken" if prefix == "tr" else "cellen"
            else:
                continue
            if rest.strip():
                self.say(tag, f'{element} med "{tag.text}" bliver fjernet, når dokumentet laves, så '
                              f'"{shorten(rest, 60)}" forsvinder',
                         f"giv tagget {_ALONE[prefix].removeprefix('i ')}, fx ved at trykke Enter før og efter det"
                         if prefix == "p" else f"lad {element} kun indeholde tagget")

    # --- The real Jinja text: docxtpl's patched XML ----------------------------------------------

    def _check_xml(self, source: Source) -> None:
        """Report a block whose body does not close exactly the XML elements it opens.

        Such a block gives XML that is not well-formed for some data (docxtpl's lenient parser
        then silently cuts the document off), so the rules above should have caught it first.
        """
        written = _Locator(source).written
        for opener, closer in _unbalanced_blocks(source.jinja):
            first, last = written.get(opener), written.get(closer)
            if first is None or last is None:
                self.say(Place(source.template, source.part),
                         "en blok passer ikke med Words afsnit og tabeller, så dokumentet ville blive ødelagt",
                         "lad hvert {%p … %}- og {%tr … %}-tag stå i sit eget afsnit eller sin egen tabelrække")
                continue
            self.say(first, f'blokken fra "{first.text}" til "{last.text}" ({_spot(last, first)}) passer ikke med '
                            "Words afsnit og tabeller, så dokumentet ville blive ødelagt",
                     "lad tagsene stå hvert i sit eget afsnit ({%p … %}) eller sin egen tabelrække "
                     "({%tr … %}), samme sted i dokumentet og uden for links og indholdskontrolelementer")

    # --- Names: variables, fields, filters --------------------------------------------------------

    def _check_jinja(self, source: Source, quiet: bool) -> None:
        """Report a syntax error not yet reported, else unknown variables, fields, filters and tests."""
        env = environment()
        try:
            tree = env.parse(source.jinja)
        except TemplateSyntaxError as error:
            if not quiet:
                self._syntax(source, error)
            return
        locate = _Locator(source)
        for node in tree.find_all((nodes.Filter, nodes.Test)):
            known = env.filters if isinstance(node, nodes.Filter) else env.tests
            if node.name not in known:
                what = "filter" if isinstance(node, nodes.Filter) else "test"
                name = re.escape(node.name)
                tag = locate(node.lineno, rf"\|\s*{name}\b|\bis\s+(?:not\s+)?{name}\b")
                plural = "filtre" if what == "filter" else "tests"
                self._unknown(source, tag, f'ukendt {what} "{node.name}"', suggest(node.name, known)
                              or f"se de mulige {plural} i README under Skabelonvariabler")
                known[node.name] = _stand_in  # reported once; let the variable check below compile
        if self.context is None:
            return
        try:
            undeclared = meta.find_undeclared_variables(tree)  # compiles: may find more errors
        except TemplateAssertionError as error:
            if not quiet:
                self._syntax(source, error)
            return
        for name in sorted(undeclared - set(self.context) - set(env.globals)):
            line = next((n.lineno for n in tree.find_all(nodes.Name) if n.name == name), None)
            tag = locate(line, rf"(?<![\w.]){re.escape(name)}\b")
            self._unknown(source, tag, f'ukendt variabel "{name}"', suggest(name, self.context)
                          or "se variablerne i README under Skabelonvariabler")
        for line, expression, name, known in list(_unknown_fields(tree, self.context)):
            tag = locate(line, rf"\.\s*{re.escape(name)}\b|\[\s*['\"]{re.escape(name)}['\"]\s*\]")
            if isinstance(known, list):
                self._unknown(source, tag, f'"{expression}" er en liste, så den har intet felt "{name}"',
                              f'gå listen igennem med en løkke, fx {{%p for x in {expression} %}} … '
                              f'{{{{ x.{name} }}}} … {{%p endfor %}}, eller vælg ét element: {expression}[0].{name}')
            else:
                self._unknown(source, tag, f'"{expression}" har intet felt "{name}"', suggest(name, known)
                              or "se felterne i README under Skabelonvariabler")

    def _unknown(self, source: Source, tag: Tag | None, what: str, fix: str) -> None:
        if tag is None:
            self.say(Place(source.template, source.part), what, fix)
        else:
            self.say(tag, f'{what} i "{_around_tag(tag)}"', fix)

    def _syntax(self, source: Source, error: TemplateSyntaxError) -> None:
        """Report a syntax error no single tag explains, at the tags on the line Jinja names."""
        what, fix = explain(error.message or "")
        tag = _Locator(source)(error.lineno, "")
        if tag is not None:
            self.say(tag, f'fejl i skabelonkoden: {what}, i "{_around_tag(tag)}"', fix)
            return
        lines = source.jinja.splitlines()
        line = lines[error.lineno - 1] if error.lineno and error.lineno <= len(lines) else ""
        nearby = html.unescape(re.sub(r"<[^>]+>", "", line)).strip()
        self.say(Place(source.template, source.part, line=0 if source.word else error.lineno or 0),
                 f"fejl i skabelonkoden: {what}" + (f', i "{shorten(nearby, 80)}"' if nearby else ""), fix)

    # --- Comments ---------------------------------------------------------------------------------

    def check_comment(self, comment) -> None:
        """Report tags written in a Word comment: comments are not filled in, but kept."""
        if not OPENER.search(comment.text):
            return
        self.say(comment.place, f'kommentaren "{shorten(comment.text, 60)}" indeholder skabelonkode, men kommentarer '
                                "bliver ikke udfyldt, og de kommer med i hvert dokument",
                 "skriv tagget i selve teksten, og slet kommentaren (Gennemse → Slet)")


_CLOSING = {"{{": "}}", "{%": "%}", "{#": "#}"}


def _stand_in(*args: Any, **kwargs: Any) -> None:
    """Stand in for an unknown filter or test once it has been reported."""


def _closed_later(group: _Group, rest: list[Tag]) -> bool:
    """True when a later closing tag at the block's own level closes it before it could open again."""
    for tag in rest:
        if tag.keyword == group.keyword:
            return False
        if tag.keyword == f"end{group.keyword}":
            return tag.prefix == group.opener.prefix
    return False


def _right_and_wrong(opener: Tag, other: Tag) -> tuple[Tag, Tag]:
    """Return which of two tags of one block has the right prefix, and which is the slip.

    A plain tag beside a prefixed one is the slip (a prefix is never typed by accident); of two
    prefixes in one table, `tr` is meant; otherwise the opening tag sets the level.
    """
    if not opener.prefix or not other.prefix:
        return (opener, other) if opener.prefix else (other, opener)
    if opener.paragraph.table and opener.paragraph.table == other.paragraph.table and other.prefix == "tr":
        return other, opener
    return opener, other


def _spot(tag: Tag, near: Tag) -> str:
    """Return where `tag` is, briefly when it is in the same paragraph as `near`."""
    if tag.paragraph is near.paragraph:
        return "samme afsnit"
    return tag.place.spot


def _with_prefix(tag: Tag, prefix: str) -> str:
    """Return the tag written with docxtpl's `prefix`: `{% endif %}`, "p" → `{%p endif %}`."""
    body = tag.inner[2:].lstrip()
    return f"{tag.text[:2]}{prefix} {body}" if prefix else f"{tag.text[:2]} {body}"


def _closer(opener: Tag) -> str:
    return f"{{%{opener.prefix} end{opener.keyword} %}}" if opener.prefix else f"{{% end{opener.keyword} %}}"


def _example(keyword: str, prefix: str) -> str:
    return f'"{{%{prefix} {keyword} … %}}"' if prefix else f'"{{% {keyword} … %}}"'


# --- Well-formed XML whatever the data ------------------------------------------------------------

_XML_TAG = re.compile(r"<(/?)([A-Za-z_][\w.:-]*)[^>]*?(/?)>")


def _unbalanced_blocks(jinja: str) -> list[tuple[int, int]]:
    """Return (opening tag, closing or branch tag) for each block whose body is not balanced XML.

    Tags are numbered in the order they occur in `jinja`. Tags inside an XML tag (an
    attribute's value) are left out: they cannot change the nesting.
    """
    tags = list(TAG.finditer(jinja))
    masked = list(jinja)
    for match in tags:  # tags may hold < and > (comparisons): hide them from the XML scan
        masked[match.start():match.end()] = "x" * (match.end() - match.start())
    events: list[tuple[int, int, Any]] = [(m.start(), 1, m) for m in _XML_TAG.finditer("".join(masked))]
    spans = [(m.start(), m.end()) for _, _, m in events]
    for number, match in enumerate(tags):
        if match.group().startswith("{%") and not any(s < match.start() < e for s, e in spans):
            events.append((match.start(), 0, (number, match.group())))
    events.sort(key=lambda event: (event[0], event[1]))
    stack: list[str] = []
    frames: list[tuple[tuple[str, ...], int]] = []  # the XML stack at the opener, the opener
    found: list[tuple[int, int]] = []
    raw = False
    for _, kind, event in events:
        if kind == 1:
            closing, name, empty = event.groups()
            if raw or empty:
                continue
            if not closing:
                stack.append(name)
            elif stack and stack[-1] == name:
                stack.pop()
            continue
        number, text = event
        keyword = (re.match(r"\{%[-+]?\s*(\w*)", text) or [None, ""])[1]
        if raw or keyword == "raw":
            raw = (raw or keyword == "raw") and keyword != "endraw"
            continue
        if opens_block(keyword, text):
            frames.append((tuple(stack), number))
        elif frames and (keyword in _BRANCHES or closes_block(keyword)):
            before, opener = frames[-1]
            if tuple(stack) != before:
                found.append((opener, number))
            stack = list(before)
            if keyword.startswith("end"):
                frames.pop()
    return found


def _key(text: str) -> str:
    """Return a tag's text as docxtpl leaves it, without white space or `-` trimming marks."""
    for curly, plain in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'")):
        text = text.replace(curly, plain)
    return re.sub(r"\s+|(?<=^\{[%{#])[-+]|[-+](?=[%}#]\}$)", "", text)


class _Locator:
    """Finds the tag as the user wrote it for a tag or a line of the text Jinja parsed.

    docxtpl's text has the same tags in the same order, less a few (a second `{%p` tag in one
    paragraph is dropped) or more (its own `{% vm %}` helpers), so the two lists are aligned.
    """

    def __init__(self, source: Source):
        self.source = source
        self.lines: dict[int, list[Tag]] = {}
        self.written: dict[int, Tag] = {}  # number of a tag in the patched text → the tag as written
        if not source.word:
            for tag in source.tags:
                self.lines.setdefault(tag.place.line, []).append(tag)
            return
        patched = [(m.group(), source.jinja.count("\n", 0, m.start()) + 1) for m in TAG.finditer(source.jinja)]
        matcher = difflib.SequenceMatcher(None, [_key(t.inner) for t in source.tags],
                                          [_key(text) for text, _ in patched], autojunk=False)
        for first, second, size in matcher.get_matching_blocks():
            for offset in range(size):
                tag = source.tags[first + offset]
                self.written[second + offset] = tag
                self.lines.setdefault(patched[second + offset][1], []).append(tag)

    def __call__(self, line: int | None, pattern: str) -> Tag | None:
        """Return the tag on `line` that matches `pattern`, else the first such tag anywhere."""
        expression = re.compile(pattern)
        for tag in self.lines.get(line, []) if line else []:
            if expression.search(tag.inner):
                return tag
        if not pattern:
            return None
        return next((tag for tag in self.source.tags if expression.search(tag.inner)), None)


# --- Fields of the sample data ---------------------------------------------------------------------

_MISSING = object()


def _unknown_fields(tree: nodes.Template, context: dict[str, Any]) -> Iterator[tuple[int, str, str, Any]]:
    """Yield (line, expression, field, known fields or the list) for each unknown `x.field`.

    Values are followed through the sample context: loop variables (`r` in
    `{% for r in gennemfoert %}`), indexes (`indsatser[0]`), slices and filters that keep a
    list (`sort`) or pick an item of it (`first`). Dates, text and dicts with open-ended keys
    (`ekstra`) are not checked.
    """
    found: list[tuple[int, str, str, Any]] = []

    def field_of(base: Any, text: str | None, key: str, node: nodes.Node) -> tuple[Any, str | None]:
        if isinstance(base, dict) and base:
            if key in base:
                return base[key], f"{text}.{key}" if text else None
            if text:
                found.append((node.lineno, text, key, base))
        elif isinstance(base, list) and base and text:
            found.append((node.lineno, text, key, base))
        return _MISSING, None

    def evaluate(node: nodes.Node, scope: dict[str, Any]) -> tuple[Any, str | None]:
        """Return the sample value an expression stands for (or _MISSING), and its text."""
        if isinstance(node, nodes.Name):
            return scope.get(node.name, _MISSING), node.name
        if isinstance(node, nodes.Getattr):
            base, text = evaluate(node.node, scope)
            return field_of(base, text, node.attr, node)
        if isinstance(node, nodes.Getitem):
            base, text = evaluate(node.node, scope)
            argument = node.arg
            if isinstance(argument, nodes.Const) and isinstance(argument.value, str):
                return field_of(base, text, argument.value, node)
            if isinstance(argument, nodes.Const) and isinstance(argument.value, int) \
                    and not isinstance(argument.value, bool):
                item = base[0] if isinstance(base, list) and base else _MISSING
                return item, f"{text}[{argument.value}]" if text else None
            evaluate(argument, scope)
            if isinstance(argument, nodes.Slice):
                return (base, text) if isinstance(base, list) else (_MISSING, None)
            return (base[0] if isinstance(base, list) and base else _MISSING), None
        if isinstance(node, nodes.Filter):
            base, text = evaluate(node.node, scope) if node.node is not None else (_MISSING, None)
            for child in (*node.args, *node.kwargs, *filter(None, (node.dyn_args, node.dyn_kwargs))):
                evaluate(child, scope)
            if isinstance(base, list) and base and node.name in _ITEM_FILTERS:
                return base[0], None
            if node.name in _LIST_FILTERS:
                return base, text
            return _MISSING, None
        for child in node.iter_child_nodes():
            evaluate(child, scope) if isinstance(child, nodes.Expr) else visit(child, scope)
        return _MISSING, None

    def visit(node: nodes.Node, scope: dict[str, Any]) -> None:
        if isinstance(node, nodes.Expr):
            evaluate(node, scope)
            return
        if isinstance(node, nodes.For):
            items, _ = evaluate(node.iter, scope)
            inner = dict(scope, loop=_MISSING)
            for target in _names(node.target):
                inner[target] = _MISSING
            if isinstance(node.target, nodes.Name) and isinstance(items, list) and items:
                inner[node.target.name] = items[0]
            for child in (*node.body, *([node.test] if node.test else [])):
                visit(child, inner)
            for child in node.else_:
                visit(child, scope)
            return
        if isinstance(node, nodes.Assign):
            value, _ = evaluate(node.node, scope)
            names = _names(node.target)
            for target in names:
                scope[target] = value if isinstance(node.target, nodes.Name) else _MISSING
            return
        if isinstance(node, nodes.AssignBlock):
            for target in _names(node.target):
                scope[target] = _MISSING
        if isinstance(node, (nodes.Macro, nodes.CallBlock)):
            inner = dict(scope)
            for argument in getattr(node, "args", []):
                inner[argument.name] = _MISSING
            for child in node.body:
                visit(child, inner)
            return
        for child in node.iter_child_nodes():
            visit(child, scope)

    visit(tree, dict(context))
    yield from found


def _names(target: nodes.Node) -> list[str]:
    """Return the names an assignment or loop target binds (`x`, or `k, v`)."""
    if isinstance(target, nodes.Name):
        return [target.name]
    return [name.name for name in target.find_all(nodes.Name)]


# --- Text for messages -------------------------------------------------------------------------------

def _around_tag(tag: Tag) -> str:
    """Return the tag with a little of the text around it, not reaching into neighbouring tags."""
    text = tag.paragraph.text
    before = max((m.end() for m in TAG.finditer(text, 0, tag.start) if m.end() <= tag.start), default=0)
    after = next((m.start() for m in TAG.finditer(text, tag.end)), len(text))
    return _around(text[before:after], tag.start - before, tag.end - before)


def _around(text: str, start: int, end: int, margin: int = 30) -> str:
    """Return text[start:end] with up to `margin` characters either side, cut at words, `…` marking cuts."""
    before, after = text[max(0, start - margin):start], text[end:end + margin]
    if start > margin:
        before = "… " + before.split(" ", 1)[-1].lstrip() if " " in before else "… "
    if end + margin < len(text):
        after = after.rsplit(" ", 1)[0].rstrip() + " …" if " " in after else " …"
    return " ".join((before + text[start:end] + after).split())

