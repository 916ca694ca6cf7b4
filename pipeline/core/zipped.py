"""Writing a zip package (a .docx, a new plan's .xlsx) whose bytes do not depend on the clock.

Kept apart from `pipeline.core.files` so that a build with nothing to do does not import zipfile.
"""

from __future__ import annotations

import io
import zipfile

# Zip members carry a timestamp; a fixed one keeps .docx bytes independent of the clock.
_EPOCH = (1980, 1, 1, 0, 0, 0)


class FixedTimeZip:
    """A zip writer for python-docx's package writer (`write(pack_uri, blob)`) with fixed member times."""

    def __init__(self, file: io.BytesIO):
        self._zip = zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED)

    def write(self, pack_uri, blob: bytes) -> None:
        self.add(pack_uri.membername, blob)

    def add(self, name: str, data: bytes) -> None:
        info = zipfile.ZipInfo(name, date_time=_EPOCH)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        info.create_system = 0
        self._zip.writestr(info, data, compresslevel=6)

    def __enter__(self) -> FixedTimeZip:
        return self

    def __exit__(self, *exc_info) -> None:
        self._zip.close()
