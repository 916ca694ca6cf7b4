"""One way to turn a value into a key: SHA-256 over its canonical JSON.

Every key the pipeline compares between runs (a document's fingerprint and its parts, a calendar
file's, the build's inputs, the linted templates, the part cache's salt) is made from these
functions, so two runs agree on a key exactly when they agree on what went into it: values by
`digest`, files by `file_entries`, libraries by `package_versions`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from pipeline.core.files import file_sha256


def digest(value: object) -> str:
    """Return the hex SHA-256 of `value` as canonical JSON: keys sorted, text as UTF-8, dates as
    ISO dates. Raises TypeError for anything else JSON cannot hold, so nothing is keyed by chance."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=_json_value)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json_value(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot key a {type(value).__name__}")


def file_entries(root: Path, paths: Iterable[Path],
                 hash_file: Callable[[Path], str | None] = file_sha256) -> list[tuple[str, str]]:
    """Return each file as (its path inside `root`, with `/`; the SHA-256 of its bytes, "" when
    there is no file), in a stable order: how a key names files. `hash_file` may remember hashes."""
    return sorted((path.relative_to(root).as_posix(), hash_file(path) or "") for path in paths)


def every_file(folder: Path) -> list[Path]:
    """Return every regular file under `folder` (none when it is no folder)."""
    return [path for path in folder.rglob("*") if path.is_file()] if folder.is_dir() else []


def package_versions(*names: str) -> dict[str, str]:
    """Return the installed version of each Python package `names` names."""
    from importlib.metadata import version

    return {name: version(name) for name in names}
