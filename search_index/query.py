"""From what a journalist types to a Whoosh query: words, phrases, AND/OR/NOT, prefixes, close spellings.

The parser is lenient: Whoosh reads unbalanced quotes and parentheses as
best it can. What it cannot make anything of (a query of operators or stop
words alone, or one too long to be a search) is a QueryError, which the API
turns into a 400.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import AndGroup, MultifieldParser
from whoosh.qparser.plugins import FieldsPlugin, RangePlugin

from events.edtf_dates import EdtfError, parse_edtf_date
from projections.text import fold
from search_index.analysis import fold_word

FIELD_BOOSTS = {"text": 2.0, "about": 1.0}
"""The words as printed weigh most; who said them, where and when count too."""
MAX_QUERY_LENGTH = 1000
OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})
_WORD = re.compile(r"\w+", re.UNICODE)


class QueryError(ValueError):
    """A search parameter that cannot be read; `parameter` names it."""

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(f"{parameter}: {reason}")
        self.parameter = parameter
        self.reason = reason


def parser(schema: Schema) -> MultifieldParser:
    """A parser for `schema`, kept for the thread's next query (making one costs a fifth of parsing)."""
    last: tuple[Schema, MultifieldParser] | None = getattr(_parsers, "last", None)
    if last is not None and last[0] is schema:
        return last[1]
    made = MultifieldParser(list(FIELD_BOOSTS), schema, fieldboosts=FIELD_BOOSTS, group=AndGroup)
    # Field syntax would reach the index's internal fields, and ranges mean nothing in quotes.
    made.remove_plugin_class(FieldsPlugin)
    made.remove_plugin_class(RangePlugin)
    _parsers.last = (schema, made)
    return made


_parsers = threading.local()


def _fold_words(text: str) -> str:
    # Diacritics go before parsing so that prefixes (never analyzed) meet folded terms; the
    # operators keep their case, which is how Whoosh tells them from words.
    return _WORD.sub(lambda m: m[0] if m[0] in OPERATORS else fold_word(m[0]), text)


def parse(schema: Schema, text: str) -> wq.Query | None:
    """The query `text` asks for, or None for an empty one (a search by filters alone)."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError("q", f"a query is at most {MAX_QUERY_LENGTH} characters; this one has {len(text)}")
    if not text.strip():
        return None
    try:
        parsed = parser(schema).parse(_fold_words(text))
    except Exception as exc:  # Whoosh's parser has no error type of its own
        raise QueryError("q", f"cannot read this query ({exc})") from None
    parsed = parsed.normalize()
    if parsed is wq.NullQuery or not _has_words(parsed):
        raise QueryError("q", "the query has no words to search for (only operators or very common words)")
    return parsed


def _has_words(q: wq.Query) -> bool:
    if isinstance(q, wq.Not):
        return False
    if q.is_leaf():
        return q is not wq.NullQuery
    return any(_has_words(child) for child in q.children())


def without_negations(q: wq.Query) -> tuple[wq.Query, list[wq.Query]]:
    """`q` without its top-level NOTs, and what they exclude.

    A fact is several documents, so "Russian NOT spies" must drop a fact when
    any of its documents speaks of spies, not only the document that matched
    "Russian": the caller excludes the facts the negations match as a whole.
    """
    if isinstance(q, wq.AndNot):
        kept, negated = without_negations(q.a)
        return kept, [*negated, q.b]
    if isinstance(q, wq.And):
        kept = [child for child in q.children() if not isinstance(child, wq.Not)]
        negated = [child.query for child in q.children() if isinstance(child, wq.Not)]
        if negated and kept:
            return (kept[0] if len(kept) == 1 else wq.And(kept)), negated
    return q, []


def words_of(q: wq.Query) -> set[str]:
    """The single indexed words of `q` (not phrases, prefixes or fuzzy terms)."""
    if type(q) is wq.Term and q.fieldname in FIELD_BOOSTS:
        return {q.text if isinstance(q.text, str) else q.text.decode()}
    if q.is_leaf():
        return set()
    return set().union(*(words_of(child) for child in q.children()))


def widened(q: wq.Query, alternatives: dict[str, list[str]]) -> wq.Query:
    """`q` with each word in `alternatives` also matching those words (close spellings)."""
    if type(q) is wq.Term and q.fieldname in FIELD_BOOSTS:
        text = q.text if isinstance(q.text, str) else q.text.decode()
        if alternatives.get(text):
            return wq.Or([q, *(wq.Term(q.fieldname, other, boost=q.boost * 0.8) for other in alternatives[text])])
        return q
    if q.is_leaf():
        return q
    return q.apply(lambda child: widened(child, alternatives))


@dataclass(frozen=True)
class Filters:
    """What a search is narrowed to: index terms for speaker, publisher and type; the date window
    is checked on each match's brief (the index holds no date terms: numeric range terms would
    cost more postings per document than all the words of a short quote)."""

    terms: wq.Query | None = None
    start: str | None = None
    end: str | None = None

    @property
    def dated(self) -> bool:
        return self.start is not None or self.end is not None

    def admits(self, lower: str, upper: str) -> bool:
        """Whether a fact that occurred within [lower, upper] overlaps the window."""
        return (self.start is None or upper >= self.start) and (self.end is None or lower <= self.end)


def filters(speaker: str | None, publisher: str | None, type: str | None, start: str | None, end: str | None) -> Filters:
    """The filters asked for; `start` and `end` are EDTF dates (`2024`, `2024-06`, `2024-06-20`)."""
    parts: list[wq.Query] = []
    if speaker and speaker.strip():
        parts.append(_key("speaker", speaker))
    if publisher and publisher.strip():
        parts.append(_key("publisher", publisher))
    if type and type.strip():
        parts.append(wq.Term("type", type.strip()))
    terms = None if not parts else parts[0] if len(parts) == 1 else wq.And(parts)
    return Filters(
        terms,
        _day("from", start, upper=False) if start and start.strip() else None,
        _day("to", end, upper=True) if end and end.strip() else None,
    )


def _key(field: str, value: str) -> wq.Query:
    """A speaker or publisher given by stream (`person-boris-grinev`) or by name, any case or accents."""
    keys = {value.strip(), fold(value).replace(",", " ")}
    return wq.Or([wq.Term(field, key) for key in sorted(keys)])


def _day(parameter: str, value: str, *, upper: bool) -> str:
    try:
        date = parse_edtf_date(value.strip())
    except EdtfError as exc:
        raise QueryError(parameter, str(exc)) from None
    return date.upper if upper else date.lower


def term_texts(q: wq.Query, reader: Any) -> frozenset[str]:
    """Every term `q` matches in the index, prefixes and fuzzy words expanded: what highlights mark."""
    terms = q.existing_terms(reader, phrases=True, expand=True)
    return frozenset(text.decode() if isinstance(text, bytes) else text for field, text in terms if field in FIELD_BOOSTS)
