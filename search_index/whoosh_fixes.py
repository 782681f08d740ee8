"""Fixes to Whoosh, applied when the index is imported.

Field lengths: writing a segment asks the per-document reader for each
posting's field length, and so does scoring each match. For a field that
keeps no lengths (IDs, keywords) Whoosh looked for the lengths file on disk
every time: one `stat` per posting, about a third of an index build. For a
field that does, every call unpacked one byte from the file. Segments never
change once written, so a column's presence is remembered and a lengths
column is read into memory once, as an array.

File names: Whoosh names segments and temporary files with the `random`
module, whose state anything in the process may seed (property-based tests
do, before every example): the same "random" segment name then comes up twice
and the commit fails. Names are drawn from the operating system instead.
"""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np
import whoosh.codec.base
import whoosh.filedb.compound
import whoosh.filedb.filestore
import whoosh.multiproc
import whoosh.util
import whoosh.writing
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocReader

_ABSENT = object()
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
    reader = self._readers.get(fieldname, _ABSENT)
    if reader is _ABSENT:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        if reader is not None and column is LENGTHS_COLUMN:
            # One byte a document, stored as a run of bytes: read it whole (documents past the
            # run have the default, 0).
            codes = np.zeros(reader._doccount, dtype=np.uint8)
            codes[: reader._count] = np.frombuffer(reader._dbfile.get(reader._basepos, reader._count), dtype=np.uint8)
            reader = codes
        self._readers[fieldname] = reader
    return reader


def random_name(size: int = 28) -> str:
    return "".join(secrets.choice(_NAME_CHARS) for _ in range(size))


W3PerDocReader._cached_reader = _cached_reader
for module in (whoosh.util, whoosh.codec.base, whoosh.filedb.filestore, whoosh.filedb.compound, whoosh.writing, whoosh.multiproc):
    module.random_name = random_name  # type: ignore[attr-defined]
