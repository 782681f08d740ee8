"""Searching the index: one hit per fact with its provenance, facets over every match, highlights.

A fact can match through several documents (its statement and each of its
sources); it counts once, ranked by its best document, and shows the words of
that document. Facets count facts over the whole result set, not the page.
When the words as typed find little, each word is retried with close
spellings (`Dubnna` finds Dubna), and a suggestion built from the index's own
words is offered.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from whoosh import query as wq
from whoosh.highlight import ContextFragmenter, HtmlFormatter, WholeFragmenter, highlight
from whoosh.searching import Searcher

from search_index.analysis import fold_word, stem, text_analyzer
from search_index.documents import Brief, fact_key
from search_index.index import SearchIndex
from search_index.query import (
    FIELD_BOOSTS,
    OPERATORS,
    Filters,
    QueryError,
    filters,
    parse,
    term_texts,
    widened,
    without_negations,
    words_of,
)

Sort = Literal["relevance", "date"]
MAX_PER_PAGE = 100
FACET_SIZE = 20
FEW_HITS = 3
"""Fewer facts than this for the words as typed, and close spellings are tried too."""
MAX_ALTERNATIVES = 8
SNIPPET_CHARS = 320

_analyzer = text_analyzer()
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

    def __post_init__(self) -> None:
        if self.sort not in ("relevance", "date"):
            raise QueryError("sort", "must be relevance or date")
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
            "original_text": data.get("original_text") if statement else None,
            "context": data.get("context") if statement else None,
            "highlight": self.highlight,
            "sources": record["sources"],
            "corrections": record.get("corrections", []),
            "score": self.score,
        }


@dataclass
class SearchResults:
    total: int
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
            "hits": [hit.to_json() for hit in self.hits],
            "facets": self.facets,
            "suggestion": self.suggestion,
            "fuzzy": self.fuzzy,
        }


def search(index: SearchIndex, request: SearchRequest) -> SearchResults:
    searcher = index.searcher()
    words = parse(searcher.schema, request.q)
    excluded: frozenset[int] = frozenset()
    if words is not None:
        words, negated = without_negations(words)
        if negated:
            excluded = frozenset(_Matches.of(searcher, wq.Or(negated), Filters()).events)
    narrowed = filters(request.speaker, request.publisher, request.type, request.start, request.end)
    found = _Matches.of(searcher, words, narrowed, excluded)
    fuzzy_used = False
    suggestion = None
    if words is not None and len(found.events) < FEW_HITS:
        alternatives = {word: _close_words(searcher.reader(), word) for word in words_of(words) if len(word) >= 4}
        if any(alternatives.values()):
            loose = widened(words, alternatives)
            wider = _Matches.of(searcher, loose, narrowed, excluded)
            if len(wider.events) > len(found.events):
                words, found, fuzzy_used = loose, wider, True
        if fuzzy_used or not found.events:
            suggestion = _suggest(searcher, request.q, alternatives)
    first = (request.page - 1) * request.per_page
    if request.sort == "date" or words is None:
        ordered = sorted(found.events.values(), key=lambda b: (b[1].lower, b[1].position), reverse=True)
        page = [docnum for docnum, _ in ordered[first : first + request.per_page]]
        scores = _scores(searcher, words, page) if words is not None else {}
        chosen = [(docnum, scores.get(docnum)) for docnum in page]
    else:
        chosen = _top(searcher, words, found, narrowed, excluded, first + request.per_page)[first:]
    terms = term_texts(words, searcher.reader()) if words is not None else frozenset()
    return SearchResults(
        total=len(found.events),
        hits=[_hit(searcher, docnum, score, terms, _record(searcher, docnum)) for docnum, score in chosen],
        facets=found.facets(),
        suggestion=suggestion,
        fuzzy=fuzzy_used,
        page=request.page,
        per_page=request.per_page,
    )


class _Matches:
    """Every fact a query matches (event position -> one of its matching documents and the fact's
    brief), and every matching document of those facts."""

    def __init__(self, events: dict[int, tuple[int, Brief]], docnums: set[int]) -> None:
        self.events = events
        self.docnums = docnums

    @classmethod
    def of(cls, searcher: Searcher, words: wq.Query | None, narrowed: Filters, excluded: frozenset[int] = frozenset()) -> _Matches:
        parts = [q for q in (words, narrowed.terms) if q is not None]
        if not parts:
            matcher: wq.Query = wq.Every()
        else:
            matcher = parts[0] if len(parts) == 1 else wq.And(parts)
        briefs = _briefs(searcher)
        events: dict[int, tuple[int, Brief]] = {}
        docnums: set[int] = set()
        dated = narrowed.dated
        for docnum in searcher.docs_for_query(matcher):
            brief = briefs[docnum]
            if brief is None or brief.position in excluded or (dated and not narrowed.admits(brief.lower, brief.upper)):
                continue
            docnums.add(docnum)
            events.setdefault(brief.position, (docnum, brief))
        return cls(events, docnums)

    def facets(self) -> dict[str, list[dict[str, Any]]]:
        speakers: Counter[str] = Counter()
        publishers: Counter[str] = Counter()
        years: Counter[str] = Counter()
        types: Counter[str] = Counter()
        for _, brief in self.events.values():
            if brief.speaker:
                speakers[brief.speaker] += 1
            publishers.update(brief.publishers)
            years[brief.year] += 1
            types[brief.type] += 1
        return {
            "speaker": _counted(speakers),
            "publisher": _counted(publishers),
            "year": _counted(years),
            "type": _counted(types),
        }


def _counted(counter: Counter[str]) -> list[dict[str, Any]]:
    top = heapq.nsmallest(FACET_SIZE, counter.items(), key=lambda item: (-item[1], item[0]))
    return [{"value": value, "count": count} for value, count in top]


def _briefs(searcher: Searcher) -> list[Brief | None]:
    """Each document's brief (None for entities and the checkpoint), read once per searcher."""
    cached: list[Brief | None] | None = getattr(searcher, "_accord_briefs", None)
    if cached is None:
        cached = []
        for leaf, _offset in searcher.leaf_searchers():
            column = leaf.reader().column_reader("brief")
            cached.extend(Brief.unpack(raw) if raw else None for raw in column)
        searcher._accord_briefs = cached  # type: ignore[attr-defined]
    return cached


