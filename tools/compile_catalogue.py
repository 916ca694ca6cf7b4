"""Write pipeline/cli/locale/da/LC_MESSAGES/click.mo from click.po beside it, the same bytes every time.

Run after editing the .po file; `tests/test_danish_click.py` fails while the two differ.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parents[1] / "pipeline" / "cli" / "locale" / "da" / "LC_MESSAGES" / "click.po"


# Babel's own header carries the current time and Babel's version; gettext needs only these.
HEADER = "Language: da\nContent-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n != 1);\n"


@dataclass(frozen=True)
class _FixedHeader:
    """What `write_mo` reads of a catalogue (its messages and charset), with a fixed header."""

    messages: tuple[Message, ...]
    charset: str = "utf-8"

    def __iter__(self) -> Iterator[Message]:
        yield Message("", HEADER)
        yield from self.messages


def compiled(po: Path = CATALOGUE) -> bytes:
    """Return the .mo bytes for the catalogue `po`: sorted messages, no dates or versions inside."""
    with po.open("rb") as file:
        catalogue = read_po(file, locale="da")
    buffer = io.BytesIO()
    write_mo(buffer, _FixedHeader(tuple(m for m in catalogue if m.id)), use_fuzzy=False)
    return buffer.getvalue()


def main() -> None:
    CATALOGUE.with_suffix(".mo").write_bytes(compiled())


if __name__ == "__main__":
    main()
