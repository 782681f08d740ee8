"""Corrections and retractions reach the index within one catch-up; so do a speaker's new names."""

from __future__ import annotations

from tests.builders import entity, fact, source, statement
from tests.search.conftest import Searchable

GRINEV = "person-boris-grinev"


def test_a_correction_replaces_the_indexed_words(searchable: Searchable) -> None:
    searchable.append(GRINEV, entity("Boris Grinev", "person", []))
    said = searchable.append(GRINEV, statement("CERN is infiltrated by Russian spise", speaker=GRINEV, context=None))
    target = said.ids[0]
    searchable.append(GRINEV, fact("FactCorrected", "2024-06-06", target=target,
                                   fields={"quote": "CERN is infiltrated by Russian spies", "occurred": "2024-06-05"},
                                   reason="A typo in the quote."))
    [hit] = searchable.hits('"Russian spies"')
    assert hit["event_id"] == target and hit["quote"] == "CERN is infiltrated by Russian spies"
    assert hit["occurred"] == "2024-06-05" and len(hit["corrections"]) == 1
    assert searchable.search("spise").total == 0
    assert searchable.search("", per_page=100).total == 1  # replaced, not added


def test_a_correction_of_the_sources_changes_the_publisher_filter(searchable: Searchable) -> None:
    said = searchable.append(GRINEV, statement("feeds the war machine", speaker="anonymous", speaker_description="a delegate"))
    searchable.append(GRINEV, fact("FactCorrected", "2024-06-06", target=said.ids[0],
                                   fields={"sources": [{"publisher": "The Times", "published": "2024-06-05"}]},
                                   reason="The Times printed it first."))
    assert searchable.search("machine", publisher="The Times").total == 1
    assert searchable.search("machine", publisher="T-invariant").total == 0


def test_a_retraction_removes_the_fact(searchable: Searchable) -> None:
    kept = searchable.append(GRINEV, statement("the first spies quote", speaker="anonymous", speaker_description="x"))
    gone = searchable.append(GRINEV, statement("the second spies quote", speaker="anonymous", speaker_description="x"))
    searchable.append(GRINEV, fact("FactRetracted", "2024-06-06", target=gone.ids[0], reason="Fabricated."))
    assert [h["event_id"] for h in searchable.hits("spies")] == kept.ids


def test_correcting_and_retracting_in_one_batch_and_across_batches_agree(searchable: Searchable) -> None:
    said = searchable.append(GRINEV, statement("alpha words", speaker="anonymous", speaker_description="x"))
    target = said.ids[0]
    searchable.append(
        GRINEV,
        fact("FactCorrected", "2024-06-06", target=target, fields={"quote": "beta words"}, reason="r1"),
        fact("FactCorrected", "2024-06-07", target=target, fields={"quote": "gamma words"}, reason="r2"),
    )
    [hit] = searchable.hits("gamma")
    assert len(hit["corrections"]) == 2
    assert searchable.search("beta").total == 0 and searchable.search("alpha").total == 0


def test_a_speaker_registered_or_renamed_later_is_found_by_the_new_names(searchable: Searchable) -> None:
    said = searchable.append(GRINEV, statement("the war machine", speaker=GRINEV, context=None))
    assert searchable.hits("machine")[0]["speaker"] == GRINEV  # not registered yet: the stream stands in
    registered = searchable.append(GRINEV, entity("Boris Grinev", "person", ["Борис Гринёв", "Бобби"]))
    assert searchable.hits("Бобби machine")[0]["speaker"] == "Boris Grinev"
    searchable.append(GRINEV, fact("FactCorrected", "2026-01-01", target=registered.ids[0],
                                   fields={"aliases": ["Borys Hryniov"]}, reason="Ukrainian spelling."))
    assert [h["event_id"] for h in searchable.hits("Hryniov machine")] == said.ids
    assert searchable.search("Бобби machine").total == 0
    # His name in Cyrillic letters still names him, though no alias spells it so any more.
    assert [h["event_id"] for h in searchable.hits("Гринёв machine")] == said.ids
    searchable.append(GRINEV, fact("FactRetracted", "2026-01-02", target=registered.ids[0], reason="Duplicate entity."))
    assert searchable.search("Hryniov machine").total == 0
    assert searchable.hits("machine")[0]["speaker"] == GRINEV


def test_an_excerpt_hit_carries_its_fact_as_last_corrected(searchable: Searchable) -> None:
    searchable.append(
        GRINEV, statement("earlier words", speaker="anonymous", speaker_description="x", sources=[source(quote="earlier print")])
    )
    said = searchable.append(
        GRINEV,
        statement(
            "the words as said", speaker="anonymous", speaker_description="x", sources=[source(quote="the printed excerpt")]
        ),
    )
    searchable.append(
        GRINEV, statement("later words", speaker="anonymous", speaker_description="x", sources=[source(quote="later print")])
    )
    searchable.append(
        GRINEV, fact("FactCorrected", "2024-06-06", target=said.ids[0], fields={"quote": "the words as corrected"}, reason="r")
    )
    [hit] = searchable.hits("printed excerpt")
    assert hit["event_id"] == said.ids[0] and hit["quote"] == "the words as corrected"
