"""The part cache's key holds every version that shapes the PDF's bytes: change one, and every
cached part is a miss, laid out again into the same PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_build import PDF, options

from pipeline.documents.kinds import build_context
from pipeline.documents.planning import plan_documents
from pipeline.engine.build import build
from pipeline.render.overview import prepare_split
from pipeline.render.pdf.cache import PartCache, cache_salt, library_versions
from pipeline.source.read import read_workbook
from pipeline.source.validate import validate

from conftest import SAMPLE, TEMPLATES

SHAPERS = ("pipeline", "weasyprint", "pydyf", "fonttools", "pango", "harfbuzz")


def test_the_key_names_every_library_that_shapes_the_bytes() -> None:
    versions = library_versions()
    assert set(versions) == set(SHAPERS)
    assert all(versions.values()), versions


@pytest.mark.parametrize("name", SHAPERS)
def test_a_changed_version_changes_the_salt(name: str) -> None:
    versions = library_versions()
    assert cache_salt(TEMPLATES, versions) == cache_salt(TEMPLATES, dict(versions))
    assert cache_salt(TEMPLATES, {**versions, name: versions[name] + ".1"}) != cache_salt(TEMPLATES, versions)


def restore_under(project: Path, versions: dict[str, str]) -> set[str]:
    """Move every cached part of the sample's overview, and its footers, to the key they have
    under `versions`; return the file names they had under the installed versions."""
    folder = project / "output" / ".pipeline" / "parts"
    templates = project / "templates"
    installed = PartCache(folder, templates)
    other = PartCache(folder, templates, versions=versions)
    (plan,) = [validate(read_workbook(project / "input" / SAMPLE.name))]
    document = next(d for d in plan_documents([plan]) if str(d.path) == PDF)
    split = prepare_split(document, build_context(document), templates)
    names, pages = set(), 0
    for number, source in enumerate(split.sources):
        key = installed.key(document, source, first=number == 0)
        part = installed.load(key)
        assert part is not None, "the build cached every part"
        pages += len(part.pages)
        (folder / f"{key}.part").unlink()
        other.store(other.key(document, source, first=number == 0), part)
        names.add(f"{key}.part")
    key = installed.footers_key(document, split.footer, pages)
    footers = installed.load_footers(key)
    assert footers is not None and len(footers.forms) == pages, "the build cached the footers"
    (folder / f"{key}.part").unlink()
    other.store_footers(other.footers_key(document, split.footer, pages), footers)
    names.add(f"{key}.part")
    return names


def part_files(project: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (project / "output" / ".pipeline" / "parts").glob("*.part")}


@pytest.mark.parametrize("changed", [None, "weasyprint", "pango"])
def test_parts_cached_under_other_versions_are_all_laid_out_again(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  changed: str | None) -> None:
    monkeypatch.setenv("PIPELINE_OVERVIEW_CHUNK", "3")
    build(options(project))
    reference = (project / "output" / PDF).read_bytes()
    versions = library_versions()
    if changed:
        versions[changed] = "0.0-an-older-one"
    installed_names = restore_under(project, versions)
    stored = part_files(project)
    assert len(stored) == len(installed_names) > 4
    (project / "output" / PDF).unlink()
    build(options(project))
    assert (project / "output" / PDF).read_bytes() == reference
    after = part_files(project)
    if changed:  # every part a miss: laid out again, stored under its key; the old ones removed
        assert set(after) == installed_names and not set(stored) & set(after)
    else:  # the control: the same versions give the same keys, and every part is a hit
        assert after == stored
