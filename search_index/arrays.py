"""Every document's brief as NumPy arrays, so that totals, facets and filters over a large result
set cost array operations instead of a Python loop over each match.

Segments never change once written (deletions are kept apart and matches
never include deleted documents), so a segment's arrays are built once, from
its brief column, and kept while the segment lives; a searcher's arrays are
its segments' arrays end to end. Names (speakers, publishers, types) are
interned once per process into small integer codes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from whoosh.searching import Searcher

from events.edtf_dates import FIRST_DAY, LAST_DAY
from search_index.documents import Brief

_CACHED_SEGMENTS = 256
FIRST, LAST = int(FIRST_DAY.replace("-", "")), int(LAST_DAY.replace("-", ""))


class Names:
    """Strings to dense integer codes and back, shared by every segment."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        self.names: list[str] = []
        self._lock = threading.Lock()

    def code(self, name: str) -> int:
        code = self._codes.get(name)
        if code is None:
            with self._lock:
                code = self._codes.setdefault(name, len(self.names))
                if code == len(self.names):
                    self.names.append(name)
        return code


NAMES = Names()


@dataclass(frozen=True)
class DocArrays:
    """Per document: its fact's position (-1 for entities and the checkpoint), whether it is the
    fact's own document (which stores the record) rather than an excerpt, the first and last day
    it stands for (yyyymmdd: when it can have occurred, or the known end of a half-open date), its
    first year, and the codes of its speaker (-1 for none), type and quote kind (-1 for facts other
    than statements); publishers as ragged rows (`publishers[starts[d]:starts[d + 1]]`)."""

    position: np.ndarray
    own: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    year: np.ndarray
    speaker: np.ndarray
    type: np.ndarray
    quote_kind: np.ndarray
    starts: np.ndarray
    publishers: np.ndarray

    @classmethod
    def of_briefs(cls, briefs: Iterable[Brief | None], n: int) -> DocArrays:
        """From the `n` briefs of a segment, taken one at a time (a list of them all would
        hold a segment's worth of Python objects at once)."""
        position = np.full(n, -1, dtype=np.int64)
        own = np.zeros(n, dtype=bool)
        lower = np.zeros(n, dtype=np.int32)
        upper = np.zeros(n, dtype=np.int32)
        speaker = np.full(n, -1, dtype=np.int32)
        type_ = np.full(n, -1, dtype=np.int32)
        kind = np.full(n, -1, dtype=np.int32)
        counts = np.zeros(n, dtype=np.int64)
        publishers: list[int] = []
        for d, brief in enumerate(briefs):
            if brief is None:
                continue
            position[d] = brief.position
            own[d] = brief.source is None
            lower[d] = int(brief.lower.replace("-", ""))
            upper[d] = int(brief.upper.replace("-", ""))
            if brief.speaker:
                speaker[d] = NAMES.code(brief.speaker)
            type_[d] = NAMES.code(brief.type)
            if brief.quote_kind:
                kind[d] = NAMES.code(brief.quote_kind)
            counts[d] = len(brief.publishers)
            publishers.extend(NAMES.code(p) for p in brief.publishers)
        starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        # A date with an open start stands at its end, an open end at its start (as on timelines), so
        # "/2012" is dated, filtered and counted in 2012, not at the beginning of time.
        open_start, open_end = (lower == FIRST) & (upper != LAST), (upper == LAST) & (lower != FIRST)
        lower[open_start], upper[open_end] = upper[open_start], lower[open_end]
        return cls(position, own, lower, upper, lower // 10000, speaker, type_, kind, starts, np.array(publishers, dtype=np.int32))

    @classmethod
    def joined(cls, parts: list[DocArrays]) -> DocArrays:
        if len(parts) == 1:
            return parts[0]
        starts = [parts[0].starts[:-1]]
        offset = parts[0].starts[-1]
        for part in parts[1:]:
            starts.append(part.starts[:-1] + offset)
            offset += part.starts[-1]
        starts.append(np.array([offset], dtype=np.int64))
        return cls(
            *(np.concatenate([getattr(p, name) for p in parts]) for name in ("position", "own", "lower", "upper", "year", "speaker", "type", "quote_kind")),
            np.concatenate(starts),
            np.concatenate([p.publishers for p in parts]),
        )

    def publishers_of(self, docs: np.ndarray) -> np.ndarray:
        """The publisher codes of these documents, concatenated."""
        begin, end = self.starts[docs], self.starts[docs + 1]
        lengths = end - begin
        if not len(docs) or not lengths.sum():
            return np.zeros(0, dtype=np.int32)
        # For each document, the run begin..end: offsets within runs added to each run's start.
        runs = np.repeat(begin - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        return self.publishers[runs + np.arange(lengths.sum())]


_segments: OrderedDict[str, DocArrays] = OrderedDict()
_segments_lock = threading.Lock()


def doc_arrays(searcher: Searcher) -> DocArrays:
    """The arrays of every document `searcher` sees, built once per segment."""
    cached: DocArrays | None = getattr(searcher, "_accord_arrays", None)
    if cached is not None:
        return cached
    parts = []
    for leaf, _offset in searcher.leaf_searchers():
        reader = leaf.reader()
        segment = reader.segment()
        key = segment.segment_id() if segment is not None else None
        with _segments_lock:
            part = _segments.get(key) if key else None
            if part is not None:
                _segments.move_to_end(key)  # type: ignore[arg-type]
        if part is None:
            column = reader.column_reader("brief") if reader.has_column("brief") else [b""] * reader.doc_count_all()
            part = DocArrays.of_briefs((Brief.unpack(raw) if raw else None for raw in column), reader.doc_count_all())
            if key:
                with _segments_lock:
                    _segments[key] = part
                    while len(_segments) > _CACHED_SEGMENTS:
                        _segments.popitem(last=False)
        parts.append(part)
    joined = DocArrays.joined(parts) if parts else DocArrays.of_briefs((), 0)
    searcher._accord_arrays = joined  # type: ignore[attr-defined]
    return joined


def own_documents(searcher: Searcher) -> tuple[np.ndarray, np.ndarray]:
    """The live facts' own documents (those that store the records) and their positions, in position order."""
    cached: tuple[np.ndarray, np.ndarray] | None = getattr(searcher, "_accord_own", None)
    if cached is None:
        arrays = doc_arrays(searcher)
        docs = np.flatnonzero(arrays.own & (arrays.position >= 0) & live(searcher))
        order = np.argsort(arrays.position[docs], kind="stable")
        cached = (docs[order], arrays.position[docs][order])
        searcher._accord_own = cached  # type: ignore[attr-defined]
    return cached


def live(searcher: Searcher) -> np.ndarray:
    """Whether each document `searcher` sees is live (not deleted)."""
    cached: np.ndarray | None = getattr(searcher, "_accord_live", None)
    if cached is None:
        cached = np.ones(searcher.doc_count_all(), dtype=bool)
        for leaf, offset in searcher.leaf_searchers():
            reader = leaf.reader()
            if reader.has_deletions():
                cached[offset + np.fromiter(reader.deleted_docs_set, dtype=np.int64)] = False
        searcher._accord_live = cached  # type: ignore[attr-defined]
    return cached
