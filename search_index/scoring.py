"""Matching and BM25F scoring of a whole query at once, over arrays of postings.

Whoosh scores one match at a time in Python: fine for a hundred matches, slow
for the tens of thousands a common word finds in a large archive, where a
search must still count every match for its total and facets. Here each
word's postings are read block by block into arrays and scored with the
formula Whoosh's BM25F uses; AND intersects, OR unites and adds. Phrases
are checked on decoded positions and score as their words; a prefix scores
as the words it stands for (Whoosh gives each of its matches 1.0). A query of
any other shape returns None and is answered by Whoosh alone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from search_index.arrays import live

B = 0.75
K1 = 1.2
MAX_EXPANSION = 2000
"""Words a prefix may stand for; beyond that, Whoosh answers the query."""


@dataclass(frozen=True)
class Scored:
    """Matching documents (global numbers, ascending, unique) and their scores."""

    docs: np.ndarray
    scores: np.ndarray

    @classmethod
    def empty(cls) -> Scored:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0))

    def union(self, other: Scored) -> Scored:
        docs = np.concatenate((self.docs, other.docs))
        unique, inverse = np.unique(docs, return_inverse=True)
        return Scored(unique, np.bincount(inverse, weights=np.concatenate((self.scores, other.scores)), minlength=len(unique)))

    def intersection(self, other: Scored) -> Scored:
        docs, mine, theirs = np.intersect1d(self.docs, other.docs, assume_unique=True, return_indices=True)
        return Scored(docs, self.scores[mine] + other.scores[theirs])

    def within(self, docs: np.ndarray) -> Scored:
        keep = np.isin(self.docs, docs, assume_unique=True)
        return Scored(self.docs[keep], self.scores[keep])


def scored(searcher: Searcher, q: wq.Query) -> Scored | None:
    """Every document `q` matches with its score, or None if `q` has a shape only Whoosh can answer."""
    if isinstance(q, wq.Term) and type(q) is wq.Term:
        return _term(searcher, q.fieldname, q.text, q.boost)
    if isinstance(q, wq.Or):
        return _combined(searcher, q.children(), Scored.union)
    if isinstance(q, wq.And):
        return _all_of(searcher, q.children())
    if isinstance(q, wq.Phrase):
        words = _all_of(searcher, [wq.Term(q.fieldname, w, boost=q.boost) for w in q.words])
        if words is None or not len(words.docs) or len(q.words) == 1:
            return words
        adjacent = _adjacent(searcher, q.fieldname, q.words, words.docs) if q.slop == 1 else None
        if adjacent is None:
            adjacent = np.fromiter(searcher.docs_for_query(q), dtype=np.int64)
        return words.within(adjacent)
    if isinstance(q, (wq.Prefix, wq.Wildcard)):
        expanded = list(q.expanded_terms(searcher.reader()))
        if len(expanded) > MAX_EXPANSION:
            return None
        return _combined(searcher, [wq.Term(field, text, boost=q.boost) for field, text in expanded], Scored.union, empty_ok=True)
    if q is wq.NullQuery:
        return Scored.empty()
    return None


def _combined(searcher: Searcher, children: list[wq.Query], combine: object, *, empty_ok: bool = False) -> Scored | None:
    result: Scored | None = None
    for child in children:
        part = scored(searcher, child)
        if part is None:
            return None
        result = part if result is None else combine(result, part)  # type: ignore[operator]
    if result is None:
        return Scored.empty() if empty_ok or not children else None
    return result


def _all_of(searcher: Searcher, children: list[wq.Query]) -> Scored | None:
    """Documents every child matches. The rarest words go first; a common word met after the
    matches have narrowed to a few is looked up at those documents only, instead of decoding all
    of its postings."""
    ordered = sorted(children, key=lambda child: _size(searcher, child))
    result: Scored | None = None
    for child in ordered:
        terms = _terms_of(child)
        if result is not None and terms is not None and len(result.docs) <= SPARSE_LOOKUP < _size(searcher, child):
            part: Scored | None = _terms_at(searcher, terms, result.docs)
        else:
            part = scored(searcher, child)
        if part is None:
            return None
        result = part if result is None else result.intersection(part)
    return result if result is not None else Scored.empty()


SPARSE_LOOKUP = 2_000
"""Matches few enough for a common word to be looked up at each of them."""


def _terms_of(q: wq.Query) -> list[wq.Term] | None:
    """The terms of a word searched in several fields (an OR of single terms), or None."""
    if type(q) is wq.Term:
        return [q]
    if isinstance(q, wq.Or) and all(type(child) is wq.Term for child in q.children()):
        return list(q.children())
    return None


def _size(searcher: Searcher, q: wq.Query) -> int:
    """About how many documents `q` matches: exact for words, large for anything else."""
    terms = _terms_of(q)
    if terms is None:
        return 1 << 40
    reader = searcher.reader()
    return sum(reader.doc_frequency(t.fieldname, t.text) for t in terms)


def _terms_at(searcher: Searcher, terms: list[wq.Term], docs: np.ndarray) -> Scored:
    """The documents among `docs` that any of `terms` matches, with the terms' summed scores."""
    result = Scored.empty()
    for term in terms:
        result = result.union(_term(searcher, term.fieldname, term.text, term.boost, at=docs))
    return result


