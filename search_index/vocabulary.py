"""Indexed words within a few edits of a word as typed, for close spellings and suggestions.

Whoosh's `terms_within` walks the words that share the first letters and
measures each in Python: tens of milliseconds for a common opening like
"co". Here each segment's words of a field and opening are listed once and
kept (segments never change), and RapidFuzz measures the optimal string
alignment distance (Damerau-Levenshtein without overlapping edits, the one
Whoosh uses) over the whole list at once.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

OPENING = 2
"""Letters a close spelling shares with the word as typed (misspellings rarely start wrong); the
vocabulary is listed by them."""
MAX_WORDS = 2_000_000
"""Words kept over every list; past it the lists are dropped and listed again as needed."""

_lists: dict[tuple[str, str, str], tuple[str, ...]] = {}
_held = 0
_lock = threading.Lock()


def words_within(segments: list[Any], field: str, word: str, distance: int, prefix: int) -> set[str]:
    """The words of `field` in `segments` that open as `word` does (its first `prefix` letters)
    and are at most `distance` edits from it."""
    opening = word[:prefix]
    found: set[str] = set()
    for segment in segments:
        words = _words(segment, field, opening)
        if words:
            found.update(match for match, _, _ in process.extract(word, words, scorer=OSA.distance, score_cutoff=distance, limit=None))
    return found


def words_starting(segments: list[Any], field: str, prefix: str, opening: int) -> set[str]:
    """The words of `field` in `segments` that start with `prefix` (at least `opening` letters long)."""
    found: set[str] = set()
    for segment in segments:
        words = _words(segment, field, prefix[:opening])
        at = bisect_left(words, prefix)
        while at < len(words) and words[at].startswith(prefix):
            found.add(words[at])
            at += 1
    return found


def _words(segment: Any, field: str, opening: str) -> tuple[str, ...]:
    global _held
    key = (segment.segment().segment_id(), field, opening)
    words = _lists.get(key)
    if words is None:
        decode = segment.schema[field].from_bytes
        words = tuple(decode(text) for text in segment.expand_prefix(field, opening))
        with _lock:
            if _held + len(words) > MAX_WORDS:
                _lists.clear()
                _held = 0
            _lists[key] = words
            _held += len(words)
    return words