def _top(searcher: Searcher, words: wq.Query, found: _Matches, narrowed: Filters, excluded: frozenset[int], wanted: int) -> list[tuple[int, float]]:
    """The best-scoring document of each of the `wanted` best facts."""
    briefs = _briefs(searcher)
    # Whoosh narrows by a query or by a set of documents; the date window and the negations are
    # already applied to the documents found.
    allowed: Any = found.docnums if (narrowed.dated or excluded) else narrowed.terms
    limit = wanted * 2 + 10
    while True:
        results = searcher.search(words, filter=allowed, limit=limit)
        best: dict[int, tuple[int, float]] = {}
        for score, docnum in results.top_n:
            brief = briefs[docnum]
            if brief is not None and brief.position not in best:
                best[brief.position] = (docnum, score)
        if len(best) >= wanted or len(results.top_n) < limit:
            return list(best.values())[:wanted]
        limit *= 4


def _scores(searcher: Searcher, words: wq.Query, docnums: Iterable[int]) -> dict[int, float]:
    """The scores of a few documents, read from the query's matcher without ranking everything."""
    scores: dict[int, float] = {}
    matcher = words.matcher(searcher)
    for docnum in sorted(docnums):
        if not matcher.is_active():
            break
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
        if matcher.is_active() and matcher.id() == docnum:
            scores[docnum] = matcher.score()
    return scores


def _hit(searcher: Searcher, docnum: int, score: float | None, terms: frozenset[str], record: dict[str, Any]) -> Hit:
    brief = _briefs(searcher)[docnum]
    assert brief is not None
    data, sources = record["data"], record["sources"]
    source = sources[brief.source] if brief.source is not None else None
    # The matched document's own words first, then the rest of the fact's, for the snippet.
    texts = [source.get("quote")] if source is not None else []
    texts += [data.get("quote"), data.get("original_text"), *(s.get("quote") for s in sources), data.get("context")]
    return Hit(record, brief.speaker, source, score, _highlight([t for t in texts if t], terms))


def _record(searcher: Searcher, docnum: int) -> dict[str, Any]:
    """The record of the fact a document belongs to: an excerpt's is on its fact's own document."""
    stored = searcher.stored_fields(docnum)
    if "record" not in stored:
        brief = _briefs(searcher)[docnum]
        assert brief is not None
        stored = searcher.document(key=fact_key(brief.event))
    record: dict[str, Any] = orjson.loads(stored["record"])
    return record


def _highlight(texts: list[str], terms: frozenset[str]) -> str:
    """The first text with a matched word, those words marked; the snippet is HTML-escaped."""
    for text in texts:
        fragmenter = WholeFragmenter() if len(text) <= SNIPPET_CHARS else ContextFragmenter(maxchars=SNIPPET_CHARS, surround=80)
        marked = highlight(text, terms, _analyzer, fragmenter, HtmlFormatter(tagname="mark", between=" … "), top=2)
        if marked:
            return marked
    first = texts[0] if texts else ""
    return HtmlFormatter()._text(first[:SNIPPET_CHARS] + ("…" if len(first) > SNIPPET_CHARS else ""))


def _fact_words(record: dict[str, Any], source: dict[str, Any] | None) -> str:
    source = source or record["sources"][0]
    data = record["data"]
    return source.get("quote") or data.get("summary") or data.get("motion") or data.get("title") or source.get("title") or ""


def _close_words(reader: Any, word: str) -> list[str]:
    """Indexed words one edit from `word` (two for words of eight letters or more, if none is one
    away), most frequent first. They must share its first two letters: that keeps the search of
    the vocabulary short, and misspellings rarely start wrong."""
    for distance in (1, 2) if len(word) >= 8 else (1,):
        found: dict[str, int] = {}
        for field in FIELD_BOOSTS:
            for other in reader.terms_within(field, word, distance, prefix=2):
                if other != word:
                    found[other] = found.get(other, 0) + reader.doc_frequency(field, other)
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
        record = _record(searcher, docnum)
        data = record["data"]
        texts = [data.get("quote"), data.get("original_text"), *(s.get("quote") for s in record["sources"]), data.get("context"),
                 *(s.get("title") for s in record["sources"]), data.get("speaker_description")]
        for text in filter(None, texts):
            for token in _analyzer(text, chars=True, removestops=False):
                if token.text == term:
                    return text[token.startchar : token.endchar]
        break
    return term
