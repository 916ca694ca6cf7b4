"""Shared fixtures: the sample plan, its planned documents, and writers for small test plans."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from pipeline.core.model import Document, Plan
from pipeline.documents.planning import plan_documents
from pipeline.source.read import read_workbook
from pipeline.source.validate import validate

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "input" / "implementeringsplan_2017.xlsx"
TEMPLATES = ROOT / "templates"
HEADER = ("Dato", "Tema", "Aktivitet", "Deltagerkreds")

Cell = str | int | float | date | None


def write_xlsx(path: Path, rows: Iterable[Sequence[Cell]], header: Sequence[str] = HEADER,
               title_rows: Sequence[Sequence[Cell]] = (),
               sheets: dict[str, Sequence[Sequence[Cell]]] | None = None) -> Path:
    """Write a workbook with a `Plan` sheet (title rows, header, rows) and any extra sheets."""
    book = Workbook()
    plan = book.active
    plan.title = "Plan"
    for row in (*title_rows, header, *rows):
        plan.append(list(row))
    for name, sheet_rows in (sheets or {}).items():
        sheet = book.create_sheet(name)
        for row in sheet_rows:
            sheet.append(list(row))
    book.save(path)
    return path


def write_csv(path: Path, rows: Iterable[Sequence[Cell]], header: Sequence[str] = HEADER,
              delimiter: str = ";", encoding: str = "cp1252") -> Path:
    """Write a CSV plan the way Danish Excel does by default (`;`, Windows-1252)."""
    with path.open("w", encoding=encoding, newline="") as file:
        writer = csv.writer(file, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="session")
def sample_plan() -> Plan:
    return validate(read_workbook(SAMPLE))


@pytest.fixture(scope="session")
def sample_documents(sample_plan: Plan) -> dict[str, Document]:
    """The sample's planned documents by output path (`droeftelser/2017-05-30_BSU_droeftelse.docx`)."""
    return {str(document.path): document for document in plan_documents([sample_plan])}


@pytest.fixture
def project(tmp_path) -> Path:
    """A shared folder as case officers have it: input/ with a copy of the sample plan, and a
    copy of the templates, so tests may change them; output/ is made by the build."""
    (tmp_path / "input").mkdir()
    shutil.copy(SAMPLE, tmp_path / "input")
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    return tmp_path
