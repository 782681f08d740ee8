"""Analyzers: English and Russian stemming chosen per word, case and accents folded, phrases kept."""

from __future__ import annotations

import pytest

from search_index.analysis import text_analyzer


def terms(text: str, **options: object) -> list[str]:
    return [token.text for token in text_analyzer()(text, **options)]


@pytest.mark.parametrize(("a", "b"), [
    ("voted", "vote"), ("votes", "voting"), ("agreements", "agreement"), ("physicists", "physicist"),
    ("учёных", "учёные"), ("учёных", "ученые"), ("соглашения", "соглашение"), ("Дубне", "Дубна"),
])
def test_forms_of_a_word_meet_in_one_stem(a: str, b: str) -> None:
    assert terms(a) == terms(b)


@pytest.mark.parametrize(("a", "b"), [
    ("Kovalčuk", "Kovalcuk"), ("KOVALCHUK", "kovalchuk"), ("Gründung", "Grundung"), ("Борис Гринёв", "борис гринев"),
    ("nucléaire", "NUCLEAIRE"),
])
def test_case_and_diacritics_fold(a: str, b: str) -> None:
    assert terms(a) == terms(b)


def test_each_word_is_stemmed_by_its_own_script() -> None:
    assert terms("учёные voted 日本") == ["учен", "vote", "日本"]


def test_stop_words_leave_no_gap_so_phrases_still_match() -> None:
    tokens = [(t.text, t.pos) for t in text_analyzer()("a window to the West", positions=True)]
    assert tokens == [("window", 0), ("west", 1)]
