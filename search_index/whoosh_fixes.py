"""One fix to Whoosh, applied when the index is imported.

Writing a segment asks the per-document reader for each posting's field
length, and for a field that keeps no lengths (IDs, keywords, spelling
words) Whoosh looks for the lengths file on disk every time: one `stat` per
posting, about a third of the time an index build took. The answer cannot
change while the reader is open, so it is remembered.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import W3PerDocReader

_ABSENT = object()


def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
    reader = self._readers.get(fieldname, _ABSENT)
    if reader is _ABSENT:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = reader
    return reader


W3PerDocReader._cached_reader = _cached_reader
