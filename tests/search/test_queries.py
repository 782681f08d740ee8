"""Every kind of query, filters, facets, pages, highlights and bad input, on each backend."""

from __future__ import annotations

import pytest

from search_index import QueryError
from tests.builders import entity, source, statement
from tests.search.conftest import Searchable

GRINEV = "person-boris-grinev"
PUTIN = "person-vladimir-putin"


@pytest.fixture
def archive(searchable: Searchable) -> Searchable:
    searchable.append(GRINEV, entity("Boris Grinev", "person", ["Борис Гринёв", "Borys Hryniov"]))
    searchable.append(PUTIN, entity("Vladimir Putin", "person", ["Владимир Путин"]))
    searchable.append(
        GRINEV,
        said("participation of Russian specialists feeds the Russian war machine", GRINEV, "2024-06-05",
             sources=[source(publisher="The Times", title="Nuclear research body is backdoor for Russian spies")]),
        said("CERN continues to be infiltrated by Russian spies", GRINEV, "2024-06-05"),
        said("Fellow physicists voted against the agreement with Dubna", GRINEV, "2024-03"),
    )
    searchable.append(
        PUTIN,
        said("We don’t close anything, we don’t hide anything. We are open to cooperation", PUTIN, "2024-06-13",
             sources=[source(publisher="TASS", published="2024-06-13")]),
        said("Учёные Дубны открыты к сотрудничеству", PUTIN, "2023-11", language="ru"),
    )
    return searchable


def said(quote: str, speaker: str, occurred: str, **overrides: object) -> dict:
    return statement(quote, speaker=speaker, occurred=occurred, context=None, **overrides)


def firsts(hits: list[dict]) -> list[str]:
    return [hit["quote"] for hit in hits]


def test_words_are_all_required_and_stemmed(archive: Searchable) -> None:
    assert firsts(archive.hits("vote Dubna")) == ["Fellow physicists voted against the agreement with Dubna"]
    assert archive.search("vote Kharkiv").total == 0


def test_a_phrase_needs_its_words_in_order(archive: Searchable) -> None:
    assert archive.search('"Russian war machine"').total == 1
    assert archive.search('"machine war Russian"').total == 0


def test_or_and_not_where_not_excludes_a_fact_any_of_whose_documents_match(archive: Searchable) -> None:
    assert archive.search("spies OR Dubna").total == 4  # Dubna also in Cyrillic letters: "Учёные Дубны"
    assert "CERN continues to be infiltrated by Russian spies" not in firsts(archive.hits("Russian NOT spies"))
    # The war-machine quote goes too: its source's title speaks of spies.
    assert archive.search("Russian NOT spies").total == archive.search("Russian").total - 2
    assert archive.search("cooperation NOT spies").total == 1
    assert archive.search("(spies OR machine) AND Times").total == 1


def test_a_prefix_matches_the_beginning_of_words_and_names(archive: Searchable) -> None:
    assert archive.search("infiltr*").total == 1
    assert {h["speaker"] for h in archive.hits("Grin*")} == {"Boris Grinev"}


def test_russian_words_meet_their_other_forms_and_names_their_other_scripts(archive: Searchable) -> None:
    assert firsts(archive.hits("учёных")) == ["Учёные Дубны открыты к сотрудничеству"]
    assert archive.search("ученые").total == 1  # е written for ё
    assert archive.search("Гринев spies").total == 2  # his quote, and his other quote whose source speaks of spies
    assert archive.search("Hryniov machine").total == 1


def test_a_misspelled_word_is_matched_loosely_and_a_suggestion_offered(archive: Searchable) -> None:
    results = archive.search("Dubnna")
    assert results.fuzzy and results.total == 2  # Dubna, and Дубны through its Latin spelling
    assert results.suggestion == "Dubna"
    assert archive.search("Dubna").suggestion is None


def test_filters_by_speaker_publisher_type_and_date(archive: Searchable) -> None:
    assert archive.search("physicists", speaker=GRINEV).total == 2  # the default source's title speaks of physicists
    assert archive.search("physicists", speaker="borys hryniov").total == 0  # an alias is not the name the facet shows
    assert archive.search("physicists", speaker="BORIS GRINEV").total == 2
    assert archive.search("physicists", speaker=PUTIN).total == 2
    assert archive.search("", publisher="tass").total == 1
    assert archive.search("", type="StatementMade", start="2024-06", end="2024-06").total == 3
    assert archive.search("", start="2024-01-01", end="2024-04-30").total == 1
    assert archive.search("", type="VisitMade").total == 0


