"""From what a journalist types to a Whoosh query: words, phrases, AND/OR/NOT, prefixes, close spellings,
names of entities in any script.

The parser is lenient: Whoosh reads unbalanced quotes and parentheses as
best it can. What it cannot make anything of (a query of operators or stop
words alone, or one too long to be a search) is a QueryError, which the API
turns into a 400.

A quoted phrase keeps its stop words (the index keeps their positions), so it
matches only where every word stands in order; words outside quotes leave them
out. Before parsing, runs of words that name a registered entity become one
placeholder, replaced after parsing by all the entity's names and its own
facts (`entities`); every other plain word also matches its spelling in the
other script (see `search_index.names`).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import AndGroup, MultifieldParser
from whoosh.qparser.plugins import FieldsPlugin, PhrasePlugin, RangePlugin
from whoosh.qparser.syntax import attach

from events.edtf_dates import EdtfError, parse_edtf_date
from projections.text import fold
from search_index.analysis import STOP_WORDS, WORDS, fold_word, term_of
from search_index.names import MAX_NAME_WORDS, Directory, NamedEntity, name_key, other_script

FIELD_BOOSTS = {"text": 2.0, "about": 1.0}
"""The words as printed weigh most; who said them, where and when count too."""
ENTITY_BOOST = 3.0
"""How much more a fact an entity takes part in counts than one that only names it."""
ENTITY_FIELD = "entities"
MAX_QUERY_LENGTH = 1000
OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})
_WORD = re.compile(r"\w+", re.UNICODE)
_PIECE = re.compile(r'"[^"]*(?:"|$)|[^\s"]+')
_PLAIN = re.compile(r"(\(*)(\w+)(\)*)")
_MARK = "qqentity{}qq"


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
    made.remove_plugin_class(PhrasePlugin)
    made.add_plugin(ExactPhrasePlugin())
    _parsers.last = (schema, made)
    return made


class ExactPhrasePlugin(PhrasePlugin):
    """Whoosh's phrases, their stop words kept: "of europe" is not "europe"."""

    class PhraseNode(PhrasePlugin.PhraseNode):
        def query(self, parser: Any) -> wq.Query:
            fieldname = self.fieldname or parser.fieldname
            start = self.textstartchar
            tokens = [(t.text, t.startchar, t.endchar) for t in
                      parser.schema[fieldname].tokenize(self.text, mode="query", chars=True, removestops=False)]
            ranges = [(start + first, start + last) for _, first, last in tokens]
            q = parser.phraseclass(fieldname, [text for text, _, _ in tokens], slop=self.slop, boost=self.boost,
                                   char_ranges=ranges)
            return attach(q, self)

    class PhraseTagger(PhrasePlugin.PhraseTagger):
        def create(self, parser: Any, match: re.Match[str]) -> Any:
            slop = int(match.group("slop")) if match.group("slop") else 1
            return ExactPhrasePlugin.PhraseNode(match.group("text"), match.start("text"), slop)

    def taggers(self, parser: Any) -> list[tuple[Any, int]]:
        return [(self.PhraseTagger(self.expr), 0)]


_parsers = threading.local()


def _fold_words(text: str) -> str:
    # Diacritics go before parsing so that prefixes (never analyzed) meet folded terms; the
    # operators keep their case, which is how Whoosh tells them from words.
    return _WORD.sub(lambda m: m[0] if m[0] in OPERATORS else fold_word(m[0]), text)


@dataclass(frozen=True)
class Parsed:
    """A query as parsed, and the entities its words name (best first)."""

    query: wq.Query | None
    entities: tuple[NamedEntity, ...] = ()


