"""A name in any script or spelling finds the entity and everything about it, the entity first; Cyrillic
and Latin words meet both ways."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.store import open_store
from tests.builders import entity, fact, source, statement
from tests.search.conftest import Searchable

SAME_FACTS = [
    ("ОИЯИ", "JINR", "org-jinr"),
    ("Путин", "Putin", "person-vladimir-putin"),
    ("Дубна", "Dubna", None),  # no entity: the words meet through transliteration
    ("Ковальчук", "Kovalchuk", "person-mikhail-kovalchuk"),
    ("КЕК", "KEK", "org-kek"),
    ("Объединённый институт ядерных исследований", "Joint Institute for Nuclear Research", "org-jinr"),
]


def facts(archive: Searchable, q: str) -> set[str]:
    results = archive.search(q, per_page=100)
    assert results.total <= 100
    return {hit.record["event_id"] for hit in results.hits}


@pytest.mark.parametrize(("cyrillic", "latin", "stream"), SAME_FACTS, ids=[latin for _, latin, _ in SAME_FACTS])
def test_a_name_in_either_script_finds_the_same_facts_with_the_entity_first(
    seeded: Searchable, cyrillic: str, latin: str, stream: str | None
) -> None:
    found = facts(seeded, latin)
    assert found and facts(seeded, cyrillic) == found
    for q in (cyrillic, latin):
        entities = seeded.search(q).entities
        assert (entities[0].id if entities else None) == stream


def test_an_entity_s_own_facts_come_before_those_that_only_name_it(seeded: Searchable) -> None:
    hits = seeded.hits("Kovalchuk")
    own = [hit["speaker_id"] == "person-mikhail-kovalchuk" for hit in hits]
    assert own[0] and own == sorted(own, reverse=True)
    assert {"speaker"} <= set(hits[0]["matched_in"])


def test_a_phrase_matches_only_its_words_in_order_stop_words_included(searchable: Searchable) -> None:
    searchable.append("org-cern", statement("the future of Europe is open", speaker="anonymous", speaker_description="x"))
    searchable.append("org-cern", statement("Europe of the future", speaker="anonymous", speaker_description="y"))
    assert searchable.search('"of europe"').total == 1
    assert searchable.search('"future of europe"').total == 1
    assert searchable.search('"the future"').total == 2
    assert searchable.search('"future europe"').total == 0  # "of" stands between them
    assert searchable.search("future europe").total == 2  # unquoted, every word anywhere
    assert searchable.search("of europe").total == 2  # unquoted, the stop word is left out


def test_a_title_only_match_ranks_below_the_words_and_is_highlighted_in_the_title(seeded: Searchable) -> None:
    hits = seeded.hits('"window to the West"', per_page=100)
    assert hits[0]["event_id"].startswith("52ea6d1f") and hits[0]["matched_in"][0] == "quote"
    assert '<mark class="match term0">window</mark> to the <mark class="match term1">West</mark>' in hits[0]["highlight"]
    first_title_only = next(n for n, hit in enumerate(hits) if hit["matched_in"] == ["source_title"])
    assert all(hit["matched_in"] == ["source_title"] for hit in hits[first_title_only:])
    title_only = hits[first_title_only]
    assert '<mark class="match term0">Window</mark> to the <mark class="match term1">West</mark>' in title_only["highlight"]
    assert all(hit["matched_in"] for hit in seeded.hits("Dubna", per_page=100))
    quotes = seeded.search('"window to the West"', quotes_only=True)
    assert 0 < quotes.total < len(hits)
    assert all(set(hit.matched_in) & {"quote", "excerpt", "original_text"} for hit in quotes.hits)


def test_direct_quotes_and_reported_speech_filter_and_count_apart(searchable: Searchable) -> None:
    searchable.append("person-boris-grinev", statement("called on CERN to end the cooperation", speaker="person-boris-grinev",
                                                       quote_kind="reported"))
    searchable.append("person-boris-grinev", statement("CERN must end the cooperation", speaker="person-boris-grinev"))
    results = searchable.search("cooperation")
    assert results.facets["kind"] == [{"value": "direct", "count": 1}, {"value": "reported", "count": 1}]
    [reported] = searchable.hits("cooperation", kind="reported")
    assert reported["quote_kind"] == "reported" and reported["quote"] == "called on CERN to end the cooperation"
    [direct] = searchable.hits("cooperation", kind="direct")
    assert direct["quote_kind"] == "direct"  # stored without the field: read as direct


def test_facts_found_through_the_original_words_of_a_translation(searchable: Searchable) -> None:
    searchable.append("org-jinr", statement("Scientists of Dubna are open to cooperation", speaker="anonymous",
                                            speaker_description="a JINR physicist", language="en",
                                            original_text="Учёные Дубны открыты к сотрудничеству", original_language="ru"))
    [hit] = searchable.hits("сотрудничество")
    assert hit["matched_in"] == ["original_text"] and "<mark" in hit["highlight"]


def test_a_renamed_entity_is_found_under_its_new_names_only(searchable: Searchable) -> None:
    registered = searchable.append("org-acme", entity("Acme Lab", "organization", ["Эйкми"]))
    searchable.append("org-acme", statement("new detectors", speaker="anonymous", speaker_description="someone"))
    assert searchable.search("Эйкми").entities[0].id == "org-acme" and searchable.search("Эйкми").total == 1
    searchable.append("org-acme", fact("FactCorrected", "2026-01-01", target=registered.ids[0], fields={"aliases": ["Zenith"]},
                                       reason="Renamed."))
    assert searchable.search("Zenith").total == 1 and not searchable.search("Эйкми").entities


# -- every entity of a generated log, under every name ----------------------------------------------------

_LATIN = "kovalchuk petrov smirnov ivanov sokolov popov lebedev kozlov novikov morozov volkov solovyov".split()
_CYRILLIC = "ковальчук петров смирнов иванов соколов попов лебедев козлов новиков морозов волков соловьёв".split()


@st.composite
def logs(draw: st.DrawFn) -> tuple[list[tuple[str, str, str]], list[tuple[int, int]]]:
    """Entities (a Latin name, its Cyrillic alias, kind) and statements (speaker, entity named in the quote, by script)."""
    picked = draw(st.lists(st.integers(0, len(_LATIN) - 1), min_size=1, max_size=5, unique=True))
    entities = [(f"Anna {_LATIN[n].capitalize()}", f"Анна {_CYRILLIC[n].capitalize()}",
                 draw(st.sampled_from(["person", "organization"]))) for n in picked]
    said = draw(st.lists(st.tuples(st.integers(0, len(entities) - 1), st.integers(-1, 2 * len(entities) - 1)), min_size=1, max_size=8))
    return entities, said


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=logs())
def test_every_entity_of_a_generated_log_is_found_alike_by_each_of_its_names(tmp_path_factory: pytest.TempPathFactory, log) -> None:
    entities, said = log
    folder: Path = tmp_path_factory.mktemp("names")
    archive = Searchable(open_store(f"sqlite:///{folder}/accord.db"), folder / "index")
    try:
        streams = []
        for n, (name, alias, kind) in enumerate(entities):
            stream = f"{'person' if kind == 'person' else 'org'}-e{n}"
            streams.append(stream)
            archive.append(stream, entity(name, kind, [alias]))
        for speaker, named in said:
            mention = "" if named < 0 else entities[named // 2][named % 2]
            archive.append(streams[speaker], statement(f"a word on detectors {mention}".strip(), speaker=streams[speaker],
                                                       sources=[source(title="Detectors")]))
        for stream, (name, alias, kind) in zip(streams, entities, strict=True):
            by_name, by_alias = archive.search(name), archive.search(alias)
            assert by_name.entities[0].id == stream and by_alias.entities[0].id == stream
            assert facts(archive, name) == facts(archive, alias)
            if kind == "person":  # the last name alone, in either script
                assert facts(archive, name.split()[-1]) == facts(archive, alias.split()[-1]) == facts(archive, name)
    finally:
        archive.close()
