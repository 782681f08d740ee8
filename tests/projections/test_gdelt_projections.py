"""The read models over real, messy data: the GDELT 2017 sample, converted, imported and folded, on both backends.

Data: The GDELT Project, https://www.gdeltproject.org/ (see tests/data/gdelt/README.md).

`tests/data/gdelt/convert.py` turns the sample's visits and signed agreements
into append requests, one event each: 725 visits, 67 agreements and 258
entities, with 220 rows rejected. They go through `accord import`'s path
into the log and the facts projection is caught up; the expected answers are
worked out here from the converter's output, independently of the projections.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection

from events.ndjson import plan_import, write_import
from events.store import SqlEventStore
from projections import AsOf, FactsProjection, Runner
from projections.agreements import agreement, list_agreements
from projections.entities import find_entities, list_entities
from projections.facts import Revision
from projections.tables import fact_revisions, fact_subjects
from projections.text import fold
from projections.timeline import timeline
from tests.data.gdelt.convert import (
    NO_TWO_PARTIES,
    NO_VISITOR,
    SAMPLE,
    VISIT_CODES,
    Conversion,
    convert,
    publisher_of,
    write_ndjson,
)

AFTER_ALL = AsOf("2017-12-31")  # every converted fact has certainly happened by then (the latest: 2017-07-01)
UNITED_STATES = "country-united-states"
ARTICLE = "http://www.arabnews.com/node/1108701/columns"  # the article most facts were coded from


# -- the converted sample, as the converter made it --------------------------


@dataclass(frozen=True)
class Converted:
    """One event of the conversion, at the position its request takes in the log."""

    position: int
    stream: str
    event: dict[str, Any]

    @property
    def data(self) -> dict[str, Any]:
        return self.event["data"]

    @property
    def names(self) -> set[str]:
        """The entities the fact names: visitors, host, parties."""
        data = self.data
        return {*data.get("visitors", ()), *data.get("parties", ()), *([data["host"]] if "host" in data else [])}


@pytest.fixture(scope="module")
def conversion() -> Conversion:
    return convert(SAMPLE)


@pytest.fixture(scope="module")
def converted(conversion: Conversion) -> list[Converted]:
    """Every converted event; one event per request, imported in order, so request i lands at position i + 1."""
    assert all(len(r["events"]) == 1 for r in conversion.requests)
    return [Converted(i, r["stream"], r["events"][0]) for i, r in enumerate(conversion.requests, start=1)]


@pytest.fixture(scope="module")
def facts(converted: list[Converted]) -> list[Converted]:
    return [c for c in converted if c.event["type"] != "EntityRegistered"]


@pytest.fixture(scope="module")
def registrations(converted: list[Converted]) -> dict[str, dict[str, Any]]:
    """EntityRegistered events by entity stream."""
    return {c.stream: c.event for c in converted if c.event["type"] == "EntityRegistered"}


def in_timeline_order(facts: list[Converted]) -> list[str]:
    """Event ids ordered as a timeline orders them: `occurred` (all plain days here), then position."""
    return [c.event["id"] for c in sorted(facts, key=lambda c: (c.event["occurred"], c.position))]


# -- the archive they make ----------------------------------------------------


@pytest.fixture
def connection(store: SqlEventStore, conversion: Conversion, converted: list[Converted], tmp_path: Path) -> Iterator[Connection]:
    """The sample imported like `accord import` imports it, the facts projection caught up; a connection to read it."""
    runner = Runner(store, [FactsProjection(store.engine)])
    runner.start()
    path = tmp_path / "gdelt.ndjson"
    write_ndjson(conversion, path)
    with open(path, "rb") as source:
        write_import(plan_import(source, store), store, recorded_by="gdelt")
    assert {e.id: e.position for e in store.read_all()} == {c.event["id"]: c.position for c in converted}
    assert runner.catch_up() == len(converted)
    with store.engine.connect() as opened:
        yield opened


def whole_timeline(connection: Connection, as_of: AsOf = AFTER_ALL, **filters: Any) -> list[Revision]:
    """Every fact of a timeline, read page by page."""
    found: list[Revision] = []
    while True:
        page = timeline(connection, as_of, limit=100, offset=len(found), **filters)
        found.extend(page.facts)
        if len(found) >= page.total:
            assert len(found) == page.total
            return found


def by_id(facts: list[Converted]) -> dict[str, Converted]:
    return {c.event["id"]: c for c in facts}


# -- timelines -----------------------------------------------------------------


def test_the_timeline_of_the_united_states_is_in_occurred_order_with_its_articles(
    connection: Connection, facts: list[Converted]
) -> None:
    expected = [c for c in facts if UNITED_STATES in c.names]
    assert Counter(c.event["type"] for c in expected) == {"VisitMade": 156, "AgreementSigned": 4}

    listed = whole_timeline(connection, subject=UNITED_STATES)
    assert [f.event_id for f in listed] == in_timeline_order(expected)
    # GDELT dates some 2017 articles' events years back: those come first, though logged later.
    assert [f.occurred for f in listed[:4]] == ["2007-06-04", "2007-06-04", "2016-06-01", "2016-06-01"]
    assert [f.position for f in listed] != sorted(f.position for f in listed)

    converted = by_id(expected)
    for fact in listed:
        event = converted[fact.event_id].event
        assert (fact.type, fact.occurred, fact.data) == (event["type"], event["occurred"], event["data"])
        [source] = fact.sources
        assert source == event["sources"][0]
        assert source["publisher"] == publisher_of(source["url"]) and not source["publisher"].startswith("www.")

    # Only what had certainly happened by valid_at: the 88 facts dated up to the end of May 2017.
    by_may = whole_timeline(connection, AsOf("2017-05-31"), subject=UNITED_STATES)
    assert [f.event_id for f in by_may] == in_timeline_order([c for c in expected if c.event["occurred"] <= "2017-05-31"])
    assert len(by_may) == 88


def test_registrations_are_left_out_of_timelines_unless_asked_for(
    connection: Connection, registrations: dict[str, dict[str, Any]]
) -> None:
    assert all(f.type != "EntityRegistered" for f in whole_timeline(connection))
    [registered] = whole_timeline(connection, subject=UNITED_STATES, types=["EntityRegistered"])
    assert registered.event_id == registrations[UNITED_STATES]["id"]
    assert registered.occurred == "2007-06-04"  # the date of its earliest fact


# -- entities ------------------------------------------------------------------


def test_every_converted_actor_is_in_the_directory_in_name_order(
    connection: Connection, registrations: dict[str, dict[str, Any]]
) -> None:
    directory = list_entities(connection, AFTER_ALL, limit=1000)
    assert directory.total == len(registrations) == 258
    assert [e.id for e in directory.entities] == sorted(registrations, key=lambda s: (fold(registrations[s]["data"]["name"]), s))
    for entity in directory.entities:
        data = registrations[entity.id]["data"]
        assert (entity.name, entity.kind, entity.aliases) == (data["name"], data["kind"], data["aliases"])

    kinds = {kind: list_entities(connection, AFTER_ALL, kind=kind).total for kind in ("country", "person", "body", "organization")}
    assert kinds == {"country": 61, "person": 12, "body": 6, "organization": 179}
    # A directory entry, not an event in the world: valid_at does not hide it.
    assert list_entities(connection, AsOf("2000-01-01")).total == 258


def test_names_and_aliases_are_found_case_and_accent_blind(
    connection: Connection, registrations: dict[str, dict[str, Any]]
) -> None:
    holders: dict[str, set[str]] = {}  # folded name or alias -> the entities that carry it
    for stream, event in registrations.items():
        for name in (event["data"]["name"], *event["data"]["aliases"]):
            holders.setdefault(fold(name), set()).add(stream)
    for name, streams in holders.items():
        for spelling in (name, name.upper(), name.title()):
            assert find_entities(connection, spelling) == sorted(streams), spelling

    assert find_entities(connection, "Únîted   Státes") == [UNITED_STATES]
    assert find_entities(connection, "  GEORGE w. bush ") == ["person-george-w-bush"]
    assert find_entities(connection, "Bénédict XVI") == ["person-benedict-xvi"]
    # GDELT codes US cities and states as USA; obama and the US government share USAGOV.
    usa = find_entities(connection, "usa")
    assert len(usa) == 33 and UNITED_STATES in usa and "org-new-york" in usa
    assert find_entities(connection, "UsaGov") == [UNITED_STATES, "person-obama"]
    assert find_entities(connection, "Atlantis") == []


# -- rows that state no fact ---------------------------------------------------


def read_rows() -> list[dict[str, str]]:
    with open(SAMPLE, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def blank(row: dict[str, str], side: str) -> bool:
    return not row[f"{side}Name"].strip()


def test_rows_with_a_blank_visitor_or_party_are_rejected_and_never_become_facts(
    connection: Connection, store: SqlEventStore, conversion: Conversion, facts: list[Converted]
) -> None:
    rows = {row["GLOBALEVENTID"]: row for row in read_rows()}
    rejected = {r.global_event_id: r.reason for r in conversion.rejected}
    visitor_side = {"042": "Actor1", "043": "Actor2"}
    no_visitor = {gid for gid, row in rows.items() if row["EventCode"] in VISIT_CODES and blank(row, visitor_side[row["EventCode"]])}
    no_party = {gid for gid, row in rows.items() if row["EventCode"] == "057" and (blank(row, "Actor1") or blank(row, "Actor2"))}
    assert (len(no_visitor), len(no_party)) == (185, 30)
    assert {gid: rejected.get(gid) for gid in no_visitor} == dict.fromkeys(no_visitor, NO_VISITOR)
    assert {gid: rejected.get(gid) for gid in no_party} == dict.fromkeys(no_party, NO_TWO_PARTIES)

    # None of the 220 rejected rows reached the log or the facts, under any id.
    correlations = {e.metadata.get("correlation_id") for e in store.read_all()}
    assert not correlations & {f"gdelt:{gid}" for gid in rejected}
    everything = whole_timeline(connection)
    assert len(everything) == len(facts) == conversion.in_scope - len(rejected) == 792

    # A blank host is not a blank visitor: those 117 visits stand, in the visitor's stream, about the visitor alone.
    hostless = [f for f in everything if f.type == "VisitMade" and "host" not in f.data]
    assert len(hostless) == 117
    assert all(f.stream == f.data["visitors"][0] for f in hostless)
    subjects = connection.execute(select(fact_subjects.c.position, fact_subjects.c.subject)).all()
    about: dict[int, set[str]] = {}
    for position, subject in subjects:
        about.setdefault(position, set()).add(subject)
    assert all(about[f.position] == {f.stream} for f in hostless)


def test_every_subject_of_a_fact_is_a_registered_entity_or_an_agreement(
    connection: Connection, registrations: dict[str, dict[str, Any]], facts: list[Converted]
) -> None:
    subjects = set(connection.execute(select(fact_subjects.c.subject).distinct()).scalars())
    agreements = {c.stream for c in facts if c.event["type"] == "AgreementSigned"}
    assert subjects == set(registrations) | agreements
    assert connection.execute(select(fact_revisions.c.position).where(fact_revisions.c.revision > 0)).first() is None


# -- one article, many facts --------------------------------------------------


def test_events_from_one_article_are_separate_facts_citing_it(connection: Connection, facts: list[Converted]) -> None:
    everything = whole_timeline(connection)
    assert Counter(f.sources[0]["url"] for f in everything) == Counter(c.event["sources"][0]["url"] for c in facts)

    cited = [f for f in everything if f.sources[0]["url"] == ARTICLE]
    assert len(cited) == 32
    assert len({f.event_id for f in cited}) == len({f.position for f in cited}) == 32
    assert all(f.sources == [{"publisher": "arabnews.com", "url": ARTICLE, "published": "2017-06-01"}] for f in cited)
    assert Counter(f.type for f in cited) == {"VisitMade": 26, "AgreementSigned": 6}
    # GDELT coded some of its events twice, word for word: still two facts each.
    same = Counter((f.stream, f.type, f.occurred, repr(sorted(f.data.items()))) for f in cited)
    assert sorted(same.values(), reverse=True)[:5] == [2, 2, 2, 2, 1]


# -- agreements ----------------------------------------------------------------


def test_every_signed_agreement_is_listed_in_force_with_its_parties(connection: Connection, facts: list[Converted]) -> None:
    signed = {c.stream: c.event for c in facts if c.event["type"] == "AgreementSigned"}
    assert len(signed) == 67

    listed = list_agreements(connection, AFTER_ALL, limit=100)
    assert listed.total == 67
    assert [a.id for a in listed.agreements] == sorted(signed)
    for state in listed.agreements:
        data = signed[state.id]["data"]
        assert state.status == "in_force"
        assert (state.title, state.parties, state.signed) == (data["title"], data["parties"], signed[state.id]["occurred"])
        assert len(state.parties) == 2 and state.parties[0] != state.parties[1]
        assert [h.fact.event_id for h in state.history] == [signed[state.id]["id"]]

    assert list_agreements(connection, AFTER_ALL, status="in_force").total == 67
    assert list_agreements(connection, AFTER_ALL, status="expired").total == 0
    with_us = [a.id for a in list_agreements(connection, AFTER_ALL, party=UNITED_STATES).agreements]
    assert with_us == sorted(s for s, e in signed.items() if UNITED_STATES in e["data"]["parties"])
    assert len(with_us) == 4


def test_an_agreement_exists_from_the_day_it_was_signed(connection: Connection) -> None:
    """651828062: Belarus and Sudan, signed 2017-05-01 (Xinhua)."""
    stream = "agreement-gdelt-651828062"
    assert agreement(connection, stream, AsOf("2017-04-30")) is None
    state = agreement(connection, stream, AsOf("2017-05-01"))
    assert state is not None
    assert (state.status, state.parties) == ("in_force", ["country-belarus", "country-sudan"])
