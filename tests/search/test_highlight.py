"""Snippets are byte for byte what Whoosh's highlighter makes with the same settings (Whoosh is the oracle)."""

from __future__ import annotations

import random

import pytest
from whoosh.highlight import ContextFragmenter, HtmlFormatter, WholeFragmenter
from whoosh.highlight import highlight as whoosh_highlight

from bench.generate import generate
from search_index.analysis import WORDS, term_of, text_analyzer
from search_index.highlight import SNIPPET_CHARS, SURROUND, highlight

_analyzer = text_analyzer()


def whoosh_snippet(texts: list[str], terms: frozenset[str]) -> str:
    """The snippet as accord made it with Whoosh's highlighter."""
    for text in texts:
        fragmenter = WholeFragmenter() if len(text) <= SNIPPET_CHARS else ContextFragmenter(maxchars=SNIPPET_CHARS, surround=SURROUND)
        marked = whoosh_highlight(text, terms, _analyzer, fragmenter, HtmlFormatter(tagname="mark", between=" … "), top=2)
        if marked:
            return marked
    first = texts[0] if texts else ""
    return HtmlFormatter()._text(first[:SNIPPET_CHARS] + ("…" if len(first) > SNIPPET_CHARS else ""))


def _texts() -> list[str]:
    texts = []
    for request in generate(3_000, seed=4):
        for event in request["events"]:
            data = event["data"]
            texts += [t for t in (data.get("quote"), data.get("context"), data.get("summary")) if t]
            texts += [s["quote"] for s in event.get("sources", []) if s.get("quote")]
    return texts


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    rng = random.Random(8)
    texts = _texts()
    # Long texts (several passages, one past Whoosh's 32,768-character limit), markup to escape,
    # words in both scripts, with and without diacritics.
    long = [" ".join(rng.sample(texts, rng.randrange(3, 30))) for _ in range(300)]
    odd = ["<b>Dubna</b> & CERN's \"Kovalčuk\" — учёных U.S. 3.5 a.m.", " ".join(texts[:2000])]
    return texts + long + odd


def test_snippets_match_whoosh(corpus: list[str]) -> None:
    rng = random.Random(3)
    checked = 0
    for _ in range(4_000):
        texts = rng.sample(corpus, rng.choice((1, 1, 2, 3)))
        words = [w for text in texts for w in WORDS.findall(text)]
        picked = rng.sample(words, min(len(words), rng.choice((1, 1, 2, 3, 6))))
        terms = frozenset(term_of(w) for w in picked) | ({"missing"} if rng.random() < 0.1 else set())
        if rng.random() < 0.1:
            terms = frozenset({"nowhereword"})
        assert highlight(texts, terms) == whoosh_snippet(texts, terms), (texts, terms)
        checked += 1
    assert checked == 4_000


def test_a_snippet_without_matches_is_the_escaped_start_of_the_first_text() -> None:
    long = "<x> " * 100
    assert highlight([long, "other"], frozenset({"nothing"})) == whoosh_snippet([long, "other"], frozenset({"nothing"}))
    assert highlight([], frozenset({"nothing"})) == ""


def test_words_past_the_character_limit_are_not_marked() -> None:
    texts = ["filler " * 4681 + "Dubna", "Dubna again"]  # "Dubna" ends at 32,772
    assert highlight(texts, frozenset({"dubna"})) == whoosh_snippet(texts, frozenset({"dubna"})) == '<mark class="match term0">Dubna</mark> again'
