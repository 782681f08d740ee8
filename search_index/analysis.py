"""How text becomes index terms: words, folded case and accents, and a stemmer chosen by script.

Quotes are mostly English, some Russian, and names come in both scripts and
with or without diacritics. Each word is lower-cased and folded ("Kovalčuk"
and "Kovalchuk", "учёных" and "ученых" meet), then stemmed by the Snowball
stemmer of its own script: Cyrillic words by the Russian one, Latin words by
the English one, anything else left whole. Deciding per word, not per
document, lets one quote mix both scripts.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import Filter, RegexTokenizer, Token
from whoosh.analysis.analyzers import CompositeAnalyzer
from whoosh.lang import stemmer_for_language
from whoosh.support.charset import accent_map

STOP_WORDS = frozenset(
    "a an and are as at be by for from if in is it of on or that the this to was were with".split()
)
"""Words too common to help find a quote. Negations and pronouns stay: "we don't close" is a quote."""

# Whoosh's accent map covers Latin letters; ё is the one Cyrillic letter Russian writes both ways.
_FOLD = {**accent_map, ord("ё"): "е", ord("Ё"): "е"}
_english = stemmer_for_language("en")
_russian = stemmer_for_language("ru")


def fold_word(word: str) -> str:
    """`word` lower-cased and without diacritics."""
    return word.lower().translate(_FOLD)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The stem of a folded word, by the stemmer of its script."""
    if word.isascii():
        return _english(word) if word.isalpha() else word
    if "\u0400" <= word[0] <= "\u04ff":
        return _russian(word)
    return word


class FoldFilter(Filter):
    """Lower-cases and folds each token and drops stop words, renumbering positions as Whoosh's
    StopFilter does: a phrase query loses its stop words too, so "window to the West" must find
    "window" and "west" next to each other."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        position = -1
        for token in tokens:
            text = token.text.lower().translate(_FOLD)
            if text in STOP_WORDS:
                token.stopped = True
                if token.removestops:
                    continue
            token.text = text
            if token.positions:
                position += 1
                token.pos = position
            yield token


class ScriptStemFilter(Filter):
    """Stems each token with the Snowball stemmer of its script. A morphological filter, so a
    field's spelling words (indexed with `no_morph`) keep their whole form."""

    is_morph = True

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            if not token.stopped:
                token.text = stem(token.text)
            yield token


def text_analyzer() -> CompositeAnalyzer:
    """The analyzer of every searchable text field."""
    return RegexTokenizer(r"\w+(?:\.\w+)*") | FoldFilter() | ScriptStemFilter()


def name_analyzer() -> CompositeAnalyzer:
    """Names: folded words, never stemmed, so "Grinev" does not meet "Grin"."""
    return RegexTokenizer(r"\w+") | FoldFilter()
