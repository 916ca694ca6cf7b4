"""Finding plan files, reading their bytes once, and loading them as validated plans."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core.errors import InputError, UsageError
from pipeline.source.read import MARKED_COPY_SUFFIX, PLAN_SUFFIXES, not_a_file, read_plan_bytes

if TYPE_CHECKING:
    from pipeline.core.model import Plan

INPUT = Path("input")


def find_plans(paths: Iterable[Path] = ()) -> list[Path]:
    """Return the plan files to build: those given, else every .xlsx/.csv in input/.

    Excel's lock files (`~$…`), hidden files and the marked copies `validate --mark` writes
    beside a plan are not plans.
    """
    paths = list(paths)
    if paths:
        for path in paths:
            if (reason := not_a_file(path)) is not None:
                raise UsageError(f"Planen {path} {'findes ikke' if reason == 'filen findes ikke' else reason}.")
        return paths
    found = sorted(
        path for path in INPUT.glob("*")
        if path.suffix.casefold() in PLAN_SUFFIXES and not path.name.startswith(("~$", "."))
        and path.is_file() and not path.stem.endswith(MARKED_COPY_SUFFIX)
    ) if INPUT.is_dir() else []
    if not found:
        raise UsageError(f"Der er ingen planer (.xlsx eller .csv) i mappen {INPUT}/.")
    return found


@dataclass(frozen=True)
class PlanFile:
    """A plan file's path and its bytes, read once: the bytes a build hashes are the bytes it reads."""

    path: Path
    data: bytes


def read_plan_files(paths: Iterable[Path]) -> list[PlanFile]:
    """Return each plan file with its content; raise InputError naming every file that cannot be read."""
    files, problems = [], []
    for path in paths:
        try:
            files.append(PlanFile(path, read_plan_bytes(path)))
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    return files


def load_plans(files: Iterable[PlanFile], year: int | None = None) -> list[Plan]:
    """Return every plan read and validated; raise InputError listing the problems of all files."""
    from pipeline.source.read import read_workbook
    from pipeline.source.validate import check_together, validate

    plans, problems = [], []
    for file in files:
        try:
            plans.append(validate(read_workbook(file.path, file.data), year))
        except InputError as error:
            problems.extend(error.problems)
    problems.extend(check_together(plans))
    if problems:
        raise InputError(problems)
    return plans
