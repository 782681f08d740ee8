"""Timelines and the entity directory, in both times, on both backends."""

from __future__ import annotations

from events.store.sql import utc_now
from projections import AsOf
from projections.entities import entity, find_entities, list_entities
from tests.builders import entity as registered
from tests.builders import fact, statement
from tests.projections.conftest import Archive

PAST = "2026-01-10T09:00:00.000000Z"


def test_facts_run_in_order_of_their_earliest_date_then_position(archive: Archive) -> None:
    archive.append("person-vladimir-putin", statement("late", occurred="2024-06-13"))
    archive.append("person-vladimir-putin", statement("vague", occurred="2024-06~"))
    archive.append("person-vladimir-putin", statement("early", occurred="2024-06-01/2024-06-30"))
    quotes = [f.data["quote"] for f in archive.timeline(subject="person-vladimir-putin").facts]
    assert quotes == ["vague", "early", "late"]  # vague and early share 1 June: position decides


def test_a_fact_is_on_the_timeline_of_each_entity_it_names(archive: Archive) -> None:
    visit = fact("VisitMade", "2024-06-13", visitors=["person-vladimir-putin", "Dmitry Chernyshenko"], host="org-jinr", place="Dubna")
    archive.append("org-jinr", visit)
    for subject in ("org-jinr", "person-vladimir-putin"):
        [found] = archive.timeline(subject=subject).facts
        assert found.type == "VisitMade" and found.sources[0]["publisher"] == "T-invariant"
    assert archive.timeline(subject="dubna").total == 0


def test_filters_by_type_and_by_dates_that_overlap_the_range(archive: Archive) -> None:
    archive.append("person-vladimir-putin", statement("in 2023", occurred="2023-05-01"), statement("2023 to 2024", occurred="2023-11/2024-02"))
    archive.append("org-jinr", fact("VisitMade", "2024-06-13", visitors=["person-vladimir-putin"], host="org-jinr"))
    in_2024 = archive.timeline(start="2024-01-01", end="2024-12-31")
    assert [f.data.get("quote", f.type) for f in in_2024.facts] == ["2023 to 2024", "VisitMade"]
    assert archive.timeline(types=["VisitMade"]).total == 1
    assert archive.timeline(valid_at="2024-01-31").total == 1  # the second statement is certain only from 29 February


def test_registrations_are_directory_entries_not_timeline_facts(archive: Archive) -> None:
    archive.append("org-jinr", registered())
    assert archive.timeline(subject="org-jinr").total == 0
    assert archive.timeline(subject="org-jinr", types=["EntityRegistered"]).total == 1


def test_corrections_show_from_their_recorded_at_and_retractions_hide(archive: Archive) -> None:
    ids = archive.append("person-vladimir-putin", statement("original"), statement("kept"), recorded_at=PAST).ids
    before = utc_now()
    archive.append("person-vladimir-putin", fact("FactCorrected", "2026-11-23", target=ids[0], fields={"quote": "corrected", "occurred": "2024-06-14"}, reason="typo"))
    archive.append("person-vladimir-putin", fact("FactRetracted", "2026-11-23", target=ids[1], reason="never said"))
    now = archive.timeline(subject="person-vladimir-putin").facts
    assert [(f.data["quote"], f.occurred, f.revision) for f in now] == [("corrected", "2024-06-14", 1)]
    then = archive.timeline(subject="person-vladimir-putin", known_at=before).facts
    assert [(f.data["quote"], f.occurred) for f in then] == [("original", "2024-06-13"), ("kept", "2024-06-13")]


def test_a_correction_of_a_correction_builds_on_the_last_revision(archive: Archive) -> None:
    [target] = archive.append("person-vladimir-putin", statement("one")).ids
    archive.append("person-vladimir-putin", fact("FactCorrected", "2026-11-23", target=target, fields={"quote": "two"}, reason="r"))
    archive.append("person-vladimir-putin", fact("FactCorrected", "2026-11-23", target=target, fields={"context": None}, reason="r"))
    [latest] = archive.timeline(subject="person-vladimir-putin").facts
    assert latest.revision == 2 and latest.data["quote"] == "two" and "context" not in latest.data


def test_entities_by_name_alias_and_kind_as_the_archive_knew_them(archive: Archive) -> None:
    [jinr] = archive.append("org-jinr", registered(), recorded_at=PAST).ids
    archive.append("person-vladimir-putin", registered("Vladimir Putin", kind="person", aliases=["Владимир Путин"]))
    before = utc_now()
    archive.append("org-jinr", fact("FactCorrected", "2026-11-23", target=jinr, fields={"aliases": ["ОИЯИ", "JINR", "Dubna institute"]}, reason="alias"))
    with archive.store.engine.connect() as connection:
        assert find_entities(connection, "оияи") == ["org-jinr"]
        assert find_entities(connection, "владимир путин") == ["person-vladimir-putin"]
        assert find_entities(connection, "dubna INSTITUTE") == ["org-jinr"]
        assert find_entities(connection, "Объединённый институт ядерных исследований") == []  # corrected away
        assert [e.id for e in list_entities(connection, AsOf.now(), kind="person").entities] == ["person-vladimir-putin"]
        listed = list_entities(connection, AsOf.now())
        assert [e.name for e in listed.entities] == ["Joint Institute for Nuclear Research", "Vladimir Putin"]
        old = entity(connection, "org-jinr", AsOf.parse(None, before))
        assert old is not None and "Объединённый институт ядерных исследований" in old.aliases
        assert entity(connection, "org-jinr", AsOf.parse(None, "2026-01-09")) is None
        assert entity(connection, "org-nowhere", AsOf.now()) is None
