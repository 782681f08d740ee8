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

from dataclasses import dataclass
from math import log

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from search_index.arrays import live
from search_index.analysis import STOP_WORDS
from search_index.postings import (
    CACHE,
    document_frequency,
    field_lengths,
    frequency,
    leaves,
    positions_within,
    postings,
    segment_state,
)
from search_index.vocabulary import OPENING, words_starting

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

    @classmethod
    def united(cls, parts: list[Scored]) -> Scored:
        """Documents any part matches, their scores added."""
        parts = [part for part in parts if len(part.docs)] or parts[:1]
        if len(parts) == 1:
            return parts[0]
        docs = np.concatenate([part.docs for part in parts])
        if not len(docs):
            return cls.empty()
        # Each part is sorted already: a stable sort merges the runs instead of sorting anew.
        order = np.argsort(docs, kind="stable")
        docs = docs[order]
        scores = np.concatenate([part.scores for part in parts])[order]
        starts = np.flatnonzero(np.concatenate(([True], docs[1:] != docs[:-1])))
        return cls(docs[starts], np.add.reduceat(scores, starts))

    def intersection(self, other: Scored) -> Scored:
        small, large = (self, other) if len(self.docs) <= len(other.docs) else (other, self)
        mine = members(small.docs, large.docs)
        docs = small.docs[mine]
        return Scored(docs, small.scores[mine] + large.scores[np.searchsorted(large.docs, docs)])

    def within(self, docs: np.ndarray) -> Scored:
        keep = members(self.docs, docs)
        return Scored(self.docs[keep], self.scores[keep])


Memo = dict[wq.Query, "Scored | None"]
"""What one search has scored already, by query (a search scores some parts twice: see search._first_tier)."""


def scored(searcher: Searcher, q: wq.Query, memo: Memo | None = None) -> Scored | None:
    """Every document `q` matches with its score, or None if `q` has a shape only Whoosh can answer."""
    if isinstance(q, wq.Term) and type(q) is wq.Term:
        return _term(searcher, q.fieldname, q.text, q.boost)
    if memo is None:
        memo = {}
    if q in memo:
        return memo[q]
    found = _scored(searcher, q, memo)
    memo[q] = found
    return found


def _scored(searcher: Searcher, q: wq.Query, memo: Memo) -> Scored | None:
    if isinstance(q, wq.Or):
        return _any_of(searcher, q.children(), memo)
    if isinstance(q, wq.And):
        return _all_of(searcher, q.children(), memo)
    if isinstance(q, wq.Phrase):
        return _phrase(searcher, q, memo)
    if isinstance(q, (wq.Prefix, wq.Wildcard)):
        if type(q) is wq.Prefix and len(q.text) >= OPENING:
            words = sorted(words_starting([segment for segment, _ in leaves(searcher)], q.fieldname, q.text, OPENING))
            expanded = [(q.fieldname, word) for word in words]
        else:
            expanded = list(q.expanded_terms(searcher.reader()))
        if len(expanded) > MAX_EXPANSION:
            return None
        return _any_of(searcher, [wq.Term(field, text, boost=q.boost) for field, text in expanded], memo)
    if q is wq.NullQuery:
        return Scored.empty()
    return None


def _phrase(searcher: Searcher, q: wq.Phrase, memo: Memo) -> Scored | None:
    """A phrase's documents, scored as the sum of its words' scores (as Whoosh scores it).

    Its stop words' postings are long (most documents hold "the"): the phrase's candidates are
    found by its other words, and the stop words' positions and scores are read only there."""
    rare = [w for w in q.words if w not in STOP_WORDS]
    common = [w for w in q.words if w in STOP_WORDS] if rare else []
    words = _all_of(searcher, [wq.Term(q.fieldname, w, boost=q.boost) for w in (rare or q.words)], memo)
    if words is None or not len(words.docs) or len(q.words) == 1:
        return words
    if q.slop != 1:
        return words.within(np.fromiter(searcher.docs_for_query(q), dtype=np.int64))
    found = words.within(_adjacent(searcher, q.fieldname, q.words, words.docs))
    for word in common:
        found = Scored(found.docs, found.scores + _scores_at(searcher, q.fieldname, word, q.boost, found.docs))
    return found


def _scores_at(searcher: Searcher, field: str, text: str, boost: float, docs: np.ndarray) -> np.ndarray:
    """A word's scores in `docs` (documents that hold it), from its positions there."""
    weights = np.zeros(len(docs))
    lengths = np.zeros(len(docs))
    for segment, offset in leaves(searcher):
        inside = np.flatnonzero((docs >= offset) & (docs < offset + segment.doc_count_all()))
        if not len(inside):
            continue
        local = docs[inside] - offset
        ids, starts, _ = positions_within(segment, field, text, local)
        rows = np.searchsorted(ids, local)
        weights[inside] = starts[rows + 1] - starts[rows]
        lengths[inside] = field_lengths(segment, field)[local]
    return _bm25(searcher, field, text, weights, lengths, boost)


