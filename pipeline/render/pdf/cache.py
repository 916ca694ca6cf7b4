"""The part cache: laid-out parts of long overviews, kept between builds, and their record format.

A part's layout depends only on its HTML, the overview's template files (CSS, fonts), the plan
year, whether it is the first part, and the versions of everything that shapes the PDF's
bytes: the pipeline, WeasyPrint, pydyf, fontTools, Pango and HarfBuzz. The cache key hashes
exactly those (`cache_salt` and `PartCache.key`), so when one row changes only the part holding
it is laid out again, and after an upgrade no old part is mixed with new ones. The footers
are kept the same way, keyed by the footer document and the page count
(`PartCache.footers_key`): an edit that leaves the page count alone lays out no footer.

Parts and footers are stored as plain data (`encode_part`, `encode_footers`: a JSON header and
a blob of bytes), never pickled: the output folder is shared, and a planted file must not be
able to run code. A file that does not decode, a link, or a record (header and blob) that does
not match its hash, format and key, is a miss.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from pipeline.core.model import Document
from pipeline.render.pdf.part import BookmarkPage, Footers, Part

FORMAT = b"pipeline-overview-part 2\n"  # a stored part's first line: the record format's version
FOOTERS_FORMAT = b"pipeline-overview-footers 1\n"  # the same for stored footers


def library_versions() -> dict[str, str]:
    """Return the version of the pipeline and of every library that shapes the PDF's bytes."""
    from pipeline import __version__
    from pipeline.render.pdf.adapter import library_versions as pdf_libraries

    return {"pipeline": __version__, **pdf_libraries()}


def cache_salt(templates: Path, versions: Mapping[str, str]) -> bytes:
    """Return what every part's cache key hashes: the record format, `versions` (by name, as
    `library_versions` gives them) and the overview's template files (names and contents)."""
    from pipeline.core.digest import digest, file_entries
    from pipeline.core.model import DocumentKind
    from pipeline.documents.kinds import template_files

    files = file_entries(templates, template_files(DocumentKind.OVERVIEW, templates))
    return digest([FORMAT.decode(), sorted(versions.items()), files]).encode()


class PartCache:
    """Laid-out parts of long overviews in the output folder's bookkeeping, one file per part.
    Each overview keeps only the parts of its latest build."""

    FORMAT = FORMAT

    def __init__(self, folder: Path, templates: Path, *, read: bool = True,
                 versions: Mapping[str, str] | None = None):
        self.folder = folder
        self.templates = templates
        self.read = read  # False (`--force`): lay every part out again, and store it afresh
        self.versions = versions  # None: the versions installed (tests give others)

    def learn(self, versions: Mapping[str, str]) -> None:
        """Take the installed `library_versions` from a process that has WeasyPrint imported
        already (a worker), so this one need not import it to make keys. Versions given when
        the cache was made stay."""
        if self.versions is None:
            self.versions = dict(versions)

    @cached_property
    def salt(self) -> bytes:
        """The key's salt (computed only when a build has a long overview)."""
        return cache_salt(self.templates, library_versions() if self.versions is None else self.versions)

    def key(self, document: Document, source: str, *, first: bool) -> str:
        """Return the cache key of the part of `document` laid out from the HTML `source`."""
        return self._key(document, b"%d %d\n" % (document.year, first), source)

    def footers_key(self, document: Document, footer: str, page_count: int) -> str:
        """Return the cache key of `document`'s footers: the footer document `footer` laid out
        with `page_count` pages."""
        return self._key(document, b"%d footers %d\n" % (document.year, page_count), footer)

    def _key(self, document: Document, head: bytes, source: str) -> str:
        digest = hashlib.sha256(self.salt)
        digest.update(head)
        digest.update(source.encode("utf-8"))
        return f"{document.path.stem}-{digest.hexdigest()[:40]}"

    def holds(self, key: str) -> bool:
        """True when something is stored under `key` (whether it loads is `load`'s question)."""
        return self.read and (self.folder / f"{key}.part").is_file()

    def load(self, key: str) -> Part | None:
        """Return the part stored under `key`, or None (a miss)."""
        data = self._read(key)
        return None if data is None else decode_part(data, key)

    def load_footers(self, key: str) -> Footers | None:
        """Return the footers stored under `key`, or None (a miss)."""
        data = self._read(key)
        return None if data is None else decode_footers(data, key)

    def store(self, key: str, part: Part) -> None:
        self._write(key, encode_part(part, key))

    def store_footers(self, key: str, footers: Footers) -> None:
        self._write(key, encode_footers(footers, key))

    def _read(self, key: str) -> bytes | None:
        if not self.read:
            return None
        path = self.folder / f"{key}.part"
        try:
            if path.is_symlink() or not path.is_file():
                return None
            return path.read_bytes()
        except OSError:
            return None

    def _write(self, key: str, record: bytes) -> None:
        from pipeline.core.files import atomic_write

        try:
            atomic_write(self.folder / f"{key}.part", record)
        except OSError:
            pass  # a cache that cannot be written only costs time next build

    def keep_only(self, document: Document, keys: set[str]) -> None:
        """Delete `document`'s cached parts other than `keys`."""
        for path in self.folder.glob(f"{document.path.stem}-*.part"):
            if path.stem not in keys:
                path.unlink(missing_ok=True)

    def prune(self, stems: set[str]) -> None:
        """Delete the cached parts of overviews that are no longer built (not in `stems`)."""
        for path in self.folder.glob("*.part"):
            if path.stem.rsplit("-", 1)[0] not in stems:
                path.unlink(missing_ok=True)


# --- The record format ---------------------------------------------------------------------------

