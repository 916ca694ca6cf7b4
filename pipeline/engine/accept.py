"""Closing the hand-edit loop (`pipeline accept`) and cleaning up (`make clean`), both by the manifest.

`accept` makes a file as it is now the valid version of its document: a "(ny version)" file
takes the document's own name (the superseded file is moved aside, never deleted), and the
manifest records it as accepted at the document's current fingerprint. A build then leaves
it alone until the document's data or template change again; then a new version goes beside
it, as beside any hand-edited file.

`clean` deletes only what the pipeline wrote and nobody changed, and never a held meeting's
document; it reports what it kept.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pipeline.core.errors import UsageError, os_reason
from pipeline.core.files import file_sha256, resolve
from pipeline.engine.fingerprint import FingerprintCache, fingerprint
from pipeline.engine.lock import OutputLock
from pipeline.engine.manifest import FOLDER, Entry, Manifest, fence
from pipeline.engine.options import BuildOptions
from pipeline.engine.rules import Rules, document_path
from pipeline.engine.status import PAGES
from pipeline.source.plans import find_plans, load_plans, read_plan_files

SUPERSEDED = " (erstattet)"
_NEW_VERSION = re.compile(r"(?P<stem>.*) \(ny version(?: \d+)?\)$")


def accept(files: tuple[Path, ...], options: BuildOptions) -> list[str]:
    """Make each file the valid version of its document; return a Danish line for each."""
    from pipeline.documents.planning import plan_documents

    documents = {str(d.path): d for d in plan_documents(load_plans(read_plan_files(find_plans(options.plans)),
                                                                   options.year))}
    lines = []
    with OutputLock(options.output, options.wait):
        manifest = Manifest.load(options.output, repair=True)
        cache = FingerprintCache()
        for file in files:
            path = document_path(file, options.output)
            original = _original(path, manifest)
            document = documents.get(original)
            target = fence(options.output, path)
            if target is None or not target.is_file() or target.is_symlink():
                raise UsageError(f"{file}: filen findes ikke i outputmappen {options.output}/.")
            if document is None:
                raise UsageError(f"{file}: filen hører ikke til et dokument, planen laver "
                                 f"(kun dokumenter i {options.output}/ kan godkendes).")
            digest, parts = fingerprint(document, options.templates, cache)
            line = f"godkendt: {original}"
            if path != original:
                home = resolve(options.output, PurePosixPath(original))
                if os.path.lexists(home):
                    aside = _aside(home)
                    os.rename(home, aside)
                    line += f" (den hidtidige fil er gemt som {aside.relative_to(options.output.resolve()).as_posix()})"
                os.rename(target, home)
                manifest.entries.pop(path, None)
                target = home
            info = target.stat()
            manifest.entries[original] = Entry(digest, parts, file_sha256(target) or "", info.st_size,
                                               info.st_mtime_ns, None, document.plans[0], accepted=True)
            manifest.inputs = ""
            lines.append(line)
        manifest.save()
    return lines


def _original(path: str, manifest: Manifest) -> str:
    """Return the document a file is a version of: itself, or the one a "(ny version)" file is beside."""
    entry = manifest.entries.get(path)
    if entry is not None and entry.new_version_of:
        return entry.new_version_of
    relative = PurePosixPath(path)
    if match := _NEW_VERSION.fullmatch(relative.stem):
        return str(relative.with_name(match["stem"] + relative.suffix))
    return path


def _aside(path: Path) -> Path:
    """Return a free "… (erstattet).docx" name beside `path` (numbered when taken)."""
    for number in range(1, 1000):
        suffix = SUPERSEDED if number == 1 else f" (erstattet {number})"
        candidate = path.with_name(f"{path.stem}{suffix}{path.suffix}")
        if not os.path.lexists(candidate):
            return candidate
    raise UsageError(f"For mange erstattede versioner af {path.name}; ryd op i mappen.")


@dataclass
class Cleaned:
    """What `clean` did: files removed, and files kept with why (Danish)."""

    removed: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)


def clean(output: Path, rules: Rules, wait: float = 5.0) -> Cleaned:
    """Delete the files the pipeline wrote and nobody changed, except held meetings' documents."""
    result = Cleaned()
    if not output.is_dir():
        return result
    with OutputLock(output, wait):
        manifest = Manifest.load(output, repair=True)
        for path, entry in sorted(manifest.entries.items()):
            target = fence(output, path)
            if target is None or not os.path.lexists(target):
                del manifest.entries[path]
            elif not entry.holds(target):
                result.kept[path] = "ændret i hånden"
            elif rules.closed(path):
                result.kept[path] = "mødet er holdt"
            else:
                try:
                    target.unlink()
                except OSError as error:
                    result.kept[path] = f"kunne ikke slettes: {os_reason(error)}"
                    continue
                del manifest.entries[path]
                result.removed.append(path)
        manifest.inputs = ""
        manifest.save()
        shutil.rmtree(output / FOLDER / "parts", ignore_errors=True)  # the part cache is ours alone
        for name in PAGES:  # the status page and change log are the pipeline's own, rewritten by every build
            page = output / name
            if page.is_file() and not page.is_symlink():
                try:
                    page.unlink()
                except OSError as error:
                    result.kept[name] = f"kunne ikke slettes: {os_reason(error)}"
    ours = set(manifest.entries)
    for path in sorted(output.rglob("*")):
        relative = path.relative_to(output).as_posix()
        if relative.split("/")[0] == FOLDER or relative in ours or path.name == ".gitkeep" or relative in result.kept:
            continue
        if path.is_file() or path.is_symlink():
            result.kept[relative] = "ikke skrevet af pipelinen"
    for folder in sorted({output / PurePosixPath(p).parent for p in result.removed}, reverse=True):
        if folder != output and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return result