def _term(searcher: Searcher, field: str, text: str | bytes, boost: float, at: np.ndarray | None = None) -> Scored:
    reader = searcher.reader()
    if (field, text) not in reader:
        return Scored.empty()
    idf = searcher.idf(field, text)
    average = searcher.avg_field_length(field) or 1.0
    alive = live(searcher)
    docs: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    for leaf, offset in searcher.leaf_searchers():
        segment = leaf.reader()
        if (field, text) not in segment:
            continue
        if at is None:
            ids, weights, lengths = _decoded(segment, field, text)
        else:
            local = at[(at >= offset) & (at < offset + segment.doc_count_all())] - offset
            ids, weights = _postings_at(segment, field, text, local)
            lengths = _lengths(segment, field)[ids]
        if segment.has_deletions():
            keep = alive[ids + offset]
            ids, weights, lengths = ids[keep], weights[keep], lengths[keep]
        if not len(ids):
            continue
        scores.append(idf * weights * (K1 + 1) / (weights + K1 * ((1 - B) + B * lengths / average)) * boost)
        docs.append(ids + offset)
    if not docs:
        return Scored.empty()
    return Scored(np.concatenate(docs), np.concatenate(scores))


class _Decoded:
    """Decoded postings of recent words, by segment: a segment never changes, so neither do they.
    Common words come back in query after query, and decoding their blocks (unpickling and
    decompressing each) was most of a search's time. Bounded by the bytes the arrays hold."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.held = 0
        self.entries: OrderedDict[tuple[Any, ...], tuple[np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], value: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        size = sum(array.nbytes for array in value)
        with self.lock:
            if key in self.entries or size > self.max_bytes // 4:
                return
            self.entries[key] = value
            self.held += size
            while self.held > self.max_bytes:
                _, dropped = self.entries.popitem(last=False)
                self.held -= sum(array.nbytes for array in dropped)


_DECODED = _Decoded(max_bytes=128 * 1024 * 1024)


def _decoded(segment: Any, field: str, text: str | bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A word's ids, weights and field lengths in one segment, deleted documents included."""
    key = (segment.segment().segment_id(), field, text)
    found = _DECODED.get(key)
    if found is None:
        ids, weights = _postings(segment._terms.matcher(field, segment._text_to_bytes(field, text), segment.schema[field].format))
        found = (ids, weights, _lengths(segment, field)[ids])
        _DECODED.put(key, found)
    return found


