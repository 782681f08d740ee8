"""Where a fact matched: which of its texts hold the query's words, phrases or prefixes.

A fact is found through two searched fields that each join several texts
(the words as printed; who said them, the occasion, the sources' titles), so
the index alone cannot say which text matched. For the facts of one page,
each text is read again and checked against the query's positive leaves, and
the hit names the places (`matched_in`) and is highlighted in the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from whoosh import query as wq

from search_index.analysis import WORDS, fold_word, term_of
from search_index.documents import FACT_TEXT_FIELDS, STATEMENT, concerned
from search_index.query import ENTITY_FIELD

QUOTE, ORIGINAL, SPEAKER, TITLE, EXCERPT, CONTEXT = "quote", "original_text", "speaker", "source_title", "excerpt", "context"
PLACES = (QUOTE, ORIGINAL, EXCERPT, CONTEXT, TITLE, SPEAKER)
"""Every place a hit can match, in the order a hit is highlighted: the words themselves first."""


@dataclass(frozen=True)
class Leaf:
    """One thing a query looks for: a word, words in order, or a word's beginning."""

    kind: str  # "word", "phrase", "prefix" or "entity"
    texts: tuple[str, ...]

    def found_in(self, terms: tuple[str, ...]) -> bool:
        if self.kind == "word":
            return self.texts[0] in terms
        if self.kind == "prefix":
            return any(term.startswith(self.texts[0]) for term in terms)
        size = len(self.texts)
        first = self.texts[0]
        return any(terms[at : at + size] == self.texts for at, term in enumerate(terms) if term == first)


def leaves(q: wq.Query | None) -> list[Leaf]:
    """The positive leaves of `q` (what a NOT excludes is no reason a fact matched)."""
    found: dict[Leaf, None] = {}
    for leaf in _leaves(q):
        found.setdefault(leaf)
    return list(found)


def _leaves(q: wq.Query | None) -> Iterator[Leaf]:
    if q is None or isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot):
        yield from _leaves(q.a)
        return
    if isinstance(q, wq.Phrase):
        yield Leaf("phrase", tuple(q.words))
    elif type(q) is wq.Term:
        text = q.text if isinstance(q.text, str) else q.text.decode()
        yield Leaf("entity" if q.fieldname == ENTITY_FIELD else "word", (text,))
    elif isinstance(q, wq.Prefix):
        yield Leaf("prefix", (q.text,))
    elif not q.is_leaf():
        for child in q.children():
            yield from _leaves(child)


def texts_of(record: dict[str, Any], speaker_names: tuple[str, ...], source: int | None) -> list[tuple[str, str]]:
    """A fact's texts with their places, in PLACES order; the matched source's excerpt before the others."""
    data, sources = record["data"], record["sources"]
    statement = record["type"] == STATEMENT
    texts: list[tuple[str, str]] = []
    if statement:
        texts += [(QUOTE, data.get("quote")), (ORIGINAL, data.get("original_text"))]
    ordered = sources if source is None else [sources[source], *(s for n, s in enumerate(sources) if n != source)]
    texts += [(EXCERPT, s.get("quote")) for s in ordered]
    if statement:
        texts += [(CONTEXT, data.get("context")), (CONTEXT, data.get("medium"))]
    else:
        texts += [(CONTEXT, data[name]) for name in FACT_TEXT_FIELDS if isinstance(data.get(name), str)]
    texts += [(TITLE, s.get("title")) for s in ordered] + [(TITLE, s.get("publisher")) for s in ordered]
    if statement:
        texts += [(SPEAKER, name) for name in (*speaker_names, data.get("speaker_description"))]
    return list(dict.fromkeys((place, text) for place, text in texts if isinstance(text, str) and text))


def _holds(text: str, probed: re.Pattern[str]) -> bool:
    return probed.search(text.lower() if text.isascii() else fold_word(text)) is not None


@lru_cache(maxsize=20_000)
def _terms(text: str) -> tuple[str, ...]:
    return tuple(term_of(word) for word in WORDS.findall(text))


def probes(found: list[Leaf]) -> re.Pattern[str] | None:
    """What a text must hold, folded, for any of `found` to match in it: the first letters of one of
    the leaves' words (a stem begins as the words it stands for do, but for the few irregular words
    English Snowball maps outright, for which there is no probe)."""
    texts = {text for leaf in found if leaf.kind != "entity" for text in leaf.texts}
    if not texts or texts & _IRREGULAR:
        return None
    return re.compile("|".join(sorted(re.escape(text[:PROBE]) for text in texts)))


PROBE = 3
_IRREGULAR = frozenset({"sky", "die", "lie", "tie"})
"""Stems that do not begin as their words do ("skies", "dying", "lying", "tying")."""


def matched_in(record: dict[str, Any], texts: list[tuple[str, str]], found: list[Leaf],
               probed: re.Pattern[str] | None = None) -> tuple[list[str], str | None]:
    """The places where `found` matched in the fact (PLACES order) and the first matching text;
    texts that hold none of `probed` (see `probes`) are not read word by word."""
    places: dict[str, None] = {}
    first: str | None = None
    words = [leaf for leaf in found if leaf.kind != "entity"]
    for place, text in texts:
        if place in places and first is not None:
            continue
        if probed is not None and not _holds(text, probed):
            continue
        terms = _terms(text)
        if any(leaf.found_in(terms) for leaf in words):
            places.setdefault(place)
            first = first or text
    entities = {leaf.texts[0] for leaf in found if leaf.kind == "entity"}
    if entities:
        speaker = record["data"].get("speaker") if record["type"] == STATEMENT else None
        for stream in entities.intersection(concerned(record)):
            places.setdefault(SPEAKER if stream == speaker else CONTEXT)
    return sorted(places, key=PLACES.index), first
