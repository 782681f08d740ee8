"""Searching the index: one hit per fact with its provenance, facets over every match, highlights.

A fact can match through several documents (its statement and each of its
sources); it counts once, ranked by its best document, and shows the words of
that document. A fact matched in the words as printed (or one the entity
searched for takes part in) ranks above every fact matched only in what they
are about (titles, publishers, context). Facets count facts over the whole
result set, not the page. When the words as typed find little, each word is
retried with close spellings (`Dubnna` finds Dubna), and a suggestion built
from the index's own words is offered. The entities the query names come
first, as cards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import orjson
from whoosh import query as wq
from whoosh.searching import Searcher

from search_index.analysis import STOP_WORDS, WORDS, fold_word, stem, term_of
from search_index.arrays import NAMES, DocArrays, doc_arrays, live, own_documents
from search_index.directory import entity_directory
from search_index.documents import DIRECT, REPORTED, Brief, fact_key
from search_index.highlight import highlight
from search_index.index import SearchIndex
from search_index.matching import Leaf, matched_in, probes, texts_of
from search_index.matching import leaves as query_leaves
from search_index.names import Directory, NamedEntity
from search_index.postings import document_frequency, leaves
from search_index.query import (
    ENTITY_FIELD,
    FIELD_BOOSTS,
    OPERATORS,
    Filters,
    QueryError,
    filters,
    parse,
    restricted,
    term_texts,
    widened,
    without_negations,
    words_of,
)
from search_index.scoring import Memo, members, scored
from search_index.vocabulary import OPENING, words_within

Sort = Literal["relevance", "date"]
QuoteKind = Literal["direct", "reported"]
IN_WORDS = frozenset({"text"})
"""The field of the words as printed: quotes, original words, excerpts."""
FIRST_TIER = frozenset({"text", ENTITY_FIELD})
"""Where a match ranks a fact above those matched only in what it is about."""
MAX_PER_PAGE = 100
FACET_SIZE = 20
FEW_HITS = 3
"""Fewer facts than this for the words as typed, and close spellings are tried too."""
MAX_ALTERNATIVES = 8

_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    speaker: str | None = None
    publisher: str | None = None
    type: str | None = None
    start: str | None = None
    end: str | None = None
    sort: Sort = "relevance"
    page: int = 1
    per_page: int = 20
    kind: QuoteKind | None = None
    """Statements of one kind only: direct quotes or reported speech."""
    quotes_only: bool = False
    """Facts matched in the words as printed only (not through titles, speakers or context)."""

    def __post_init__(self) -> None:
        if self.sort not in ("relevance", "date"):
            raise QueryError("sort", "must be relevance or date")
        if self.kind not in (None, DIRECT, REPORTED):
            raise QueryError("kind", "must be direct or reported")
        if self.page < 1:
            raise QueryError("page", "must be 1 or more")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise QueryError("per_page", f"must be between 1 and {MAX_PER_PAGE}")


@dataclass
class Hit:
    """A fact found, shown through the document that matched it best."""

    record: dict[str, Any]
    speaker: str | None
    source: dict[str, Any] | None
    """The source whose document matched, or None where the statement itself did."""
    score: float | None
    highlight: str
    matched_in: list[str]

    @property
    def in_words(self) -> bool:
        """Whether `highlight` is of the words a hit shows as its quote (else it is of another text, such
        as a source's title or an excerpt that is not the speaker's quote, to be shown beside it)."""
        if not self.matched_in:
            return True
        if self.record["type"] == "StatementMade":
            return self.matched_in[0] == "quote"
        return self.matched_in[0] in ("excerpt", "context")

    def to_json(self) -> dict[str, Any]:
        record = self.record
        data = record["data"]
        statement = record["type"] == "StatementMade"
        return {
            "event_id": record["event_id"],
            "position": record["position"],
            "stream": record["stream"],
            "type": record["type"],
            "speaker": self.speaker,
            "speaker_id": data.get("speaker") if statement else None,
            "occurred": record["occurred"],
            "recorded_at": record["recorded_at"],
            "quote": data["quote"] if statement else _fact_words(record, self.source),
            "quote_kind": (data.get("quote_kind") or DIRECT) if statement else None,
            "original_text": data.get("original_text") if statement else None,
            "context": data.get("context") if statement else None,
            "highlight": self.highlight,
            "matched_in": self.matched_in,
            "sources": record["sources"],
            "corrections": record.get("corrections", []),
            "score": self.score,
        }


@dataclass
class SearchResults:
    total: int
    entities: list[NamedEntity]
    hits: list[Hit]
    facets: dict[str, list[dict[str, Any]]]
    suggestion: str | None
    fuzzy: bool
    page: int
    per_page: int

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "entities": [entity.to_json() for entity in self.entities],
            "hits": [hit.to_json() for hit in self.hits],
            "facets": self.facets,
            "suggestion": self.suggestion,
            "fuzzy": self.fuzzy,
        }


def search(index: SearchIndex, request: SearchRequest) -> SearchResults:
    searcher = index.searcher()
    directory = entity_directory(searcher)
    parsed = parse(searcher.schema, request.q, directory)
    words = parsed.query
    excluded = np.zeros(0, dtype=np.int64)
    if words is not None:
        words, negated = without_negations(words)
        if negated:
            excluded = _Found.of(searcher, wq.Or(negated), Filters()).facts
        if request.quotes_only:
            words = restricted(words, IN_WORDS) or wq.NullQuery
    narrowed = filters(request.speaker, request.publisher, request.type, request.start, request.end, request.kind)
    memo: Memo = {}
    found = _Found.of(searcher, words, narrowed, excluded, memo)
    fuzzy_used = False
    suggestion = None
    if words is not None and found.total < FEW_HITS:
        alternatives = {word: _close_words(searcher, word) for word in words_of(words) if len(word) >= 4}
        if any(alternatives.values()):
            loose = widened(words, alternatives)
            wider = _Found.of(searcher, loose, narrowed, excluded)
            if wider.total > found.total:
                words, found, fuzzy_used = loose, wider, True
        if fuzzy_used or not found.total:
            suggestion = _suggest(searcher, request.q, alternatives)
    first = (request.page - 1) * request.per_page
    if request.sort == "date" or words is None:
        chosen = found.newest(first, request.per_page)
    else:
        chosen = found.best(searcher, words, first, request.per_page, _first_tier(searcher, words, memo))
    terms = term_texts(words, searcher.reader()) - STOP_WORDS if words is not None else frozenset()
    wanted = query_leaves(words)
    probed = probes(wanted)
    return SearchResults(
        total=found.total,
        entities=list(parsed.entities),
        hits=[_hit(searcher, docnum, score, terms, wanted, probed, directory, record)
              for (docnum, score), record in zip(chosen, _records(searcher, [docnum for docnum, _ in chosen]), strict=True)],
        facets=found.facets(),
        suggestion=suggestion,
        fuzzy=fuzzy_used,
        page=request.page,
        per_page=request.per_page,
    )


class _Found:
    """Every document a query matches that passes the filters, with scores when the query has words;
    `facts` are their facts' positions (unique, ascending), `firsts` one document of each."""

    def __init__(self, arrays: DocArrays, docs: np.ndarray, scores: np.ndarray | None) -> None:
        self.arrays = arrays
        self.docs = docs
        self.scores = scores
        self.facts, first, self.fact_of = np.unique(arrays.position[docs], return_index=True, return_inverse=True)
        self.firsts = docs[first]

    @property
    def total(self) -> int:
        return len(self.facts)

    @classmethod
    def of(cls, searcher: Searcher, words: wq.Query | None, narrowed: Filters, excluded: np.ndarray | None = None,
           memo: Memo | None = None) -> _Found:
        arrays = doc_arrays(searcher)
        scores: np.ndarray | None = None
        if words is None:
            docs = np.flatnonzero((arrays.position >= 0) & live(searcher))
        else:
            matched = scored(searcher, words, memo)
            if matched is None:  # a shape only Whoosh answers: its documents, scored later by Whoosh
                docs = np.fromiter(searcher.docs_for_query(words), dtype=np.int64)
                docs.sort()
            else:
                docs, scores = matched.docs, matched.scores
        keep = arrays.position[docs] >= 0
        if narrowed.terms is not None:
            # The filter's postings as arrays (cached like any word's), not one Python step per document.
            allowing = scored(searcher, narrowed.terms)
            allowed = (
                allowing.docs if allowing is not None else np.sort(np.fromiter(searcher.docs_for_query(narrowed.terms), dtype=np.int64))
            )
            keep &= members(docs, allowed)
        if narrowed.start is not None:
            keep &= arrays.upper[docs] >= int(narrowed.start.replace("-", ""))
        if narrowed.end is not None:
            keep &= arrays.lower[docs] <= int(narrowed.end.replace("-", ""))
        if narrowed.quote_kind is not None:
            keep &= arrays.quote_kind[docs] == NAMES.code(narrowed.quote_kind)
        if excluded is not None and len(excluded):
            keep &= ~np.isin(arrays.position[docs], excluded)
        return cls(arrays, docs[keep], scores[keep] if scores is not None else None)

    def facets(self) -> dict[str, list[dict[str, Any]]]:
        arrays, firsts = self.arrays, self.firsts
        return {
            "speaker": _counted(arrays.speaker[firsts]),
            "publisher": _counted(arrays.publishers_of(firsts)),
            "year": _years(arrays.lower[firsts] // 10000, arrays.upper[firsts] // 10000),
            "type": _counted(arrays.type[firsts]),
            "kind": _counted(arrays.quote_kind[firsts]),
        }

    def newest(self, first: int, count: int) -> list[tuple[int, float | None]]:
        """A page of facts, the latest to have occurred first (ties: the later recorded first)."""
        docs = self.firsts
        order = np.lexsort((-self.arrays.position[docs], -self.arrays.lower[docs]))[first : first + count]
        page = docs[order]
        if self.scores is None:
            return [(int(d), None) for d in page]
        scores = self.scores[np.searchsorted(self.docs, page)]  # self.docs is ascending
        return [(int(d), float(x)) for d, x in zip(page, scores, strict=True)]

    def best(self, searcher: Searcher, words: wq.Query, first: int, count: int,
             preferred: np.ndarray | None = None) -> list[tuple[int, float | None]]:
        """A page of facts by relevance, each shown through its best-scoring document; facts with a
        `preferred` document (ascending numbers) first, each shown through its best preferred one."""
        if self.scores is None:
            return _whoosh_top(searcher, words, self, first + count)[first:]
        if not self.total:
            return []
        scores = self.scores
        lift = 0.0
        if preferred is not None and len(preferred):
            lift = float(np.abs(scores).max()) + 1.0
            scores = scores + members(self.docs, preferred) * lift
        best = np.full(self.total, -np.inf)
        np.maximum.at(best, self.fact_of, scores)
        wanted = min(first + count, self.total)
        top = np.argpartition(-best, wanted - 1)[:wanted]
        top = top[np.lexsort((self.facts[top], -best[top]))][first:]
        # Each chosen fact through its best document (the first such, if several tie).
        rows = np.flatnonzero(np.isin(self.fact_of, top) & (scores == best[self.fact_of]))
        doc_of = {}
        for row in rows.tolist():
            doc_of.setdefault(int(self.fact_of[row]), row)
        return [(int(self.docs[doc_of[int(f)]]), float(self.scores[doc_of[int(f)]])) for f in top]


def _first_tier(searcher: Searcher, words: wq.Query, memo: Memo) -> np.ndarray | None:
    """The documents matched in the words as printed or as an entity's own facts, when the query also
    matches elsewhere (None when it matches nowhere else, or has a shape only Whoosh answers)."""
    tier = restricted(words, FIRST_TIER)
    if tier is None or tier == words:
        return None if tier is not None else np.zeros(0, dtype=np.int64)
    matched = scored(searcher, tier, memo)
    return matched.docs if matched is not None else None


def _counted(codes: np.ndarray) -> list[dict[str, Any]]:
    """The FACET_SIZE commonest values, ties to the lower code."""
    codes = codes[codes >= 0]
    if not len(codes):
        return []
    counts = np.bincount(codes)  # codes are small: name codes
    values = np.flatnonzero(counts)
    counts = counts[values]
    order = np.lexsort((values, -counts))[:FACET_SIZE]
    return [{"value": NAMES.names[int(values[i])], "count": int(counts[i])} for i in order]


def _years(first: np.ndarray, last: np.ndarray) -> list[dict[str, Any]]:
    """The FACET_SIZE years most facts may have happened in, later years first on ties: a fact counts in
    every year its dates meet, as the `from`/`to` filter of that year keeps it, so each count is the
    number of facts a click on it finds."""
    if not len(first):
        return []
    low = int(first.min())
    span = np.zeros(int(last.max()) - low + 2, dtype=np.int64)
    np.add.at(span, first - low, 1)
    np.add.at(span, last - low + 1, -1)
    counts = np.cumsum(span)[:-1]
    years = np.flatnonzero(counts)
    order = np.lexsort((-years, -counts[years]))[:FACET_SIZE]
    return [{"value": f"{low + int(years[i]):04d}", "count": int(counts[years[i]])} for i in order]


def _whoosh_top(searcher: Searcher, words: wq.Query, found: _Found, wanted: int) -> list[tuple[int, float | None]]:
    """The best-scoring document of each of the `wanted` best facts, scored by Whoosh."""
    allowed = set(found.docs.tolist())
    positions = found.arrays.position
    limit = wanted * 2 + 10
    while True:
        results = searcher.search(words, filter=allowed, limit=limit)
        best: dict[int, tuple[int, float | None]] = {}
        for score, docnum in results.top_n:
            best.setdefault(int(positions[docnum]), (docnum, score))
        if len(best) >= wanted or len(results.top_n) < limit:
            return list(best.values())[:wanted]
        limit *= 4


def _brief(searcher: Searcher, docnum: int) -> Brief:
    # A column reader reads the column's offsets when made: one per segment and searcher.
    columns: list[tuple[int, Any]] | None = getattr(searcher, "_accord_brief_columns", None)
    if columns is None:
        columns = [(offset, leaf.reader().column_reader("brief")) for leaf, offset in searcher.leaf_searchers()]
        searcher._accord_brief_columns = columns  # type: ignore[attr-defined]
    for offset, column in reversed(columns):
        if docnum >= offset:
            return Brief.unpack(column[docnum - offset])
    raise LookupError(docnum)


def _hit(searcher: Searcher, docnum: int, score: float | None, terms: frozenset[str], wanted: list[Leaf],
         probed: re.Pattern[str] | None, directory: Directory, record: dict[str, Any]) -> Hit:
    brief = _brief(searcher, docnum)
    sources = record["sources"]
    source = sources[brief.source] if brief.source is not None else None
    speaker = directory.entities.get(record["data"].get("speaker", "")) if record["type"] == "StatementMade" else None
    texts = texts_of(record, speaker.names if speaker is not None else (), brief.source)
    places, first = matched_in(record, texts, wanted, probed)
    # The first text that matched is the snippet; with no match in any (a filter alone), the words themselves.
    shown = [first] if first is not None else [text for _, text in texts[:1]]
    return Hit(record, brief.speaker, source, score, highlight(shown, terms), places)


def _records(searcher: Searcher, docnums: list[int]) -> list[dict[str, Any]]:
    """The records of the facts documents belong to: an excerpt's is on its fact's own document,
    found by its position among the live facts' own documents (looking its key up in each
    segment's terms cost a third of a one-word search)."""
    arrays = doc_arrays(searcher)
    owners = np.array(docnums, dtype=np.int64)
    excerpts = np.flatnonzero(~arrays.own[owners])
    if len(excerpts):
        docs, positions = own_documents(searcher)
        facts = arrays.position[owners[excerpts]]
        at = np.searchsorted(positions, facts)
        found = at < len(positions)
        found[found] = positions[at[found]] == facts[found]
        owners[excerpts[found]] = docs[at[found]]
        for row in excerpts[~found].tolist():  # not expected: a live excerpt's fact is live too
            owners[row] = searcher.reader().first_id("key", fact_key(_brief(searcher, docnums[row]).event))
    return [orjson.loads(searcher.stored_fields(owner)["record"]) for owner in owners.tolist()]


def _fact_words(record: dict[str, Any], source: dict[str, Any] | None) -> str:
    source = source or record["sources"][0]
    data = record["data"]
    return source.get("quote") or data.get("summary") or data.get("motion") or data.get("title") or source.get("title") or ""


def _close_words(searcher: Searcher, word: str) -> list[str]:
    """Indexed words one edit from `word` (two for words of eight letters or more, if none is one
    away), most frequent first. They must share its first two letters: that keeps the search of
    the vocabulary short, and misspellings rarely start wrong."""
    segments = [segment for segment, _ in leaves(searcher)]
    for distance in (1, 2) if len(word) >= 8 else (1,):
        found: dict[str, int] = {}
        for field in FIELD_BOOSTS:
            for other in words_within(segments, field, word, distance, prefix=OPENING):
                if other != word:
                    found[other] = found.get(other, 0) + document_frequency(searcher, field, other)
        if found:
            return sorted(found, key=lambda other: (-found[other], other))[:MAX_ALTERNATIVES]
    return []


def _suggest(searcher: Searcher, text: str, alternatives: dict[str, list[str]]) -> str | None:
    """The query as typed, each word the index does not know replaced by its closest known word."""
    reader = searcher.reader()
    changed = False

    def replace(match: re.Match[str]) -> str:
        nonlocal changed
        word = match[0]
        term = stem(fold_word(word))
        if word in OPERATORS or not alternatives.get(term) or any(reader.doc_frequency(f, term) for f in FIELD_BOOSTS):
            return word
        changed = True
        printed = _printed(searcher, alternatives[term][0])
        return printed.capitalize() if word[0].isupper() else printed.lower()

    suggested = _WORDS.sub(replace, text)
    return suggested if changed else None


def _printed(searcher: Searcher, term: str) -> str:
    """A word as some document prints it that the index keeps as `term` (stems are not words)."""
    for docnum in searcher.docs_for_query(wq.Or([wq.Term(field, term) for field in FIELD_BOOSTS])):
        record = _records(searcher, [docnum])[0]
        data = record["data"]
        texts = [data.get("quote"), data.get("original_text"), *(s.get("quote") for s in record["sources"]), data.get("context"),
                 *(s.get("title") for s in record["sources"]), data.get("speaker_description")]
        for text in filter(None, texts):
            for word in WORDS.findall(text):
                if term_of(word) == term:
                    return str(word)
        break
    return term