def _postings_at(segment: Any, field: str, text: str | bytes, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A word's ids and weights at some documents of one segment, found by skipping through its
    postings (blocks that hold none of them are not decoded)."""
    key = (segment.segment().segment_id(), field, text)
    decoded = _DECODED.get(key)
    if decoded is not None:
        keep = np.isin(decoded[0], docs)
        return decoded[0][keep], decoded[1][keep]
    matcher = segment._terms.matcher(field, segment._text_to_bytes(field, text), segment.schema[field].format)
    ids: list[int] = []
    weights: list[float] = []
    for doc in docs.tolist():
        if not matcher.is_active():
            break
        if matcher.id() < doc:
            matcher.skip_to(doc)
            if not matcher.is_active():
                break
        if matcher.id() == doc:
            ids.append(doc)
            weights.append(matcher.weight())
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)


def _postings(matcher: Any) -> tuple[np.ndarray, np.ndarray]:
    """All ids and weights of a term in one segment, decoded a block at a time."""
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    m = matcher
    while m.is_active():
        if m._data is None:
            m._read_data()
        block_ids, block_weights = m._data[0], m._data[1]
        # Whoosh stores a block's ids as deltas unless they fit in bytes, and its weights as
        # None (all 1.0), one float for all, or one each.
        ids.append(np.asarray(block_ids, dtype=np.int64) if m._byteids else np.cumsum(np.asarray(block_ids, dtype=np.int64)))
        if block_weights is None or isinstance(block_weights, float):
            weights.append(np.full(m._blocklength, 1.0 if block_weights is None else block_weights))
        else:
            weights.append(np.asarray(block_weights, dtype=np.float64))
        m._i = m._blocklength
        m._next_block()
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(ids), np.concatenate(weights)


def _adjacent(searcher: Searcher, field: str, words: list[str], candidates: np.ndarray) -> np.ndarray | None:
    """The candidate documents in which `words` stand one after another, or None when that would
    mean decoding the positions of very common words in many documents (Whoosh does it then)."""
    found: list[np.ndarray] = []
    reader = searcher.reader()
    whole = {word: reader.doc_frequency(field, word) <= FULL_DECODE for word in words}
    for leaf, offset in searcher.leaf_searchers():
        segment = leaf.reader()
        local = candidates[(candidates >= offset) & (candidates < offset + segment.doc_count_all())] - offset
        if not len(local):
            continue
        # A document and a position, shifted back by the word's place in the phrase, as one key:
        # the phrase stands where every word has the same key.
        keys: np.ndarray | None = None
        for place, word in enumerate(words):
            decoded = _positions(segment, field, word, local, whole=whole[word])
            if decoded is None:
                return None
            ids, starts, positions = decoded
            docs = np.repeat(ids, np.diff(starts))
            keep = np.isin(docs, local)
            word_keys = docs[keep] * _POSITION_SPAN + (positions[keep] - place + _POSITION_SPAN // 2)
            keys = word_keys if keys is None else np.intersect1d(keys, word_keys)
            if not len(keys):
                break
        if keys is not None and len(keys):
            found.append(np.unique(keys // _POSITION_SPAN) + offset)
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


_POSITION_SPAN = 1 << 24
FULL_DECODE = 2_000
"""Documents (in the whole index) a word may be in for all its positions to be decoded and kept."""
SPARSE_DECODE = 3_000
"""Candidate documents for which a more common word's positions are decoded one by one."""


def _positions(
    segment: Any, field: str, text: str | bytes, local: np.ndarray, *, whole: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """A word's ids in one segment (all if `whole`, else those in `local`) with its positions in
    each: document i's run is positions[starts[i]:starts[i + 1]]."""
    key = (segment.segment().segment_id(), field, text, "positions")
    found = _DECODED.get(key)
    if found is not None:
        return found
    everywhere = whole
    if not everywhere and len(local) > SPARSE_DECODE:
        return None
    form = segment.schema[field].format
    matcher = segment._terms.matcher(field, segment._text_to_bytes(field, text), form)
    ids: list[int] = []
    runs: list[list[int]] = []
    for doc in (None,) if everywhere else local.tolist():
        if doc is not None:
            if not matcher.is_active():
                break
            if matcher.id() < doc:
                matcher.skip_to(doc)
            if not matcher.is_active() or matcher.id() != doc:
                continue
        while matcher.is_active():
            ids.append(matcher.id())
            runs.append(form.decode_positions(matcher.value()))
            matcher.next()
            if doc is not None:
                break
    starts = np.zeros(len(runs) + 1, dtype=np.int64)
    np.cumsum([len(run) for run in runs], out=starts[1:])
    found = (np.array(ids, dtype=np.int64), starts, np.fromiter((p for run in runs for p in run), dtype=np.int64))
    if everywhere:
        _DECODED.put(key, found)
    return found


_LENGTHS = np.array([byte_to_length(code) for code in range(256)], dtype=np.float64)


def _lengths(segment: object, field: str) -> np.ndarray:
    """The segment's field lengths as an array (Whoosh keeps one byte per document, decoded here)."""
    cache: dict[str, np.ndarray] = segment.__dict__.setdefault("_accord_lengths", {})
    lengths = cache.get(field)
    if lengths is None:
        codes = segment._perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)  # type: ignore[attr-defined]
        count = segment.doc_count_all()  # type: ignore[attr-defined]
        lengths = _LENGTHS[np.asarray(codes, dtype=np.int64)] if codes is not None else np.zeros(count)
        cache[field] = lengths
    return lengths
