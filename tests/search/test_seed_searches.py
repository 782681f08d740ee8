"""What a journalist who read the two seed documents types, and the statement they must get first.

Each search is a phrase or a few words they remember, sometimes with a name in
Russian, a misspelling, a prefix or a filter. Rank 1 must be the statement the
document prints, and following its event id in the log gives the same quote.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.search.conftest import Searchable

SEARCHES: list[tuple[str, dict[str, Any], str]] = [
    ('"feeds the Russian war machine"', {}, "a89ee252"),
    ("infiltrated by Russian spies", {}, "1a43ea4d"),
    ("vote against extending the agreement with Dubna", {}, "f192eb57"),
    ('"peaceful and open organization"', {}, "02e32a95"),
    ("we don't close anything, we don't hide anything", {}, "9be720c8"),
    ('"window to the West"', {"type": "StatementMade"}, "52ea6d1f"),
    ("lion's share of Russian specialists", {}, "ff07c8c7"),
    ("Kovalchuk gift", {}, "ff07c8c7"),
    ("Ковальчук gift", {}, "ff07c8c7"),  # the speaker's name in Russian
    ("Гринёв spies", {}, "1a43ea4d"),
    ("Гринев spies", {}, "1a43ea4d"),  # е for ё
    ("megascience-class installations", {}, "58480e03"),
    ("Mazhuga horizons of world science", {}, "58480e03"),
    ("checks of circuits and magnets PR show", {}, "09a5d416"),
    ("NICA end of 2024 or the beginning of 2025", {}, "85f6622d"),
    ("interests of the Russian military complex", {}, "8a61cd94"),
    ("severing any relations with CERN", {}, "9f4b725d"),
    ('"not for the better"', {}, "60a24285"),
    ("howmedia attempts by Ukrainian physicists", {}, "bfef317a"),
    ("colleague who left Dubna to work in China", {}, "c915ffe2"),
    ("good positions in IT", {}, "31635f5c"),
    ("internationality secondary project", {}, "5fe6a193"),
    ("people come to us en masse from Mexico, Cuba, and Brazil", {}, "a730926e"),
    ("Chinese ring with a diameter of 100 kilometers", {}, "248f9741"),
    ("epoch-making", {}, "525b3fd6"),
    ("IWCD Cherenkov detector CP violation", {}, "76dcacdb"),
    ("Hyper-K Experiment COMET T2K", {}, "bf82aa89"),
    ("J-PARC largely complementary", {}, "d52f6742"),
    ("decades of friendship and scientific collaboration", {}, "ed43321f"),
    ("partnership to the next level", {}, "e7008aca"),
    ("Trubnikov next level", {}, "e7008aca"),
    ("Трубников friendship", {}, "ed43321f"),
    ("Berger-Grinova visit military", {}, "8a61cd94"),
    ("infiltated by Russian spies", {}, "1a43ea4d"),  # a misspelling
    ("Kovalchuck gift", {}, "ff07c8c7"),  # another, in a name
    ("Rostovtsev windw to the West", {}, "52ea6d1f"),  # and a word
    ("Kovalch* ideologically", {}, "ff07c8c7"),  # a prefix
    ("spies", {"speaker": "Boris Grinev"}, "1a43ea4d"),
    ("open to cooperation", {"speaker": "person-vladimir-putin", "from": "2024-06", "to": "2024-06"}, "9be720c8"),
]


@pytest.mark.parametrize(("query", "filters", "event"), SEARCHES, ids=[q for q, _, _ in SEARCHES])
def test_the_statement_the_document_prints_comes_first(seeded: Searchable, query: str, filters: dict[str, Any], event: str) -> None:
    options = {("start" if k == "from" else "end" if k == "to" else k): v for k, v in filters.items()}
    hits = seeded.hits(query, **options)
    assert hits, f"nothing found for {query!r}"
    first = hits[0]
    assert first["event_id"].startswith(event), [(h["event_id"][:8], h["quote"][:60]) for h in hits[:3]]
    stored = seeded.store.get(first["event_id"])
    assert stored is not None
    assert (stored.position, stored.stream, stored.type, stored.occurred) == (
        first["position"], first["stream"], first["type"], first["occurred"]
    )
    assert stored.data["quote"] == first["quote"]
    assert stored.sources == first["sources"] and first["sources"][0]["publisher"]
    assert first["speaker"]


def test_at_least_twenty_searches_with_a_russian_alias_and_a_misspelling() -> None:
    assert len(SEARCHES) >= 20
    assert any(any("\u0400" <= ch <= "\u04ff" for ch in query) for query, _, _ in SEARCHES)
    assert "infiltated by Russian spies" in [query for query, _, _ in SEARCHES]


def test_every_hit_names_its_provenance(seeded: Searchable) -> None:
    for hit in seeded.hits("CERN", per_page=100):
        assert hit["event_id"] and hit["position"] > 0 and hit["stream"] and hit["occurred"] and hit["sources"]
        if hit["type"] == "StatementMade":
            assert hit["speaker"] and hit["speaker_id"]
