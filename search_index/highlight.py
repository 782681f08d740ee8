"""Snippets with the matched words marked, as Whoosh's highlighter makes them, at a fraction of its cost.

Whoosh's `highlight()` builds a token object per word, a generator per step and
a fragment object per passage: for the twenty hits of a page, more time than
finding them. This module makes the same snippet (Whoosh's HtmlFormatter with
`<mark>`, a short text whole, a long one as its two best passages of
SNIPPET_CHARS around the matches, as Whoosh's ContextFragmenter cuts them)
from plain tuples; `tests/search/test_highlight.py` holds it to Whoosh's
output.
"""

from __future__ import annotations

from html import escape
from typing import NamedTuple

from search_index.analysis import WORDS, term_of

SNIPPET_CHARS = 320
"""Texts longer than this are cut to passages around their matches."""
SURROUND = 80
"""Characters of context a passage keeps before its first and after its last match."""
PASSAGES = 2
BETWEEN = " … "
CHARLIMIT = 2**15
"""Words past this character are not looked at (Whoosh's default)."""
MAX_CLASSES = 5

class _Token(NamedTuple):
    start: int
    end: int
    matched: bool
    text: str


def highlight(texts: list[str], terms: frozenset[str]) -> str:
    """The first text with a matched word, those words marked; the snippet is HTML-escaped. With
    no match anywhere, the start of the first text."""
    for text in texts:
        marked = _marked(text, terms)
        if marked:
            return marked
    first = texts[0] if texts else ""
    return escape(first[:SNIPPET_CHARS] + ("…" if len(first) > SNIPPET_CHARS else ""), quote=False)


def _tokens(text: str, terms: frozenset[str]) -> list[_Token]:
    tokens = []
    for match in WORDS.finditer(text):
        end = match.end()
        if end > CHARLIMIT:
            break
        term = term_of(match.group())
        tokens.append(_Token(match.start(), end, term in terms, term))
    return tokens


def _matches(text: str, terms: frozenset[str]) -> list[_Token]:
    """The matched words of a text, where the words around them do not matter (a text shown whole)."""
    matches = []
    for match in WORDS.finditer(text):
        term = term_of(match.group())
        if term in terms:
            if match.end() > CHARLIMIT:
                break
            matches.append(_Token(match.start(), match.end(), True, term))
    return matches


def _marked(text: str, terms: frozenset[str]) -> str:
    if len(text) <= SNIPPET_CHARS:
        matches = _matches(text, terms)
        return _format(text, [(0, len(text), matches)]) if matches else ""
    tokens = _tokens(text, terms)
    passages = list(_passages(text, tokens))
    # Whoosh's BasicFragmentScorer: matches times 100 per distinct word; the best PASSAGES, ties
    # to the later passage (heapq.nlargest over (score, fragment) pairs), then in text order.
    scored = [(len(matches) * len({t.text for t in matches}) * 100, start, end, matches) for start, end, matches in passages]
    best = sorted(scored, key=lambda s: (s[0], s[1]), reverse=True)[:PASSAGES]
    chosen = sorted(((start, end, matches) for score, start, end, matches in best if score >= 1), key=lambda p: p[0])
    return _format(text, chosen)


def _passages(text: str, tokens: list[_Token]):  # type: ignore[no-untyped-def]
    """Whoosh's ContextFragmenter(maxchars=SNIPPET_CHARS, surround=SURROUND), step for step."""
    first: int | None = None
    firsts: list[int] = []
    countdown = -1
    matches: list[_Token] = []
    end = 0
    length = 0
    for token in tokens:
        start, end = token.start, token.end
        size = end - start
        if countdown < 0 and not token.matched:
            firsts.append(start)
            while firsts and end - firsts[0] > SURROUND:
                firsts.pop(0)
        elif length + size > SNIPPET_CHARS:
            countdown = 0
        elif token.matched:
            countdown = SURROUND
            if first is None:
                if firsts:
                    first = firsts[0]
                else:
                    first = start
                    countdown += SURROUND
            matches.append(token)
        if countdown >= 0:
            length += size
            countdown -= size
            if countdown <= 0:
                yield _passage(text, matches, first, end)
                matches, firsts, first, length = [], [], None, 0
    if matches:
        yield _passage(text, matches, first, end)


def _passage(text: str, matches: list[_Token], start: int | None, end: int) -> tuple[int, int, list[_Token]]:
    if start is None:
        start = matches[0].start if matches else 0
    return max(0, start), min(len(text), end), matches


def _format(text: str, passages: list[tuple[int, int, list[_Token]]]) -> str:
    """Whoosh's HtmlFormatter(tagname="mark"): each distinct printed word its own class, term0 to term4."""
    seen: dict[str, int] = {}
    formatted = []
    for start, end, matches in passages:
        out = []
        at = start
        for token in matches:
            if token.start < at:
                continue
            if token.start > at:
                out.append(escape(text[at : token.start], quote=False))
            printed = escape(text[token.start : token.end], quote=False)
            number = seen.setdefault(printed, len(seen) % MAX_CLASSES)
            out.append(f'<mark class="match term{number}">{printed}</mark>')
            at = token.end
        out.append(escape(text[at:end], quote=False))
        formatted.append("".join(out))
    return BETWEEN.join(formatted)
