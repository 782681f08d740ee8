"""A word's postings and positions in one segment, read out as NumPy arrays and kept.

A segment never changes once written, so neither do its postings: the arrays
decoded for a word are kept, by segment, in a cache bounded by the bytes they
hold (common words come back query after query). Segments written by
`search_index.codec` hand their blocks' ids and weights to NumPy in place;
segments in Whoosh's own format are unpickled a block at a time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from search_index.codec import BLOCK_HEADER, ArrayBlock, ArrayLeafMatcher, array_positions, value_positions

Arrays = tuple[np.ndarray, ...]


class DecodedCache:
    """Decoded arrays of recent words, by segment, least recently used dropped first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.held = 0
        self.entries: OrderedDict[tuple[Any, ...], Arrays] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Arrays | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], value: Arrays) -> None:
        size = sum(array.nbytes for array in value)
        for array in value:  # shared by every search that asks for them
            array.setflags(write=False)
        with self.lock:
            if key in self.entries or size > self.max_bytes // 4:
                return
            self.entries[key] = value
            self.held += size
            self._trim()

    def resize(self, max_bytes: int) -> None:
        with self.lock:
            self.max_bytes = max_bytes
            self._trim()

    def _trim(self) -> None:
        while self.held > self.max_bytes:
            _, dropped = self.entries.popitem(last=False)
            self.held -= sum(array.nbytes for array in dropped)


DEFAULT_CACHE_MB = 512
CACHE = DecodedCache(max_bytes=DEFAULT_CACHE_MB * 2**20)
_EMPTY: Arrays = (np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))


def set_cache_size(megabytes: int) -> None:
    """Bound the decoded arrays this process keeps (the least recently used go first)."""
    CACHE.resize(megabytes * 2**20)


def postings(segment: Any, field: str, text: str | bytes) -> Arrays:
    """A word's ids, weights and field lengths in one segment, deleted documents included."""
    key = (segment.segment().segment_id(), field, text)
    found = CACHE.get(key)
    if found is None:
        matcher = _matcher(segment, field, text)
        if matcher is None:
            return _EMPTY
        ids, weights = _postings(matcher)
        found = (ids, weights, field_lengths(segment, field)[ids])
        CACHE.put(key, found)
    return found


def positions(segment: Any, field: str, text: str | bytes) -> Arrays:
    """A word's ids in one segment with its positions in each: document i's run is
    positions[starts[i]:starts[i + 1]] (ids and positions as 32-bit integers, to keep the cache small)."""
    key = (segment.segment().segment_id(), field, text, "positions")
    found = CACHE.get(key)
    if found is not None:
        return found
    found = _decoded(segment, field, text, None)
    CACHE.put(key, found)
    return found


PARTIAL_SHARE = 8
"""A phrase's candidates in fewer than one block in this many of a word's blocks: only those blocks
are decoded (a stop word's postings are long, and most phrases narrow down to a few documents)."""


def positions_within(segment: Any, field: str, text: str | bytes, wanted: np.ndarray) -> Arrays:
    """As `positions`, but only sure to hold the documents `wanted` (ascending numbers in the segment)."""
    found = CACHE.get((segment.segment().segment_id(), field, text, "positions"))
    if found is not None:
        return found
    directory = _block_directory(segment, field, text)
    if directory is None:
        return positions(segment, field, text)
    last_ids, _ = directory
    chosen = np.searchsorted(last_ids, wanted)  # ascending, as `wanted` is
    chosen = chosen[chosen < len(last_ids)]
    if len(chosen):
        chosen = chosen[np.concatenate(([True], chosen[1:] != chosen[:-1]))]
    if len(chosen) * PARTIAL_SHARE > len(last_ids):
        return positions(segment, field, text)
    return _decoded(segment, field, text, chosen)


