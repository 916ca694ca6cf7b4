"""Pair block tags into blocks, and check each block against Word's paragraphs, rows and cells.

A block is an opening tag (`{%p if … %}`), its `else`/`elif` tags and its closing tag. Its tags
must match, and docxtpl's prefix says what each stands for: `p` its whole paragraph, `tr` its
table row, `tc` its table cell, `r` its run, and a plain tag only itself. So the tags of a block
must have one prefix and stand where that prefix lets a block open and close: `p` tags all
outside tables or all in one cell, `tr` tags in one table, `tc` tags in one row, plain and `r`
tags in one paragraph. A `p`, `tr` or `tc` tag removes its paragraph, row or cell, so any other
text there would be lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.render.lint.model import BRANCHES, Source, Tag, clip, closes_block, opens_block
from pipeline.render.lint.report import Report, spot

_KINDS = {"p": "et afsnits-tag ({%p … %})", "tr": "et tabelrække-tag ({%tr … %})",
          "tc": "et celle-tag ({%tc … %})", "r": "et tekststykke-tag ({%r … %})",
          "": "et almindeligt tag ({% … %})"}
_ALONE = {"p": "i et afsnit for sig", "tr": "i en tabelrække for sig", "tc": "i en celle for sig",
          "r": "i samme afsnit", "": "i samme afsnit"}
# Which of a paragraph's containers (see `Paragraph`) all tags of a block with the prefix share.
_SHARED = {"p": "container", "tr": "table", "tc": "row"}
_SHARED_WHERE = {"container": "samme sted (begge uden for tabeller eller begge i samme tabelcelle)",
                 "table": "i samme tabel", "row": "i samme tabelrække"}


@dataclass
class Block:
    """A block: its opening tag, its `else`/`elif` tags and its closing tag."""

    opener: Tag
    keyword: str
    branches: list[Tag] = field(default_factory=list)
    closer: Tag | None = None

    @property
    def tags(self) -> list[Tag]:
        return [self.opener, *self.branches, *([self.closer] if self.closer else [])]


def check_structure(source: Source, report: Report) -> None:
    """Report blocks that are never closed, closers without a block, mismatched levels and lost text."""
    for block in pair_blocks(source, report):
        _check_block(source, block, report)
    if source.word:
        _check_lost_text(source, report)


def pair_blocks(source: Source, report: Report) -> list[Block]:
    """Pair the block tags up; report tags that close nothing and blocks never closed.

    Where a closing tag does not fit, the likeliest slip is named once (see `_close`), rather
    than every block after it.
    """
    blocks: list[Block] = []
    stack: list[Block] = []
    tags = [tag for tag in source.tags if tag.text.startswith("{%")]
    raw: Tag | None = None
    for index, tag in enumerate(tags):
        keyword = tag.keyword
        if raw is not None or keyword == "raw":
            raw = tag if keyword == "raw" and raw is None else None if keyword == "endraw" else raw
            continue
        if opens_block(keyword, tag.text):
            stack.append(Block(tag, keyword))
        elif keyword in BRANCHES:
            if stack and stack[-1].keyword in BRANCHES[keyword]:
                stack[-1].branches.append(tag)
            else:
                report.say(tag, f'"{tag.text}" står uden for en blok, det kan høre til',
                           f"slet det, eller tilføj det manglende {_example('if', tag.prefix)} før det")
        elif closes_block(keyword) and (block := _close(tag, tags[index + 1:], stack, report)):
            blocks.append(block)
    if raw is not None:  # everything after it is text: the blocks still open are no news
        report.say(raw, f'"{raw.text}" afsluttes aldrig, så resten af skabelonen bliver vist som tekst',
                   'tilføj "{% endraw %}" dér, hvor teksten skal slutte')
        return blocks
    for block in stack:
        _unclosed(block, report)
    return blocks


def _close(tag: Tag, rest: list[Tag], stack: list[Block], report: Report) -> Block | None:
    """Close the block on `stack` that the closing `tag` ends, and return it; None if it ends none.

    A closer that does not fit is taken for the likeliest slip: a closer of the wrong kind typed
    in the same paragraph as its block (it closes the innermost block), or one closer too many
    (the block is closed again later at its own level, so this one is left out).
    """
    wanted = tag.keyword[3:]
    own = next((block for block in reversed(stack) if block.keyword == wanted), None)
    top = stack[-1] if stack else None
    wrong_kind = top is not None and top is not own and not _closed_later(top, rest) and (
        own is None or top.opener.paragraph is tag.paragraph)
    if not wrong_kind and own is not None and own.opener.prefix != tag.prefix and _closed_later(own, rest):
        report.say(tag, f'"{tag.text}" står for meget: "{own.opener.text}" ({spot(own.opener, tag)}) '
                        "afsluttes længere nede", "slet det")
        return None
    if own is not None and top is not own and _closed_later(top, rest):
        report.say(tag, f'"{tag.text}" står for meget eller et forkert sted: "{top.opener.text}" '
                        f"({spot(top.opener, tag)}) er ikke afsluttet endnu",
                   f'slet det, eller flyt det ned efter "{_closer(top.opener)}"')
        return None
    if wrong_kind:
        report.say(tag, f'"{tag.text}" står der, hvor "{top.opener.text}" ({spot(top.opener, tag)}) skulle '
                        "afsluttes", f'skriv "{_closer(top.opener)}" i stedet')
    elif own is None:
        report.say(tag, f'"{tag.text}" afslutter ingen blok (der er ikke noget åbent "{{% {wanted} … %}}" før det)',
                   f"slet det, eller tilføj det manglende {_example(wanted, tag.prefix)} før det")
        return None
    else:
        while stack[-1] is not own:
            _unclosed(stack.pop(), report)
    block = stack.pop()
    block.closer = tag
    return block


def _unclosed(block: Block, report: Report) -> None:
    opener = block.opener
    report.say(opener, f'"{opener.text}" afsluttes aldrig',
               f'tilføj "{_closer(opener)}" {_ALONE[opener.prefix]} dér, hvor blokken skal slutte')


def _check_block(source: Source, block: Block, report: Report) -> None:
    """Report a block whose tags are at different levels or in different places."""
    opener, tags = block.opener, block.tags
    for tag in tags[1:]:
        if tag.prefix != opener.prefix:
            right, wrong = _right_and_wrong(opener, tag)
            report.say(wrong, f'"{wrong.text}" er {_KINDS[wrong.prefix]}, men hører sammen med "{right.text}" '
                              f"({spot(right, wrong)}), som er {_KINDS[right.prefix]}; så bliver dokumentet "
                              "skåret over eller ødelagt",
                       f'skriv "{_with_prefix(wrong, right.prefix)}" i stedet')
            return
    if not source.word:
        return
    prefix = opener.prefix
    attribute = _SHARED.get(prefix)
    if attribute is None:  # a plain or `r` block: all of it in the opener's paragraph
        other = next((tag for tag in tags[1:] if tag.paragraph is not opener.paragraph), None)
        if other is None:
            return
        if prefix:
            fix = "flyt dem, så de står i samme afsnit"
        else:
            fix = ("et tag, der går over flere afsnit, skal være et afsnits-tag: skriv "
                   + " og ".join(f'"{_with_prefix(tag, "p")}"' for tag in tags) + ", hvert i sit eget afsnit")
        report.say(opener, f'"{opener.text}" begynder i {opener.place.spot}, men "{other.text}" står i '
                           f"{other.place.spot}", fix)
        return
    shared = getattr(opener.paragraph, attribute)
    other = next((tag for tag in tags[1:] if getattr(tag.paragraph, attribute) != shared), None)
    if other is not None:
        where = _SHARED_WHERE[attribute]
        report.say(opener, f'"{opener.text}" og "{other.text}" ({other.place.spot}) står ikke {where}, så '
                           "dokumentet ville blive ødelagt",
                   f"flyt tagsene, så blokken begynder og slutter {where.split(' (')[0]}")


def _check_lost_text(source: Source, report: Report) -> None:
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
            report.say(tag, f'{element} med "{tag.text}" bliver fjernet, når dokumentet laves, så '
                            f'"{clip(rest, 60)}" forsvinder',
                       f"giv tagget {_ALONE[prefix].removeprefix('i ')}, fx ved at trykke Enter før og efter det"
                       if prefix == "p" else f"lad {element} kun indeholde tagget")


def _closed_later(block: Block, rest: list[Tag]) -> bool:
    """True when a later closing tag at the block's own level closes it before it could open again."""
    for tag in rest:
        if tag.keyword == block.keyword:
            return False
        if tag.keyword == f"end{block.keyword}":
            return tag.prefix == block.opener.prefix
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


def _with_prefix(tag: Tag, prefix: str) -> str:
    """Return the tag written with docxtpl's `prefix`: `{% endif %}`, "p" → `{%p endif %}`."""
    body = tag.inner[2:].lstrip()
    return f"{tag.text[:2]}{prefix} {body}" if prefix else f"{tag.text[:2]} {body}"


def _closer(opener: Tag) -> str:
    """Return the tag that closes the block `opener` opens, at its level: `{%p if x %}` → `{%p endif %}`."""
    return f"{{%{opener.prefix} end{opener.keyword} %}}" if opener.prefix else f"{{% end{opener.keyword} %}}"


def _example(keyword: str, prefix: str) -> str:
    """Return an example tag with `keyword` at the level of `prefix`, quoted: `"{%p if … %}"`."""
    return f'"{{%{prefix} {keyword} … %}}"' if prefix else f'"{{% {keyword} … %}}"'