def encode_part(part: Part, key: str) -> bytes:
    """Return `part` as bytes: FORMAT, the hash of the rest, the JSON header's length, the header
    (with the part's cache `key` and where each piece lies in the blob), the blob."""
    blob = bytearray()

    def put(data: bytes) -> list[int]:
        blob.extend(data)
        return [len(blob) - len(data), len(data)]

    header = {
        "count": part.count,
        "objects": [[number, *put(data)] for number, data in part.objects],
        "streams": [[number, *put(head), *put(content)] for number, head, content in part.streams],
        "keyed": [[number, *put(data), key] for number, data, key in part.keyed],
        "pages": [[number, *put(data), *put(contents), key] for number, data, contents, key in part.pages],
        "resources": [part.resources[0], *put(part.resources[1]), *put(part.resources[2])],
        "kids": [put(kid) for kid in part.kids],
        "nums": [put(value) for value in part.nums],
        "bookmarks": [[page.bookmarks, page.width, page.height] for page in part.bookmark_pages],
        "catalog": {key: put(value) for key, value in part.catalog.items()},
        "info": put(part.info),
    }
    return _sealed(FORMAT, header, blob, key)


def encode_footers(footers: Footers, key: str) -> bytes:
    """Return `footers` as bytes, in the same kind of record as `encode_part`."""
    blob = bytearray()

    def put(data: bytes | None) -> list[int]:
        if data is None:
            return []
        blob.extend(data)
        return [len(blob) - len(data), len(data)]

    header = {
        "count": footers.count,
        "objects": [[number, *put(head), *put(content)] for number, head, content in footers.objects],
        "forms": footers.forms,
    }
    return _sealed(FOOTERS_FORMAT, header, blob, key)


def _sealed(record_format: bytes, header: dict[str, Any], blob: bytearray, key: str) -> bytes:
    header["key"] = key
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    record = b"%d\n" % len(head) + head + bytes(blob)
    return record_format + hashlib.sha256(record).hexdigest().encode("ascii") + b"\n" + record


def decode_part(data: bytes, key: str) -> Part | None:
    """Return the Part `encode_part` made for `key`, or None for anything else (checked, never trusted).

    The hash covers the whole record, header and blob: a header with one digit changed would
    otherwise point into the blob at the wrong place and make a broken PDF."""
    return _opened(data, FORMAT, key, _Reader.part)


def decode_footers(data: bytes, key: str) -> Footers | None:
    """Return the Footers `encode_footers` made for `key`, or None for anything else."""
    return _opened(data, FOOTERS_FORMAT, key, _Reader.footers)


def _opened(data: bytes, record_format: bytes, key: str, read: Callable[[_Reader], Any]) -> Any:
    try:
        if not data.startswith(record_format):
            return None
        digest, record = data[len(record_format):].split(b"\n", 1)
        if hashlib.sha256(record).hexdigest().encode("ascii") != digest:
            return None
        length, rest = record.split(b"\n", 1)
        header = json.loads(rest[:int(length)])
        if header["key"] != key:
            return None
        return read(_Reader(header, memoryview(rest)[int(length):]))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


class _Reader:
    """Reads a decoded header against its blob, checking every number and type on the way."""

    def __init__(self, header: dict[str, Any], blob: memoryview):
        self.header = header
        self.blob = blob
        self.count = _natural(header["count"])

    def take(self, start: Any, size: Any) -> bytes:
        start, size = _natural(start), _natural(size)
        if start + size > len(self.blob):
            raise ValueError("outside the blob")
        return bytes(self.blob[start:start + size])

    def local(self, number: Any) -> int:
        if _natural(number) >= self.count:
            raise ValueError("object number outside the part")
        return number

    def part(self) -> Part:
        header, take, local = self.header, self.take, self.local
        resources = header["resources"]
        return Part(
            self.count,
            [(local(n), take(a, b)) for n, a, b in header["objects"]],
            [(local(n), take(a, b), take(c, d)) for n, a, b, c, d in header["streams"]],
            [(local(n), take(a, b), _natural(k)) for n, a, b, k in header["keyed"]],
            [(local(n), take(a, b), take(c, d), _optional(k)) for n, a, b, c, d, k in header["pages"]],
            (local(resources[0]), take(*resources[1:3]), take(*resources[3:5])),
            [take(a, b) for a, b in header["kids"]],
            [take(a, b) for a, b in header["nums"]],
            [BookmarkPage(_bookmarks(marks), _real(width), _real(height))
             for marks, width, height in header["bookmarks"]],
            {_text(name): take(a, b) for name, (a, b) in header["catalog"].items()},
            take(*header["info"]))

    def footers(self) -> Footers:
        objects: list[tuple[int, bytes, bytes | None]] = []
        for entry in self.header["objects"]:  # [number, head at, size] and, for a stream, [content at, size]
            if len(entry) not in (3, 5):
                raise ValueError("not a footer object")
            content = self.take(*entry[3:]) if len(entry) == 5 else None
            objects.append((self.local(entry[0]), self.take(*entry[1:3]), content))
        return Footers(self.count, objects, [self.local(number) for number in self.header["forms"]])


def _bookmarks(entries: Any) -> list[tuple[int, str, tuple[float, float], str]]:
    return [(_natural(level), _text(label), (_real(x), _real(y)), _text(state))
            for level, label, (x, y), state in entries]


def _optional(value: Any) -> int | None:
    return None if value is None else _natural(value)


def _natural(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(f"not a natural number: {value!r}")
    return value


def _real(value: Any) -> float:
    if type(value) not in (int, float):
        raise ValueError(f"not a number: {value!r}")
    return float(value)


def _text(value: Any) -> str:
    if type(value) is not str:
        raise ValueError(f"not text: {value!r}")
    return value
