"""The seed corpus (service/seed/corpus.ndjson): valid, stable, sourced, and loadable into a real log.

Each line is one append request, applied in file order. These tests hold the
corpus to the rules `accord import` and the archive depend on: every event
validates against the catalogue, carries a fixed id, and expects the exact
version its stream is at; quotes are the words the seed documents print;
nothing links to a URL the documents do not give; and every entity a fact
names is registered before the fact.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from events.catalogue import ANONYMOUS
from events.prepare import PreparedRequest, prepare_request
from events.store import open_store

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"
T_INVARIANT_DOC = "000_582fec8806ef3e88.txt"
JINR_DOC = "004_dea64256af123f56.txt"
DOC_OF_PUBLISHER = {"T-invariant": T_INVARIANT_DOC, "JINR": JINR_DOC}

ENTITY_CATEGORIES = {
    "org": "organization",
    "person": "person",
    "body": "body",
    "facility": "facility",
    "country": "country",
}
ENTITY_REF = re.compile(r"^(?:org|person|body|facility|country)-[a-z0-9]+(?:-[a-z0-9]+)*$")


def _corpus_text() -> str:
    return resources.files("service").joinpath("seed", "corpus.ndjson").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def lines() -> list[dict[str, Any]]:
    parsed = []
    for number, raw in enumerate(_corpus_text().splitlines(), start=1):
        assert raw.strip(), f"line {number} is blank"
        line = json.loads(raw)
        assert isinstance(line, dict), f"line {number} is not a JSON object"
        parsed.append(line)
    assert parsed, "the seed corpus is empty"
    return parsed


@pytest.fixture(scope="module")
def events(lines: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(line["stream"], event) for line in lines for event in line["events"]]


@pytest.fixture(scope="module")
def seed_documents() -> dict[str, str]:
    if not SEEDS.is_dir():
        pytest.skip(f"the seed documents are not at {SEEDS}: quotes cannot be checked against them here")
    return {name: (SEEDS / name).read_text(encoding="utf-8") for name in (T_INVARIANT_DOC, JINR_DOC)}


def _prepared(lines: list[dict[str, Any]]) -> list[PreparedRequest]:
    return [prepare_request(line["stream"], line["expected_version"], line["events"]) for line in lines]


def test_every_line_is_a_valid_append_request(lines: list[dict[str, Any]]) -> None:
    for number, line in enumerate(lines, start=1):
        assert set(line) == {"stream", "expected_version", "events"}, f"line {number} has keys {sorted(line)}"
        prepared = prepare_request(line["stream"], line["expected_version"], line["events"])
        assert len(prepared.events) == len(line["events"])


def test_every_event_has_a_fixed_unique_id(lines: list[dict[str, Any]], events: list[tuple[str, dict[str, Any]]]) -> None:
    ids = []
    for stream, event in events:
        assert "id" in event, f"an event of {stream} has no fixed id"
        assert str(uuid.UUID(event["id"])) == event["id"], f"{event['id']} is not a canonical UUID"
        ids.append(event["id"])
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates, f"ids used twice: {duplicates}"
    # Prepared ids are the ones in the file, not random or derived ones.
    assert [e.id for r in _prepared(lines) for e in r.events] == ids


def test_version_expectations_follow_the_file_order(lines: list[dict[str, Any]]) -> None:
    versions: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        stream, expected = line["stream"], line["expected_version"]
        if stream not in versions:
            assert expected == "no_stream", f"line {number}: first line of {stream} must expect no_stream, not {expected!r}"
            first = 0
        else:
            assert expected == versions[stream], f"line {number}: {stream} is at {versions[stream]}, line expects {expected!r}"
            first = versions[stream] + 1
        versions[stream] = first + len(line["events"]) - 1


def test_there_are_enough_events_and_entities_come_first(events: list[tuple[str, dict[str, Any]]]) -> None:
    assert len(events) >= 60
    types = [event["type"] for _, event in events]
    last_entity = max(i for i, t in enumerate(types) if t == "EntityRegistered")
    first_fact = min(i for i, t in enumerate(types) if t != "EntityRegistered")
    assert last_entity < first_fact, "every EntityRegistered comes before the first fact"
    for wanted in ("AgreementSigned", "AgreementRenewed", "AgreementExpired", "VoteScheduled", "VoteHeld",
                   "VisitMade", "StatementMade", "StatusChanged"):
        assert wanted in types, f"the corpus has no {wanted}"


def test_entities_live_in_streams_of_their_kind(events: list[tuple[str, dict[str, Any]]]) -> None:
    for stream, event in events:
        if event["type"] == "EntityRegistered":
            category = stream.split("-", 1)[0]
            assert ENTITY_CATEGORIES.get(category) == event["data"]["kind"], f"{stream} registers a {event['data']['kind']}"


def _references(event: dict[str, Any]) -> list[str]:
    data = event["data"]
    refs: list[str] = []
    if event["type"] == "StatementMade" and data["speaker"] != ANONYMOUS:
        refs.append(data["speaker"])
    refs += data.get("parties", [])
    refs += [data[name] for name in ("body", "party", "organization") if name in data]
    # Visitors and host may be plain names; those written as entity streams must be registered.
    refs += [v for v in [*data.get("visitors", []), data.get("host")] if isinstance(v, str) and ENTITY_REF.match(v)]
    return refs


def test_every_referenced_entity_is_registered_earlier(events: list[tuple[str, dict[str, Any]]]) -> None:
    registered: set[str] = set()
    for stream, event in events:
        for ref in _references(event):
            assert ref in registered, f"{event['type']} {event['id']} in {stream} names {ref}, not registered before it"
        if event["type"] == "EntityRegistered":
            registered.add(stream)


def test_votes_and_statements_are_in_the_right_streams(events: list[tuple[str, dict[str, Any]]]) -> None:
    for stream, event in events:
        data = event["data"]
        if event["type"] in ("VoteScheduled", "VoteHeld"):
            assert data.get("agreement") == stream and data.get("effect"), f"vote {event['id']} belongs to its agreement"
        if event["type"].startswith("Agreement"):
            assert stream.startswith("agreement-"), f"{event['type']} {event['id']} is in {stream}"
        if event["type"] == "StatementMade":
            if data["speaker"] == ANONYMOUS:
                assert stream.startswith("org-") and data.get("speaker_description"), event["id"]
            else:
                assert data["speaker"] == stream, f"statement {event['id']} is not in its speaker's stream"


def test_no_source_has_a_url(events: list[tuple[str, dict[str, Any]]]) -> None:
    for _, event in events:
        for source in event["sources"]:
            assert "url" not in source and "archived_url" not in source, f"{event['id']} cites a URL the documents do not give"
            assert source.get("publisher")


def test_every_statement_quote_is_printed_in_a_seed_document(
    events: list[tuple[str, dict[str, Any]]], seed_documents: dict[str, str]
) -> None:
    texts = list(seed_documents.values())
    for _, event in events:
        if event["type"] == "StatementMade":
            quote = event["data"]["quote"]
            assert any(quote in text for text in texts), f"{event['id']}: {quote!r} is not verbatim in a seed document"


def test_source_excerpts_are_printed_in_their_document(
    events: list[tuple[str, dict[str, Any]]], seed_documents: dict[str, str]
) -> None:
    for _, event in events:
        for source in event["sources"]:
            document = DOC_OF_PUBLISHER.get(source["publisher"])
            if document is not None:
                assert source.get("quote"), f"{event['id']}: a {source['publisher']} source needs its excerpt"
                assert source["quote"] in seed_documents[document], f"{event['id']}: {source['quote']!r} not in {document}"


def test_the_whole_corpus_loads_into_a_real_log(tmp_path: Path, lines: list[dict[str, Any]]) -> None:
    requests = _prepared(lines)
    store = open_store(f"sqlite:///{tmp_path}/a.db")
    try:
        results = store.append_batch(requests, recorded_by="seed")
        total = sum(len(r.events) for r in requests)
        assert [p for r in results for p in r.positions] == list(range(1, total + 1))
        assert store.head().position == total
        report = store.verify()
        assert report.ok
        # Loading it again is a no-op: every line is a retry of stored ids.
        again = store.append_batch(requests, recorded_by="seed")
        assert again == [replace(r, retried=True) for r in results]
        assert store.head().position == total
    finally:
        store.close()
