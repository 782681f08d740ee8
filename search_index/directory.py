"""The registered entities as the index holds them, read into a `Directory` once per index state.

Entities are documents of kind `entity` in the index (see `search_index.documents`). Each
segment's entity records are read once (segments never change) and the directory is made
anew only when the searcher's segments or deletions change, that is after a commit.
"""

from __future__ import annotations

import threading
from typing import Any

import orjson
from whoosh.searching import Searcher

from search_index.names import Directory
from search_index.postings import leaves, postings, segment_state

_records: dict[str, list[tuple[int, dict[str, Any]]]] = {}
_directories: dict[tuple[tuple[str, int], ...], Directory] = {}
_lock = threading.Lock()
_KEPT = 4
_MAX_SEGMENTS = 1024
"""Directories kept for the newest index states (a searcher opened before a commit may still ask)."""


def entity_directory(searcher: Searcher) -> Directory:
    """The entities `searcher` sees, by every key of their names."""
    state = segment_state(searcher)
    directory = _directories.get(state)
    if directory is not None:
        return directory
    records = []
    for segment, _ in leaves(searcher):
        for docnum, record in _segment_records(segment):
            if not segment.is_deleted(docnum):
                records.append(record)
    directory = Directory.of(sorted(records, key=lambda record: record["stream"]))
    with _lock:
        if len(_directories) >= _KEPT:
            _directories.pop(next(iter(_directories)))
        _directories[state] = directory
    return directory


def _segment_records(segment: Any) -> list[tuple[int, dict[str, Any]]]:
    key = segment.segment().segment_id()
    found = _records.get(key)
    if found is None:
        ids = postings(segment, "kind", "entity")[0]
        found = [(int(docnum), orjson.loads(segment.stored_fields(int(docnum))["record"])) for docnum in ids]
        with _lock:
            if len(_records) >= _MAX_SEGMENTS:  # segments merged away leave their keys behind
                _records.clear()
            _records[key] = found
    return found
