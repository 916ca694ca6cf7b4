"""Properties that hold for any input: parsers answer with a value or `Invalid`, paths stay fenced in."""

from __future__ import annotations

from datetime import date
from pathlib import Path, PurePosixPath

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.core.errors import OutputError
from pipeline.core.files import check_name, resolve
from pipeline.core.model import Committee, DocumentKind
from pipeline.documents.kinds import output_path
from pipeline.source.parse import DEFAULT_COMMITTEES, Invalid, parse_committees, parse_period
from pipeline.source.validate import abbreviation_problem

SETTINGS = settings(max_examples=200, deadline=None)
YEARS = st.integers(1900, 2200)

# Pieces of the labels case officers write, so generated text often is a period (or nearly one).
PIECES = ["8.", "31.", "0.", "8", " ", "  ", "\u00a0", "\n", "maj", "Juni", "sept.", "jan", "-", "–", " – ", "/",
          " til ", "efterår", "Efteråret", "Vinter", "forår", "sommer", "uge ", "12", "53", "2.", "kvartal",
          "2017", "1899", "2017-06-19", "2017-02-30", "19.6.2017", "Løbende", "hele året", "_x000D_", "\x07"]
LABELS = st.lists(st.sampled_from(PIECES), max_size=5).map("".join)
TEXT = st.one_of(st.text(), LABELS)


@SETTINGS
@given(TEXT, YEARS)
@example("Efterår/Vinter", 2017)
@example("Vinter/Forår", 2200)
@example("_x000_x000D_D_", 2017)
def test_any_text_is_a_period_or_invalid_and_every_period_reads_back_the_same(text: str, year: int) -> None:
    try:
        period = parse_period(text, year)
    except Invalid as error:
        assert str(error)  # a Danish predicate for the message
        return
    assert period.start <= period.end
    assert parse_period(period.label, year) == period


# Registers a case officer could write: abbreviations the validator accepts, names of any text.
ABBREVIATIONS = st.one_of(
    st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅæøåabcxyz0123456789./\\:*?$ é"), min_size=1, max_size=14),
    st.sampled_from(["CON", "nul", "Com1", "LPT¹", "CONIN$", "AUX", "PRN", "KMB", "ØKU", "..", "a/b"]),
).filter(lambda text: abbreviation_problem(text) is None)
NAMES = st.text(min_size=1, max_size=40).filter(str.strip)
REGISTERS = st.lists(st.builds(Committee, ABBREVIATIONS, NAMES, st.lists(NAMES, max_size=2).map(tuple)),
                     min_size=1, max_size=6)


@SETTINGS
@given(TEXT, st.one_of(st.just(list(DEFAULT_COMMITTEES)), REGISTERS))
@example("De politiske fagudvalg: BSU, TMU og SSU", list(DEFAULT_COMMITTEES))
def test_any_text_names_committees_of_the_register_and_leaves_the_rest(text: str, register: list[Committee]) -> None:
    named, unknown = parse_committees(text, register)
    assert all(committee in register for committee in named)
    assert len(set(named)) == len(named)
    assert all(isinstance(word, str) and word.strip() for word in unknown)


@SETTINGS
@given(REGISTERS, st.dates(date(1900, 1, 1), date(2200, 12, 31)), YEARS)
def test_every_output_path_of_a_valid_register_is_portable_and_inside_the_output_folder(
        register: list[Committee], day: date, year: int) -> None:
    root = Path("/srv/del/output")
    paths = [output_path(kind, year) for kind in (DocumentKind.OVERVIEW, DocumentKind.WEBPAGE)]
    paths += [output_path(kind, year, committee, day) for committee in register
              for kind in (DocumentKind.ORIENTATION, DocumentKind.DISCUSSION)]
    for path in paths:
        assert all(check_name(part) is None for part in path.parts), path
        target = resolve(root, path)
        assert target.is_relative_to(root) and target != root


@SETTINGS
@given(st.one_of(st.text(), st.lists(st.sampled_from(["..", ".", "/", "x", "CON", "nul.txt", "a b ", "æ"]))
                 .map("/".join)))
@example("../x")
@example("/etc/passwd")
@example("a/../../b")
def test_any_relative_path_is_refused_or_fenced_inside_the_output_folder(text: str) -> None:
    root = Path("/srv/del/output")
    assert check_name(text) is None or isinstance(check_name(text), str)
    try:
        target = resolve(root, PurePosixPath(text))
    except OutputError as error:
        assert str(error)
        return
    assert target.is_relative_to(root) and target != root
