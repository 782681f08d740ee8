"""How text becomes index terms: words, folded case and accents, and a stemmer chosen by script.

Quotes are mostly English, some Russian, and names come in both scripts and
with or without diacritics. Each word is lower-cased and folded ("Kovalčuk"
and "Kovalchuk", "учёных" and "ученых" meet), then stemmed by the Snowball
stemmer of its own script: Cyrillic words by the Russian one, Latin words by
the English one, anything else left whole. Deciding per word, not per
document, lets one quote mix both scripts.

Stop words are indexed, each at its own position, so that a quoted phrase
matches only where every one of its words stands in order ("of europe" is
not "europe"); words typed outside quotes leave them out, as they help find
nothing there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from whoosh.analysis import Token, Tokenizer
from whoosh.analysis.analyzers import CompositeAnalyzer
from whoosh.lang import stemmer_for_language
from whoosh.support.charset import accent_map

ENGLISH_STOP_WORDS = frozenset("a an and are as at be by for from if in is it of on or that the this to was were with".split())
RUSSIAN_STOP_WORDS = frozenset(
    "а без бы в во да для до же за и из или к ко ли на над о об обо от по под при про с со у что чтобы это как так".split()
)
STOP_WORDS = ENGLISH_STOP_WORDS | RUSSIAN_STOP_WORDS
"""Words too common to help find a quote when typed on their own. Negations and pronouns stay in
both languages ("we don't close", "мы не закроем" are quotes)."""

WORDS = re.compile(r"\w+(?:\.\w+)*")
"""A word, as the index splits text: letters and digits, with dots inside (`U.S.`, `3.5`)."""

# Whoosh's accent map covers Latin letters; ё is the one Cyrillic letter Russian writes both ways.
_FOLD = {**accent_map, ord("ё"): "е", ord("Ё"): "е"}
_english = stemmer_for_language("en")
_russian = stemmer_for_language("ru")


def fold_word(word: str) -> str:
    """`word` lower-cased and without diacritics."""
    return word.lower().translate(_FOLD)


@lru_cache(maxsize=200_000)
def term_of(word: str) -> str:
    """The term the index keeps for a word as printed (stop words stay whole)."""
    folded = word.lower().translate(_FOLD)
    return folded if folded in STOP_WORDS else stem(folded)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The stem of a folded word, by the stemmer of its script."""
    if word.isascii():
        return _english(word) if word.isalpha() else word
    if "\u0400" <= word[0] <= "\u04ff":
        return _russian(word)
    return word


class WordTokenizer(Tokenizer):
    """Splits text into words, folds them and stems each by its script, in one pass: the chain of a
    Whoosh tokenizer and filters did the same with a generator per step, and indexing spends most of
    its time here.

    Indexing keeps stop words (whole, at their positions); a query drops them unless `removestops`
    is False, which is how phrases ask (see `search_index.query`).
    """

    def __call__(
        self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
        removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
        mode: str = "", **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        matches = WORDS.finditer(value) if tokenize else [_Whole(value)]
        position = start_pos - 1
        for match in matches:
            word = match.group().lower().translate(_FOLD)
            stopped = word in STOP_WORDS
            if stopped and removestops and mode != "index":
                continue
            token.text = word if stopped else stem(word)
            token.stopped = False
            token.boost = 1.0
            if keeporiginal:
                token.original = match.group()
            if positions:
                position += 1
                token.pos = position
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token


class _Whole:
    """The whole value as one match, for `tokenize=False` (how Whoosh's parser passes some terms)."""

    def __init__(self, value: str) -> None:
        self.value = value

    def group(self) -> str:
        return self.value

    def start(self) -> int:
        return 0

    def end(self) -> int:
        return len(self.value)


def text_analyzer() -> CompositeAnalyzer:
    """The analyzer of every searchable text field."""
    return CompositeAnalyzer(WordTokenizer())