def _bm25(searcher: Searcher, field: str, text: str | bytes, weights: np.ndarray, lengths: np.ndarray, boost: float) -> np.ndarray:
    """Whoosh's BM25F; its idf counts deleted documents too, as a segment's frequencies do."""
    idf = log(searcher.doc_count_all() / (document_frequency(searcher, field, text) + 1)) + 1
    average = searcher.avg_field_length(field) or 1.0
    return idf * weights * (K1 + 1) / (weights + K1 * ((1 - B) + B * lengths / average)) * boost


def _any_of(searcher: Searcher, children: list[wq.Query], memo: Memo) -> Scored | None:
    parts = []
    for child in children:
        part = scored(searcher, child, memo)
        if part is None:
            return None
        parts.append(part)
    return Scored.united(parts) if parts else Scored.empty()


def _all_of(searcher: Searcher, children: list[wq.Query], memo: Memo) -> Scored | None:
    """Documents every child matches, the rarest words first."""
    result: Scored | None = None
    for child in sorted(children, key=lambda child: _size(searcher, child)):
        part = scored(searcher, child, memo)
        if part is None:
            return None
        result = part if result is None else result.intersection(part)
        if not len(result.docs):
            break
    return result if result is not None else Scored.empty()


def _size(searcher: Searcher, q: wq.Query) -> int:
    """About how many documents `q` matches: exact for words, large for anything else."""
    if type(q) is wq.Term:
        terms = [q]
    elif isinstance(q, wq.Or) and all(type(child) is wq.Term for child in q.children()):
        terms = list(q.children())
    else:
        return 1 << 40
    return sum(document_frequency(searcher, t.fieldname, t.text) for t in terms)


def _term(searcher: Searcher, field: str, text: str | bytes, boost: float) -> Scored:
    # A word's scores hold for as long as the searcher's segments and deletions do.
    key = (segment_state(searcher), field, text, boost)
    kept = CACHE.get(key)
    if kept is None:
        result = _scored_term(searcher, field, text, boost)
        CACHE.put(key, (result.docs, result.scores))
        return result
    return Scored(*kept)


def _scored_term(searcher: Searcher, field: str, text: str | bytes, boost: float) -> Scored:
    found = [(postings(segment, field, text), offset) for segment, offset in leaves(searcher) if frequency(segment, field, text)]
    if not found:
        return Scored.empty()
    if len(found) == 1:
        (ids, weights, lengths), offset = found[0]
        docs = ids + offset
    else:
        docs = np.concatenate([ids + offset for (ids, _, _), offset in found])
        weights = np.concatenate([weights for (_, weights, _), _ in found])
        lengths = np.concatenate([lengths for (_, _, lengths), _ in found])
    if searcher.reader().has_deletions():
        keep = live(searcher)[docs]
        docs, weights, lengths = docs[keep], weights[keep], lengths[keep]
    return Scored(docs, _bm25(searcher, field, text, weights, lengths, boost))


def _adjacent(searcher: Searcher, field: str, words: list[str], candidates: np.ndarray) -> np.ndarray:
    """The candidate documents in which `words` stand one after another."""
    found: list[np.ndarray] = []
    # The rarest word first: the documents left after each word are all the next one is looked at.
    order = sorted(range(len(words)), key=lambda place: document_frequency(searcher, field, words[place]))
    for segment, offset in leaves(searcher):
        local = candidates[(candidates >= offset) & (candidates < offset + segment.doc_count_all())] - offset
        # A document and a position, shifted back by the word's place in the phrase, as one key:
        # the phrase stands where every word has the same key.
        keys: np.ndarray | None = None
        for place in order:
            if not len(local):
                break
            ids, starts, at = positions_within(segment, field, words[place], local)
            rows = np.searchsorted(ids, local)
            inside = rows < len(ids)
            rows = rows[inside][ids[rows[inside]] == local[inside]]
            counts = starts[rows + 1] - starts[rows]
            index = np.repeat(starts[rows] - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
            word_keys = np.repeat(ids[rows].astype(np.int64), counts) * _POSITION_SPAN + (at[index] - place + _POSITION_SPAN // 2)
            keys = word_keys if keys is None else word_keys[members(word_keys, keys)]
            local = distinct(keys // _POSITION_SPAN)
        if keys is not None and len(local):
            found.append(local + offset)
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


_POSITION_SPAN = 1 << 24


def members(values: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Whether each of `values` is in `among` (both ascending): a binary search each, not a sort of both."""
    if not len(among):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(among, values), len(among) - 1)
    return among[at] == values


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of an ascending array, without sorting it again."""
    if not len(values):
        return values
    return values[np.concatenate(([True], values[1:] != values[:-1]))]