def parse(schema: Schema, text: str, directory: Directory | None = None) -> Parsed:
    """The query `text` asks for (None for an empty one, a search by filters alone), with the
    entities of `directory` it names."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError("q", f"a query is at most {MAX_QUERY_LENGTH} characters; this one has {len(text)}")
    if not text.strip():
        return Parsed(None)
    marked, mentions = rewritten(text, directory)
    typed = _fold_words(marked)
    try:
        parsed = parser(schema).parse(typed)
    except Exception as exc:  # Whoosh's parser has no error type of its own
        raise QueryError("q", f"cannot read this query ({exc})") from None
    parsed = _both_scripts(parsed, typed)
    if mentions:
        parsed = _expanded(parsed, mentions)
    parsed = parsed.normalize()
    if parsed is wq.NullQuery or not _has_words(parsed):
        raise QueryError("q", "the query has no words to search for (only operators or very common words)")
    named = dict.fromkeys(entity for entities in mentions.values() for entity in entities)
    return Parsed(parsed, tuple(named))


def rewritten(text: str, directory: Directory | None) -> tuple[str, dict[str, tuple[NamedEntity, ...]]]:
    """`text` with each run of plain words that names entities replaced by a placeholder (the
    placeholders and their entities returned beside it). Phrases, prefixes and operators stay as typed."""
    mentions: dict[str, tuple[NamedEntity, ...]] = {}
    replaced: list[tuple[int, int, str]] = []
    run: list[tuple[int, int, str, str, str]] = []  # start, end, opening parentheses, word, closing ones

    def mark(entities: tuple[NamedEntity, ...]) -> str:
        placeholder = _MARK.format(len(mentions))
        mentions[placeholder] = entities
        return placeholder

    def flush() -> None:
        words = [word for _, _, _, word, _ in run]
        for mention in directory.named(words) if directory is not None else []:
            span = run[mention.start : mention.end]
            if any(opening for _, _, opening, _, _ in span[1:]) or any(closing for _, _, _, _, closing in span[:-1]):
                continue  # parentheses inside the run: the words are grouped otherwise
            replaced.append((span[0][0], span[-1][1], f"{span[0][2]}({mark(mention.entities)}){span[-1][4]}"))
        run.clear()

    for piece in _PIECE.finditer(text):
        value = piece[0]
        plain = _PLAIN.fullmatch(value)
        if plain and plain[2] not in OPERATORS:
            run.append((piece.start(), piece.end(), plain[1], plain[2], plain[3]))
            continue
        flush()
        if value.startswith('"') and directory is not None:
            words = WORDS.findall(value)
            streams = directory.keys.get(name_key(words)) if 0 < len(words) <= MAX_NAME_WORDS else None
            if streams:
                ranked = sorted(streams, key=lambda s: (not streams[s], s))
                replaced.append((piece.start(), piece.end(), f"({mark(tuple(directory.entities[s] for s in ranked))})"))
    flush()
    out, at = [], 0
    for start, end, replacement in sorted(replaced):
        out += [text[at:start], replacement]
        at = end
    out.append(text[at:])
    return "".join(out), mentions


def _both_scripts(q: wq.Query, typed: str) -> wq.Query:
    """`q` with each word typed also matching its spelling in the other script (`Дубна` and "Dubna"),
    found from the characters the parser took it from."""
    if type(q) is wq.Term and q.fieldname in FIELD_BOOSTS and getattr(q, "startchar", None) is not None:
        word = typed[q.startchar : q.endchar]
        other = other_script(word) if word not in STOP_WORDS else None
        term = term_of(other) if other and other not in STOP_WORDS else None
        if term is None or term == q.text:
            return q
        return wq.Or([q, wq.Term(q.fieldname, term, boost=q.boost)])
    if q.is_leaf():
        return q
    return q.apply(lambda child: _both_scripts(child, typed))


def _expanded(q: wq.Query, mentions: dict[str, tuple[NamedEntity, ...]]) -> wq.Query:
    """`q` with each placeholder replaced by the names of its entities (and, in `about`, their own facts)."""
    if type(q) is wq.Term and q.text in mentions:
        return entity_query(q.fieldname, q.boost, mentions[q.text])
    if q.is_leaf():
        return q
    return q.apply(lambda child: _expanded(child, mentions))


def entity_query(field: str, boost: float, entities: tuple[NamedEntity, ...]) -> wq.Query:
    """Every name of `entities` in `field` (a person's last names too); in `about` also the facts they take part in."""
    parts: dict[Any, wq.Query] = {}
    for entity in entities:
        names = [WORDS.findall(name) for name in entity.names]
        if entity.kind == "person":
            names += [words[-1:] for words in names if len(words) > 1]
        for words in names:
            terms = [term_of(word) for word in words]
            if not terms or len(terms) > MAX_NAME_WORDS or all(term in STOP_WORDS for term in terms):
                continue
            q = wq.Term(field, terms[0], boost=boost) if len(terms) == 1 else wq.Phrase(field, terms, boost=boost)
            parts.setdefault((field, tuple(terms)), q)
        if field == "about":
            parts[(ENTITY_FIELD, entity.id)] = wq.Term(ENTITY_FIELD, entity.id, boost=boost * ENTITY_BOOST)
    return wq.Or(list(parts.values()))


def restricted(q: wq.Query, fields: frozenset[str]) -> wq.Query | None:
    """`q` matched only in `fields`, or None where it cannot match there (or has a shape not followed here)."""
    if q.is_leaf():
        return q if getattr(q, "fieldname", None) in fields else None
    if isinstance(q, wq.Or):
        kept = [part for child in q.children() if (part := restricted(child, fields)) is not None]
        return None if not kept else kept[0] if len(kept) == 1 else wq.Or(kept)
    if isinstance(q, wq.And):
        parts = [restricted(child, fields) for child in q.children()]
        return None if any(part is None for part in parts) else wq.And(parts)  # type: ignore[arg-type]
    return None


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
    quote_kind: str | None = None

    @property
    def dated(self) -> bool:
        return self.start is not None or self.end is not None

    def admits(self, lower: str, upper: str) -> bool:
        """Whether a fact that occurred within [lower, upper] overlaps the window."""
        return (self.start is None or upper >= self.start) and (self.end is None or lower <= self.end)


def filters(speaker: str | None, publisher: str | None, type: str | None, start: str | None, end: str | None,
            quote_kind: str | None = None) -> Filters:
    """The filters asked for; `start` and `end` are EDTF dates (`2024`, `2024-06`, `2024-06-20`); `quote_kind`
    keeps statements of that kind only."""
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
        quote_kind,
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
    """Every term `q` matches in the index, prefixes and fuzzy words expanded: what highlights mark.

    Not Whoosh's `existing_terms`, whose loop variable shadows its field argument: after the
    first leaf it looks only at leaves of that leaf's field."""
    found: set[str] = set()
    for leaf in q.leaves():
        for field, text in leaf.expanded_terms(reader, phrases=True):
            if field in FIELD_BOOSTS:
                word = text.decode() if isinstance(text, bytes) else text
                if word not in found and (field, word.encode()) in reader:
                    found.add(word)
    return frozenset(found)