def test_bad_dates_name_their_parameter(archive: Searchable) -> None:
    with pytest.raises(QueryError) as caught:
        archive.search("spies", start="yesterday")
    assert caught.value.parameter == "from"


def test_sort_by_date_puts_the_newest_first_and_pages_split_the_results(archive: Searchable) -> None:
    dates = [h["occurred"] for h in archive.hits("", sort="date")]
    assert dates == sorted(dates, reverse=True) and len(dates) == 5
    page1 = archive.search("", sort="date", per_page=2, page=1)
    page3 = archive.search("", sort="date", per_page=2, page=3)
    assert page1.total == page3.total == 5
    assert [h.record["occurred"] for h in page1.hits] == dates[:2]
    assert [h.record["occurred"] for h in page3.hits] == dates[4:]
    relevance = archive.hits("Russian", per_page=1, page=2)
    assert len(relevance) == 1 and relevance[0]["score"] > 0


def test_facets_count_facts_over_the_whole_result_set_not_the_page(archive: Searchable) -> None:
    results = archive.search("", per_page=1)
    assert len(results.hits) == 1
    assert results.facets["speaker"] == [{"value": "Boris Grinev", "count": 3}, {"value": "Vladimir Putin", "count": 2}]
    assert {"value": "TASS", "count": 1} in results.facets["publisher"]
    assert {"value": "The Times", "count": 1} in results.facets["publisher"]
    assert results.facets["year"] == [{"value": "2024", "count": 4}, {"value": "2023", "count": 1}]
    assert results.facets["type"] == [{"value": "StatementMade", "count": 5}]


def test_a_fact_matching_through_several_documents_counts_once(archive: Searchable) -> None:
    results = archive.search("spies")  # the quote of one fact, the source title of another
    assert results.total == 2
    assert len({h.record["event_id"] for h in results.hits}) == 2


def test_highlights_mark_the_matched_words(archive: Searchable) -> None:
    [hit] = archive.hits('"war machine"')
    assert hit["highlight"] == (
        'participation of Russian specialists feeds the Russian <mark class="match term0">war</mark> '
        '<mark class="match term1">machine</mark>'
    )
    hits = archive.hits("Dubnna")
    assert any('<mark class="match term0">Dubna</mark>' in hit["highlight"] for hit in hits)


def test_a_hostile_quote_is_escaped_in_its_highlight(searchable: Searchable) -> None:
    hostile = 'He wrote <script>alert("x")</script> and <img src=x onerror=alert(1)> and <a href="javascript:alert(1)">spies</a>'
    searchable.append(GRINEV, statement(hostile, speaker="anonymous", speaker_description="a <b>bold</b> source"))
    [hit] = searchable.hits("spies")
    assert "<script" not in hit["highlight"] and "<img" not in hit["highlight"] and "<a " not in hit["highlight"]
    assert "&lt;script&gt;" in hit["highlight"] and '<mark class="match term0">spies</mark>' in hit["highlight"]
    assert hit["quote"] == hostile  # the JSON keeps the words as printed; escaping is for HTML


@pytest.mark.parametrize("query", ['"unbalanced', "(spies OR", "spies)", "AND spies", "spies AND", "((()))", '"', "*", "~", "spies^", "NOT"])
def test_unreadable_queries_give_a_clear_error_or_a_best_effort_result(archive: Searchable, query: str) -> None:
    try:
        results = archive.search(query)
    except QueryError as exc:
        assert exc.parameter == "q" and exc.reason
    else:
        assert results.total >= 0


@pytest.mark.parametrize("query", ["AND", "the of and", "NOT spies", "x" * 10_000])
def test_queries_with_nothing_to_search_for_are_refused(archive: Searchable, query: str) -> None:
    with pytest.raises(QueryError) as caught:
        archive.search(query)
    assert caught.value.parameter == "q"


def test_bad_paging_is_refused() -> None:
    from search_index import SearchRequest

    for bad in ({"page": 0}, {"per_page": 0}, {"per_page": 101}, {"sort": "popularity"}):
        with pytest.raises(QueryError):
            SearchRequest(q="x", **bad)  # type: ignore[arg-type]
