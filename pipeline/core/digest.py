"""One way to turn a value into a key: SHA-256 over its canonical JSON.

Every key the pipeline compares between runs (a document's fingerprint and its parts, a calendar
file's, the part cache's) is made here, so two runs agree on a key exactly when they agree on
what went into it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date


def digest(value: object) -> str:
    """Return the hex SHA-256 of `value` as canonical JSON: keys sorted, text as UTF-8, dates as
    ISO dates. Raises TypeError for anything else JSON cannot hold, so nothing is keyed by chance."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=_json_value)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json_value(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot key a {type(value).__name__}")
