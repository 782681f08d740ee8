"""Two fixes to Whoosh's per-document reader, applied when the index is imported.

Writing a segment asks it for each posting's field length, and so does
scoring each match. For a field that keeps no lengths (IDs, keywords) Whoosh
looked for the lengths file on disk every time: one `stat` per posting, about
a third of an index build. For a field that does, every call unpacked one
byte from the file. Segments never change once written, so a column's
presence is remembered and a lengths column is read into memory once.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocReader

_ABSENT = object()


def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
    reader = self._readers.get(fieldname, _ABSENT)
    if reader is _ABSENT:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        if reader is not None and column is LENGTHS_COLUMN:
            reader = list(reader)
        self._readers[fieldname] = reader
    return reader


W3PerDocReader._cached_reader = _cached_reader