def _block_directory(segment: Any, field: str, text: str | bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """Each block's last id and where its header starts, for a word in array blocks of a mapped file
    (None otherwise)."""
    key = (segment.segment().segment_id(), field, text, "blocks")
    found = CACHE.get(key)
    if found is None:
        matcher = _matcher(segment, field, text)
        if not isinstance(matcher, ArrayLeafMatcher) or not hasattr(matcher._postfile, "_view"):
            return None
        last_ids, offsets = [], []
        while not matcher._atend:
            last_ids.append(matcher._maxid)
            offsets.append(matcher._dataoffset - BLOCK_HEADER)
            matcher._next_block()
        found = (np.array(last_ids, dtype=np.int64), np.array(offsets, dtype=np.int64))
        CACHE.put(key, found)
    return found[0], found[1]


def _decoded(segment: Any, field: str, text: str | bytes, chosen: np.ndarray | None) -> Arrays:
    """The positions of a word's blocks (the `chosen` ones, or all), read straight from the mapped
    file where they are uncompressed array blocks of positions, through the matcher otherwise (all
    blocks then: more than asked for is still right)."""
    matcher = _matcher(segment, field, text)
    if matcher is None:
        return _assembled([], [], [])
    directory = _block_directory(segment, field, text)
    if directory is not None:
        offsets = directory[1] if chosen is None else directory[1][chosen]
        read = array_positions(matcher._postfile._view, offsets.tolist())
        if read is not None:
            return _assembled(*read)
    form = segment.schema[field].format
    ids, counts, deltas = [], [], []
    for block in _blocks(matcher):
        ids.append(_block_ids(block))
        block_counts, block_deltas = _block_positions(block, form)
        counts.append(block_counts)
        deltas.append(block_deltas)
    return _assembled(ids, counts, deltas)


def _assembled(ids: list[np.ndarray], counts: list[np.ndarray], deltas: list[np.ndarray]) -> Arrays:
    count = np.concatenate(counts).astype(np.int64) if counts else np.zeros(0, dtype=np.int64)
    steps = np.concatenate(deltas).astype(np.int64) if deltas else np.zeros(0, dtype=np.int64)
    starts = np.zeros(len(count) + 1, dtype=np.int64)
    np.cumsum(count, out=starts[1:])
    # Positions are stored as deltas from the previous one in the same document.
    at = np.cumsum(steps)
    at -= np.repeat(at[starts[:-1]] - steps[starts[:-1]], count)
    every = np.concatenate(ids).astype(np.int32) if ids else np.zeros(0, dtype=np.int32)
    return (every, starts, at.astype(np.int32))


def frequency(segment: Any, field: str, text: str | bytes) -> int:
    """How many documents of one segment hold a word (0 if none)."""
    return _term_info(segment, field, text)[0]


def document_frequency(searcher: Searcher, field: str, text: str | bytes) -> int:
    """How many documents of the whole index hold a word, deleted ones included (as Whoosh counts)."""
    return sum(frequency(segment, field, text) for segment, _ in leaves(searcher))


def leaves(searcher: Searcher) -> list[tuple[Any, int]]:
    """Each segment's reader and the number of its first document."""
    found: list[tuple[Any, int]] | None = getattr(searcher, "_accord_leaves", None)
    if found is None:
        found = searcher._accord_leaves = [(leaf.reader(), offset) for leaf, offset in searcher.leaf_searchers()]  # type: ignore[attr-defined]
    return found


def segment_state(searcher: Searcher) -> tuple[tuple[str, int], ...]:
    """What a searcher sees: its segments and how many deletions each has. Anything computed from
    the index holds for as long as this does."""
    state: tuple[tuple[str, int], ...] | None = getattr(searcher, "_accord_state", None)
    if state is None:
        state = tuple((segment.segment().segment_id(), segment.segment().deleted_count()) for segment, _ in leaves(searcher))
        searcher._accord_state = state  # type: ignore[attr-defined]
    return state


def _term_info(segment: Any, field: str, text: str | bytes) -> tuple[int, Any]:
    """A word's document frequency and Whoosh's term info (where its postings are) in one
    segment, looked up once for every thread (each has readers of its own)."""
    key = (segment.segment().segment_id(), field, text)
    found = _TERMS.get(key)
    if found is None:
        try:
            info = segment._terms.term_info(field, segment._text_to_bytes(field, text))
            found = (info.doc_frequency(), info)
        except TermNotFound:
            found = (0, None)
        if len(_TERMS) >= MAX_TERMS:
            _TERMS.clear()
        _TERMS[key] = found
    return found


_TERMS: dict[tuple[str, str, str | bytes], tuple[int, Any]] = {}
MAX_TERMS = 500_000


_LENGTHS = np.array([byte_to_length(code) for code in range(256)], dtype=np.float64)


def field_lengths(segment: Any, field: str) -> np.ndarray:
    """The segment's field lengths as an array (Whoosh keeps one byte per document, decoded here)."""
    cache: dict[str, np.ndarray] = segment.__dict__.setdefault("_accord_lengths", {})
    lengths = cache.get(field)
    if lengths is None:
        codes = segment._perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)
        lengths = _LENGTHS[np.asarray(codes, dtype=np.int64)] if codes is not None else np.zeros(segment.doc_count_all())
        cache[field] = lengths
    return lengths


def _matcher(segment: Any, field: str, text: str | bytes) -> Any:
    """A matcher over the word's postings in this reader's own files, or None if the segment lacks it."""
    info = _term_info(segment, field, text)[1]
    if info is None:
        return None
    terms = segment._terms
    return terms._codec.postings_reader(terms._postfile, info, segment.schema[field].format)


def _blocks(matcher: Any) -> Iterator[Any]:
    """The matcher at each block of a term's postings in one segment, the block's data read."""
    m = matcher
    while m.is_active():
        if m._data is None:
            m._read_data()
        yield m
        m._i = m._blocklength
        m._next_block()


def _postings(matcher: Any) -> tuple[np.ndarray, np.ndarray]:
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for block in _blocks(matcher):
        ids.append(_block_ids(block))
        weights.append(_block_weights(block))
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(ids), np.concatenate(weights)


def _block_ids(block: Any) -> np.ndarray:
    data = block._data
    if isinstance(data, ArrayBlock):
        return data.ids.astype(np.int64)
    # Whoosh's own blocks: a pickled tuple of ids (as deltas unless they fit in bytes), weights, values.
    ids = np.asarray(data[0], dtype=np.int64)
    return ids if block._byteids else np.cumsum(ids)


def _block_weights(block: Any) -> np.ndarray:
    data = block._data
    if isinstance(data, ArrayBlock):
        return data.weights.astype(np.float64)
    # None (all 1.0), one float for all, or one each.
    weights = data[1]
    if weights is None or isinstance(weights, float):
        return np.full(block._blocklength, 1.0 if weights is None else weights)
    return np.asarray(weights, dtype=np.float64)


def _block_positions(block: Any, form: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each posting's count of positions in a block, and all their deltas in order."""
    data = block._data
    if isinstance(data, ArrayBlock):
        return data.positions(form)
    return value_positions(data[2], form)
