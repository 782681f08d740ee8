"""The event store contract, checked once and run on every backend (SQLite and PostgreSQL).

Every test takes the `store` fixture, which is parametrised over the backends
in tests/conftest.py.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
from dataclasses import replace
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import orjson
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from events.chain import canonical_event
from events.envelope import GENESIS_HASH, AppendResult, EventEnvelope, Head
from events.errors import DuplicateEvent, VersionConflict
from events.prepare import PreparedEvent, PreparedRequest
from events.store import SqlEventStore, open_store
from events.store import sql as sql_store
from events.store.migrate import alembic_config
from tests.builders import entity, numbered_statements, prepared, request, source, statement

ARCHIVIST = "archivist-anna"
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$")


# -- helpers ---------------------------------------------------------------


def append_statements(store: SqlEventStore, stream: str, count: int, expected: Any = "any", label: str = "") -> list[int]:
    """Append `count` fresh statements to `stream` in one call; return their positions."""
    result = store.append(stream, prepared(stream, *numbered_statements(count, label or stream)), expected, recorded_by=ARCHIVIST)
    return result.positions


def all_positions(store: SqlEventStore) -> list[int]:
    return [e.position for e in store.read_all()]


def execute(store: SqlEventStore, statement_sql: str) -> None:
    """Run raw SQL on the store's own engine, behind accord's back, and commit it."""
    with store.engine.begin() as connection:
        connection.execute(text(statement_sql))


def drop_immutability_triggers(store: SqlEventStore) -> None:
    """What an attacker with database access would do first."""
    if store.dialect == "postgresql":
        execute(store, "DROP TRIGGER events_immutable ON events")
    else:
        execute(store, "DROP TRIGGER events_no_update")
        execute(store, "DROP TRIGGER events_no_delete")


def assert_refused_by_database(store: SqlEventStore, statement_sql: str) -> None:
    with pytest.raises(DBAPIError, match="immutable"):
        execute(store, statement_sql)


# -- schema ------------------------------------------------------------------


def test_migrations_put_table_version_table_and_triggers_where_the_store_looks(store: SqlEventStore) -> None:
    with store.engine.connect() as connection:
        if store.dialect == "postgresql":
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
            tables = set(
                connection.execute(
                    text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"), {"s": schema}
                ).scalars()
            )
            functions = set(
                connection.execute(
                    text(
                        "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                        "WHERE n.nspname = :s"
                    ),
                    {"s": schema},
                ).scalars()
            )
            triggers = set(
                connection.execute(
                    text(
                        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = :s AND c.relname = 'events' AND NOT t.tgisinternal"
                    ),
                    {"s": schema},
                ).scalars()
            )
            assert schema.startswith("t_"), "each PostgreSQL test runs in a schema of its own"
            assert {"events", "alembic_version"} <= tables
            assert "accord_refuse_change" in functions
            assert triggers == {"events_immutable", "events_no_truncate"}
        else:
            rows = connection.execute(text("SELECT type, name FROM sqlite_master")).all()
            assert {("table", "events"), ("table", "alembic_version")} <= set(map(tuple, rows))
            assert {("trigger", "events_no_update"), ("trigger", "events_no_delete")} <= set(map(tuple, rows))
        heads = ScriptDirectory.from_config(alembic_config()).get_heads()
        assert sorted(connection.execute(text("SELECT version_num FROM alembic_version")).scalars()) == sorted(heads)


def test_reopening_a_migrated_log_keeps_its_events(store: SqlEventStore, store_url: str) -> None:
    append_statements(store, "org-jinr", 2)
    again = open_store(store_url)
    try:
        assert again.head() == store.head()
        assert [e.id for e in again.read_all()] == [e.id for e in store.read_all()]
    finally:
        again.close()


# -- positions and versions ------------------------------------------------


def test_empty_log_has_head_zero_and_genesis_hash(store: SqlEventStore) -> None:
    assert store.head() == Head(0, GENESIS_HASH)
    assert list(store.read_all()) == []


def test_positions_start_at_one_and_increase_without_gaps(store: SqlEventStore) -> None:
    first = append_statements(store, "org-jinr", 3)
    second = append_statements(store, "org-cern", 1)
    third = append_statements(store, "org-jinr", 2)
    assert (first, second, third) == ([1, 2, 3], [4], [5, 6])
    assert all_positions(store) == [1, 2, 3, 4, 5, 6]
    assert store.head().position == 6


def test_versions_are_zero_based_and_counted_per_stream(store: SqlEventStore) -> None:
    a1 = store.append("org-jinr", prepared("org-jinr", *numbered_statements(3, "a")), "no_stream", recorded_by=ARCHIVIST)
    b1 = store.append("org-cern", prepared("org-cern", *numbered_statements(2, "b")), "no_stream", recorded_by=ARCHIVIST)
    a2 = store.append("org-jinr", prepared("org-jinr", *numbered_statements(2, "c")), 2, recorded_by=ARCHIVIST)
    assert (a1.first_version, a1.last_version) == (0, 2)
    assert (b1.first_version, b1.last_version) == (0, 1)
    assert (a2.first_version, a2.last_version) == (3, 4)
    assert [e.version for e in store.read_stream("org-jinr")] == [0, 1, 2, 3, 4]
    assert [e.version for e in store.read_stream("org-cern")] == [0, 1]
    assert store.stream_version("org-jinr") == 4
    assert store.stream_versions(["org-jinr", "org-cern", "org-kek"]) == {"org-jinr": 4, "org-cern": 1}


def test_append_result_names_stream_ids_and_positions(store: SqlEventStore) -> None:
    events = prepared("org-jinr", *numbered_statements(2))
    result = store.append("org-jinr", events, "no_stream", recorded_by=ARCHIVIST)
    assert result.stream == "org-jinr"
    assert result.ids == [e.id for e in events]
    assert result.positions == [1, 2]
    assert [store.get(i).position for i in result.ids] == [1, 2]  # type: ignore[union-attr]


def test_unknown_stream_has_no_version_and_reads_empty(store: SqlEventStore) -> None:
    append_statements(store, "org-jinr", 1)
    assert store.stream_version("org-kek") is None
    assert list(store.read_stream("org-kek")) == []


# -- expected version --------------------------------------------------------


def test_no_stream_creates_a_new_stream(store: SqlEventStore) -> None:
    result = store.append("org-jinr", prepared("org-jinr", entity()), "no_stream", recorded_by=ARCHIVIST)
    assert result.first_version == 0


def test_no_stream_on_an_existing_stream_conflicts_naming_its_version(store: SqlEventStore) -> None:
    append_statements(store, "org-jinr", 2)
    with pytest.raises(VersionConflict) as caught:
        store.append("org-jinr", prepared("org-jinr", statement()), "no_stream", recorded_by=ARCHIVIST)
    assert (caught.value.stream, caught.value.expected, caught.value.actual) == ("org-jinr", "no_stream", 1)


def test_exact_expected_version_appends_when_it_matches(store: SqlEventStore) -> None:
    append_statements(store, "org-jinr", 2)
    result = store.append("org-jinr", prepared("org-jinr", statement()), 1, recorded_by=ARCHIVIST)
    assert (result.first_version, result.positions) == (2, [3])


@pytest.mark.parametrize("expected", [0, 2, 7])
def test_wrong_expected_version_conflicts_naming_the_actual_version(store: SqlEventStore, expected: int) -> None:
    append_statements(store, "org-jinr", 2)
    with pytest.raises(VersionConflict) as caught:
        store.append("org-jinr", prepared("org-jinr", statement()), expected, recorded_by=ARCHIVIST)
    assert caught.value.expected == expected
    assert caught.value.actual == 1


def test_exact_expected_version_on_a_missing_stream_conflicts_with_actual_none(store: SqlEventStore) -> None:
    with pytest.raises(VersionConflict) as caught:
        store.append("org-jinr", prepared("org-jinr", statement()), 0, recorded_by=ARCHIVIST)
    assert caught.value.actual is None
    assert "no stream" in str(caught.value)


def test_any_appends_to_new_and_existing_streams(store: SqlEventStore) -> None:
    first = store.append("org-jinr", prepared("org-jinr", statement("one")), "any", recorded_by=ARCHIVIST)
    second = store.append("org-jinr", prepared("org-jinr", statement("two")), "any", recorded_by=ARCHIVIST)
    assert (first.first_version, second.first_version) == (0, 1)


def test_a_conflict_writes_nothing(store: SqlEventStore) -> None:
    append_statements(store, "org-jinr", 1)
    head = store.head()
    with pytest.raises(VersionConflict):
        store.append("org-jinr", prepared("org-jinr", *numbered_statements(3)), 5, recorded_by=ARCHIVIST)
    assert store.head() == head
    assert store.stream_version("org-jinr") == 0


# -- batches -------------------------------------------------------------------


def test_a_batch_applies_its_requests_in_order(store: SqlEventStore) -> None:
    results = store.append_batch(
        [
            request("org-jinr", entity(), expected="no_stream"),
            request("org-cern", entity("European Organization for Nuclear Research", aliases=["CERN", "ЦЕРН"]),
                    expected="no_stream"),
            request("org-jinr", statement(), expected=0),
        ],
        recorded_by=ARCHIVIST,
    )
    assert [(r.stream, r.first_version, r.positions) for r in results] == [
        ("org-jinr", 0, [1]),
        ("org-cern", 0, [2]),
        ("org-jinr", 1, [3]),
    ]


def test_a_batch_whose_second_request_conflicts_writes_nothing(store: SqlEventStore) -> None:
    append_statements(store, "org-cern", 1)
    head = store.head()
    with pytest.raises(VersionConflict) as caught:
        store.append_batch(
            [
                request("org-jinr", *numbered_statements(3), expected="no_stream"),
                request("org-cern", statement(), expected="no_stream"),
            ],
            recorded_by=ARCHIVIST,
        )
    assert caught.value.actual == 0
    assert store.head() == head
    assert store.stream_version("org-jinr") is None
    assert all_positions(store) == [1]


def test_a_batch_whose_second_request_reuses_an_id_writes_nothing(store: SqlEventStore) -> None:
    stored = prepared("org-cern", statement())
    store.append("org-cern", stored, "any", recorded_by=ARCHIVIST)
    head = store.head()
    reused = statement("Other words entirely.", id=stored[0].id)
    with pytest.raises(DuplicateEvent):
        store.append_batch([request("org-jinr", entity()), request("org-cern", reused)], recorded_by=ARCHIVIST)
    assert store.head() == head
    assert store.stream_version("org-jinr") is None


# -- idempotency -----------------------------------------------------------------


def as_retried(result: AppendResult) -> AppendResult:
    """What a retry answers: the original result, marked as a retry."""
    return replace(result, retried=True)


def test_a_retry_returns_the_original_result_even_with_a_stale_expected_version(store: SqlEventStore) -> None:
    events = prepared("org-jinr", *numbered_statements(2))
    original = store.append("org-jinr", events, "no_stream", recorded_by=ARCHIVIST)
    append_statements(store, "org-jinr", 1, label="later")
    head = store.head()
    retried = store.append("org-jinr", events, "no_stream", recorded_by="archivist-boris")
    assert retried == as_retried(original) and not original.retried
    assert store.head() == head
    assert len(list(store.read_all())) == 3


def test_a_retry_of_freshly_prepared_identical_events_is_a_no_op(store: SqlEventStore) -> None:
    raw = statement(id="0b6f8c3e-5d1a-4a7e-9f0c-3d2b1a000001")
    original = store.append("org-jinr", prepared("org-jinr", raw), "no_stream", recorded_by=ARCHIVIST)
    retried = store.append("org-jinr", prepared("org-jinr", raw), 42, recorded_by=ARCHIVIST)
    assert retried == as_retried(original)
    assert store.head().position == 1


def test_a_retried_batch_returns_every_original_result(store: SqlEventStore) -> None:
    batch = [
        request("org-jinr", entity(), expected="no_stream"),
        request("org-cern", *numbered_statements(2), expected="no_stream"),
    ]
    original = store.append_batch(batch, recorded_by=ARCHIVIST)
    head = store.head()
    assert store.append_batch(batch, recorded_by=ARCHIVIST) == [as_retried(r) for r in original]
    assert store.head() == head


def test_same_id_with_other_content_is_a_duplicate(store: SqlEventStore) -> None:
    event = prepared("org-jinr", statement())[0]
    store.append("org-jinr", [event], "any", recorded_by=ARCHIVIST)
    changed = prepared("org-jinr", statement("Different words.", id=event.id))
    with pytest.raises(DuplicateEvent) as caught:
        store.append("org-jinr", changed, "any", recorded_by=ARCHIVIST)
    assert caught.value.event_id == event.id
    assert store.head().position == 1


def test_same_id_and_content_in_another_stream_is_a_duplicate(store: SqlEventStore) -> None:
    event = prepared("org-jinr", statement())[0]
    store.append("org-jinr", [event], "any", recorded_by=ARCHIVIST)
    with pytest.raises(DuplicateEvent):
        store.append("org-cern", [event], "any", recorded_by=ARCHIVIST)
    assert store.stream_version("org-cern") is None


@pytest.mark.parametrize("stored_first", [True, False], ids=["stored-then-new", "new-then-stored"])
def test_a_request_mixing_stored_and_new_ids_is_refused(store: SqlEventStore, stored_first: bool) -> None:
    stored = prepared("org-jinr", statement())[0]
    store.append("org-jinr", [stored], "any", recorded_by=ARCHIVIST)
    new = prepared("org-jinr", statement("A new statement."))[0]
    mixed = [stored, new] if stored_first else [new, stored]
    with pytest.raises(DuplicateEvent) as caught:
        store.append("org-jinr", mixed, "any", recorded_by=ARCHIVIST)
    assert caught.value.event_id == stored.id
    assert store.head().position == 1
    assert store.get(new.id) is None


def test_a_batch_whose_request_mixes_stored_and_new_ids_writes_nothing(store: SqlEventStore) -> None:
    stored = prepared("org-jinr", statement())[0]
    store.append("org-jinr", [stored], "no_stream", recorded_by=ARCHIVIST)
    new = prepared("org-jinr", statement("New words."))[0]
    with pytest.raises(DuplicateEvent):
        store.append_batch(
            [request("org-cern", entity("CERN")), PreparedRequest("org-jinr", "any", [new, stored])],
            recorded_by=ARCHIVIST,
        )
    assert store.head().position == 1
    assert store.stream_version("org-cern") is None


# -- immutability ------------------------------------------------------------------


def test_the_database_refuses_update(store: SqlEventStore) -> None:
    append_statements(store, "org-jinr", 2)
    before = list(store.read_all())
    assert_refused_by_database(store, "UPDATE events SET data = '{}' WHERE position = 1")
    assert_refused_by_database(store, "UPDATE events SET recorded_by = 'someone-else'")
    assert list(store.read_all()) == before
    assert store.verify().ok


def test_the_database_refuses_delete(store: SqlEventStore) -> None:
    append_statements(store, "org-jinr", 2)
    assert_refused_by_database(store, "DELETE FROM events WHERE position = 2")
    assert all_positions(store) == [1, 2]


def test_the_database_refuses_emptying_the_table(store: SqlEventStore) -> None:
    append_statements(store, "org-jinr", 2)
    # PostgreSQL has TRUNCATE; SQLite's equivalent is an unqualified DELETE
    # (its "truncate optimisation", which triggers must switch off).
    wipe = "TRUNCATE events" if store.dialect == "postgresql" else "DELETE FROM events"
    assert_refused_by_database(store, wipe)
    assert all_positions(store) == [1, 2]


# -- hash chain ----------------------------------------------------------------------


def test_the_first_prev_hash_is_64_zeros_and_each_links_to_the_previous_hash(store: SqlEventStore) -> None:
    append_statements(store, "org-jinr", 3)
    append_statements(store, "org-cern", 2)
    envelopes = list(store.read_all())
    assert envelopes[0].prev_hash == "0" * 64
    for before, after in pairwise(envelopes):
        assert after.prev_hash == before.hash
    assert len({e.hash for e in envelopes}) == len(envelopes)


def test_each_hash_is_the_sha256_of_the_canonical_event(store: SqlEventStore) -> None:
    append_statements(store, "org-jinr", 2)
    for envelope in store.read_all():
        canonical = canonical_event(
            position=envelope.position, id=envelope.id, stream=envelope.stream, version=envelope.version,
            type=envelope.type, occurred=envelope.occurred, recorded_at=envelope.recorded_at,
            recorded_by=envelope.recorded_by, data=orjson.dumps(envelope.data, option=orjson.OPT_SORT_KEYS).decode(),
            sources=orjson.dumps(envelope.sources, option=orjson.OPT_SORT_KEYS).decode(),
            metadata=orjson.dumps(envelope.metadata, option=orjson.OPT_SORT_KEYS).decode(), prev_hash=envelope.prev_hash,
        )
        assert hashlib.sha256(canonical).hexdigest() == envelope.hash


def test_verify_accepts_an_intact_log(store: SqlEventStore) -> None:
    append_statements(store, "org-jinr", 3)
    append_statements(store, "org-cern", 2)
    last = list(store.read_all())[-1]
    report = store.verify()
    assert (report.ok, report.checked, report.head, report.first_bad) == (True, 5, last.hash, None)
    assert store.head() == Head(5, last.hash)


def test_verify_accepts_an_empty_log(store: SqlEventStore) -> None:
    report = store.verify()
    assert (report.ok, report.checked, report.head) == (True, 0, GENESIS_HASH)


@pytest.mark.parametrize(
    "assignment",
    [
        "data = '{\"quote\":\"forged words\",\"speaker\":\"person-vladimir-putin\"}'",
        "recorded_by = 'someone-else'",
        "occurred = '2023-06-13'",
        "hash = '" + "f" * 64 + "'",
    ],
    ids=["data", "recorded_by", "occurred", "hash"],
)
def test_verify_finds_an_edited_row(store: SqlEventStore, assignment: str) -> None:
    append_statements(store, "org-jinr", 5)
    drop_immutability_triggers(store)
    execute(store, f"UPDATE events SET {assignment} WHERE position = 3")
    report = store.verify()
    assert report.ok is False
    assert report.first_bad == 3
    assert report.checked == 2


def test_verify_names_the_position_after_a_deleted_row(store: SqlEventStore) -> None:
    append_statements(store, "org-jinr", 5)
    drop_immutability_triggers(store)
    execute(store, "DELETE FROM events WHERE position = 3")
    report = store.verify()
    assert report.ok is False
    assert report.first_bad == 4
    assert "missing" in (report.reason or "")


def test_verify_reports_progress_page_by_page(store: SqlEventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql_store, "PAGE_SIZE", 7)
    append_statements(store, "org-jinr", 16)
    seen: list[int] = []
    assert store.verify(seen.append).checked == 16
    assert seen == [7, 14, 16]


# -- reading and paging ----------------------------------------------------------------


def test_reading_crosses_the_default_page_size(store: SqlEventStore) -> None:
    assert sql_store.PAGE_SIZE == 1000
    big, small = "person-trubnikov", "org-jinr"
    batch = [request(big, *numbered_statements(1005, "big")), request(small, *numbered_statements(10, "small"))]
    results = store.append_batch(batch, recorded_by=ARCHIVIST)
    assert [(r.first_version, r.last_version, r.positions[0], r.positions[-1]) for r in results] == [
        (0, 1004, 1, 1005),
        (0, 9, 1006, 1015),
    ]
    assert store.append_batch(batch, recorded_by=ARCHIVIST) == [as_retried(r) for r in results], "a retry of a big batch is recognised"
    assert all_positions(store) == list(range(1, 1016))
    assert [e.position for e in store.read_all(after=995, limit=10)] == list(range(996, 1006))
    assert [e.position for e in store.read_all(after=998)] == list(range(999, 1016))
    assert [e.version for e in store.read_stream(big)] == list(range(1005))
    assert [e.version for e in store.read_stream(big, from_version=990, limit=20)] == list(range(990, 1005))
    assert [e.version for e in store.read_stream(small, from_version=3)] == list(range(3, 10))
    assert sum(1 for _ in store.read_all_json(after=1)) == 1014
    report = store.verify()
    assert (report.ok, report.checked) == (True, 1015)


def test_a_batch_over_many_streams_checks_each_stream(store: SqlEventStore) -> None:
    streams = [f"person-scientist-{i}" for i in range(600)]
    batch = [request(stream, statement(f"I am scientist {i}."), expected="no_stream") for i, stream in enumerate(streams)]
    results = store.append_batch(batch, recorded_by=ARCHIVIST)
    assert [r.positions for r in results] == [[i] for i in range(1, 601)]
    assert store.stream_versions(streams) == dict.fromkeys(streams, 0)
    assert store.append_batch(batch, recorded_by=ARCHIVIST) == [as_retried(r) for r in results]
    again = [request(stream, statement("Once more."), expected="no_stream") for stream in streams[-2:]]
    with pytest.raises(VersionConflict) as caught:
        store.append_batch(again, recorded_by=ARCHIVIST)
    assert (caught.value.stream, caught.value.actual) == (streams[-2], 0)
    assert store.head().position == 600


@pytest.fixture
def small_pages(store: SqlEventStore, monkeypatch: pytest.MonkeyPatch) -> list[EventEnvelope]:
    """22 events over three streams, read back with pages of 7 rows."""
    monkeypatch.setattr(sql_store, "PAGE_SIZE", 7)
    for round_ in range(2):
        for stream, count in (("org-jinr", 5), ("org-cern", 4), ("org-kek", 2)):
            append_statements(store, stream, count, label=f"{stream}-{round_}-")
    envelopes = list(store.read_all())
    assert len(envelopes) == 22
    return envelopes


AFTERS = [0, 1, 6, 7, 8, 13, 14, 15, 21, 22, 40]
LIMITS = [None, 0, 1, 6, 7, 8, 14, 15, 100]


def test_read_all_pages_match_a_slice_of_the_log(store: SqlEventStore, small_pages: list[EventEnvelope]) -> None:
    positions = [e.position for e in small_pages]
    for after in AFTERS:
        for limit in LIMITS:
            wanted = positions[after:] if limit is None else positions[after : after + limit]
            got = [e.position for e in store.read_all(after=after, limit=limit)]
            assert got == wanted, f"read_all(after={after}, limit={limit})"


def test_read_stream_pages_match_a_slice_of_the_stream(store: SqlEventStore, small_pages: list[EventEnvelope]) -> None:
    jinr = [e for e in small_pages if e.stream == "org-jinr"]
    assert [e.version for e in jinr] == list(range(10))
    for from_version in [0, 1, 6, 7, 8, 9, 10, 14]:
        for limit in LIMITS:
            tail = jinr[from_version:]
            wanted = tail if limit is None else tail[:limit]
            got = list(store.read_stream("org-jinr", from_version=from_version, limit=limit))
            assert got == wanted, f"read_stream(from_version={from_version}, limit={limit})"


def test_read_all_json_lines_are_the_envelopes_of_read_all(store: SqlEventStore, small_pages: list[EventEnvelope]) -> None:
    lines = list(store.read_all_json())
    assert [orjson.loads(line) for line in lines] == [e.to_json() for e in small_pages]
    assert [orjson.loads(line)["position"] for line in store.read_all_json(after=6, limit=8)] == list(range(7, 15))


def test_read_all_json_keeps_the_stored_json_text(store: SqlEventStore) -> None:
    events = prepared("org-jinr", statement("Кто «учёные»?", metadata={"correlation_id": "c-1"}))
    store.append("org-jinr", events, "any", recorded_by=ARCHIVIST)
    line = next(store.read_all_json())
    assert events[0].data.encode() in line
    assert events[0].sources.encode() in line
    assert b'"metadata":{"correlation_id":"c-1"}' in line


def test_read_all_json_writes_what_orjson_writes_for_the_envelope(store: SqlEventStore) -> None:
    # Replay and export send these lines as they are: the envelope, byte for byte, whatever the text holds
    # (control characters only where the log takes them without validation: in who recorded it).
    awkward = 'archivist "Ж" \\ \t\x01\x1f\x7f \u2028 😀 שלום テスト'
    events = prepared("org-jinr", statement("Кто «учёные»? \"quoted\" \\ 😀", metadata={"note": "\u2028\t\r\n"}))
    store.append("org-jinr", events, "any", recorded_by=awkward)
    [line] = store.read_all_json()
    [envelope] = store.read_all()
    assert envelope.recorded_by == awkward
    assert line == orjson.dumps(envelope.to_json())


def test_get_returns_the_stored_envelope(store: SqlEventStore) -> None:
    events = prepared("org-jinr", statement(metadata={"correlation_id": "vote-2024-06-20"}))
    store.append("org-jinr", events, "any", recorded_by=ARCHIVIST)
    found = store.get(events[0].id)
    assert found is not None
    assert found == next(store.read_all())
    assert (found.stream, found.version, found.type, found.recorded_by) == ("org-jinr", 0, "StatementMade", ARCHIVIST)
    assert (found.occurred, found.occurred_lower, found.occurred_upper) == ("2024-06-13", "2024-06-13", "2024-06-13")
    assert found.data == orjson.loads(events[0].data)
    assert found.sources == [source()]
    assert found.metadata == {"correlation_id": "vote-2024-06-20"}


def test_get_returns_none_for_an_unknown_id(store: SqlEventStore) -> None:
    append_statements(store, "org-jinr", 1)
    assert store.get("00000000-0000-4000-8000-000000000000") is None


def test_find_ids_returns_only_the_stored_ones(store: SqlEventStore) -> None:
    events = prepared("org-jinr", *numbered_statements(3))
    store.append("org-jinr", events, "any", recorded_by=ARCHIVIST)
    unknown = "00000000-0000-4000-8000-000000000000"
    found = store.find_ids([events[0].id, unknown, events[2].id])
    assert set(found) == {events[0].id, events[2].id}
    assert found[events[2].id].version == 2
    assert store.find_ids([]) == {}


# -- payloads ------------------------------------------------------------------------------


def test_a_one_megabyte_quote_round_trips(store: SqlEventStore) -> None:
    quote = ("Дубна, NICA — 高エネルギー 🔬 " * 40_000)[:1_000_000]
    events = prepared("org-jinr", statement(quote))
    store.append("org-jinr", events, "any", recorded_by=ARCHIVIST)
    found = store.get(events[0].id)
    assert found is not None and found.data["quote"] == quote
    assert orjson.loads(next(store.read_all_json()))["data"]["quote"] == quote
    assert store.verify().ok


UNICODE_TEXTS = {
    "cyrillic": "ОИЯИ: «учёные» из Дубны продолжают работу",
    "cyrillic-decomposed": "уче\u0308ные",  # e + combining diaeresis: must not be normalised to ё
    "japanese": "高エネルギー加速器研究機構",
    "emoji": "🔬⚛️ — физика",
    "arabic-rtl": "\u200fالمعهد المشترك للأبحاث النووية في دوبنا\u200f",
    "hebrew-rtl": "\u200fהמכון המאוחד למחקר גרעיני\u200f (JINR)",
    "mixed-bidi": "JINR \u200fمعهد\u200e and ОИЯИ \u202bדובנה\u202c",
}


@pytest.mark.parametrize("words", UNICODE_TEXTS.values(), ids=UNICODE_TEXTS.keys())
def test_unicode_round_trips_exactly_and_verifies(store: SqlEventStore, words: str) -> None:
    raw = statement(
        words,
        speaker="anonymous",
        speaker_description=f"a JINR physicist ({words})",
        sources=[source(title=words, quote=words)],
        metadata={"correlation_id": words},
    )
    events = prepared("person-anonymous", raw)
    store.append("person-anonymous", events, "any", recorded_by=ARCHIVIST)
    found = store.get(events[0].id)
    assert found is not None
    assert found.data["quote"] == words
    assert found.data["speaker_description"] == f"a JINR physicist ({words})"
    assert found.sources[0]["title"] == words and found.sources[0]["quote"] == words
    assert found.metadata["correlation_id"] == words
    assert orjson.loads(next(store.read_all_json())) == found.to_json()
    report = store.verify()
    assert report.ok and report.head == found.hash


def test_unicode_entity_aliases_round_trip(store: SqlEventStore) -> None:
    aliases = ["ОИЯИ", "JINR", "合同原子核研究所", "\u200fالمعهد المشترك\u200f"]
    events = prepared("org-jinr", entity(aliases=aliases))
    store.append("org-jinr", events, "any", recorded_by=ARCHIVIST)
    assert store.get(events[0].id).data["aliases"] == aliases  # type: ignore[union-attr]
    assert store.verify().ok


# -- recording time ------------------------------------------------------------------------


def test_recorded_at_is_rfc3339_utc_and_never_decreases(store: SqlEventStore) -> None:
    for round_ in range(5):
        append_statements(store, "org-jinr", 2, label=f"r{round_}-")
    stamps = [e.recorded_at for e in store.read_all()]
    for stamp in stamps:
        assert RFC3339_UTC.match(stamp), stamp
        assert datetime.fromisoformat(stamp).utcoffset() == UTC.utcoffset(None)
    assert stamps == sorted(stamps)
    assert [datetime.fromisoformat(s) for s in stamps] == sorted(datetime.fromisoformat(s) for s in stamps)


def test_recorded_by_is_the_appending_archivist(store: SqlEventStore) -> None:
    store.append("org-jinr", prepared("org-jinr", statement()), "any", recorded_by="archivist-boris")
    assert next(store.read_all()).recorded_by == "archivist-boris"


# -- concurrency ----------------------------------------------------------------------------


def test_concurrent_writers_and_a_tailing_reader_never_see_a_gap(
    store: SqlEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_store, "PAGE_SIZE", 7)  # so that the reader crosses pages while writers append
    writers, appends, racers, rounds = 4, 50, 3, 15
    raced = "agreement-cern-jinr"
    streams = [f"org-writer-{i}" for i in range(5)]
    start = threading.Barrier(writers + racers + 1, timeout=60)
    next_round = threading.Barrier(racers, timeout=60)
    writing_done = threading.Event()
    errors: list[BaseException] = []
    # One list per round made up front: the threads only append to them.
    wins: dict[int, list[int]] = {r: [] for r in range(rounds)}
    losses: dict[int, list[int | None]] = {r: [] for r in range(rounds)}
    tail: list[int] = []

    def writer(index: int) -> None:
        rng = random.Random(index)
        try:
            start.wait()
            for i in range(appends):
                stream = rng.choice(streams)
                events = prepared(stream, statement(f"writer {index}, append {i}"))
                store.append(stream, events, "any", recorded_by=f"writer-{index}")
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    def racer(index: int) -> None:
        try:
            start.wait()
            for round_ in range(rounds):
                next_round.wait()  # every racer has finished the round before
                events: list[PreparedEvent] = prepared(raced, statement(f"racer {index}, round {round_}"))
                expected: Any = "no_stream" if round_ == 0 else round_ - 1
                try:
                    result = store.append(raced, events, expected, recorded_by=f"racer-{index}")
                except VersionConflict as conflict:
                    losses[round_].append(conflict.actual)
                else:
                    wins[round_].append(result.first_version)
        except BaseException as exc:
            errors.append(exc)
            next_round.abort()

    def reader() -> None:
        last = 0
        try:
            start.wait()
            while True:
                finished = writing_done.is_set()  # read once more after the last commit
                for envelope in store.read_all(after=last):
                    if envelope.position != last + 1:
                        raise AssertionError(f"after position {last} the reader saw {envelope.position}")
                    last = envelope.position
                if finished:
                    break
            tail.append(last)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    threads += [threading.Thread(target=racer, args=(i,)) for i in range(racers)]
    tailer = threading.Thread(target=reader)
    for thread in [*threads, tailer]:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    writing_done.set()
    tailer.join(timeout=120)
    assert not any(t.is_alive() for t in [*threads, tailer])
    assert errors == []

    total = writers * appends + rounds
    assert tail == [total]
    envelopes = list(store.read_all())
    assert [e.position for e in envelopes] == list(range(1, total + 1))
    for stream in [*streams, raced]:
        versions = [e.version for e in store.read_stream(stream)]
        assert versions == list(range(len(versions)))
    assert wins == {r: [r] for r in range(rounds)}, "exactly one racer wins each version"
    assert losses == {r: [r] * (racers - 1) for r in range(rounds)}, "each loser is told the winner's version"
    assert store.stream_version(raced) == rounds - 1
    stamps = [e.recorded_at for e in envelopes]
    assert stamps == sorted(stamps)
    report = store.verify()
    assert (report.ok, report.checked, report.head) == (True, total, envelopes[-1].hash)


# -- independent requests in one transaction --------------------------------


def test_append_each_applies_requests_on_their_own_and_names_each_refusal(store: SqlEventStore) -> None:
    append_statements(store, "person-a-b", 2)
    said = statement("Said once.", id="6f1f0a5e-8f53-4b7e-9d0e-acc0bd0000c1")
    outcomes = store.append_each([
        (request("person-c-d", statement("First."), expected="no_stream"), "anna"),
        (request("person-a-b", statement("Too late."), expected=0), "boris"),  # the stream is at 1
        (request("person-e-f", said), "vera"),
        (request("person-c-d", statement("Second."), expected=0), "anna"),
        (request("person-g-h", statement("Said again.", id=said["id"])), "vera"),  # the same id, other content
    ])
    assert [type(o).__name__ for o in outcomes] == ["AppendResult", "VersionConflict", "AppendResult", "AppendResult", "DuplicateEvent"]
    assert outcomes[1].actual == 1  # type: ignore[union-attr]
    assert [o.positions for o in outcomes if isinstance(o, AppendResult)] == [[3], [4], [5]]
    stored = list(store.read_all(after=2))
    assert [(e.stream, e.version, e.recorded_by) for e in stored] == [
        ("person-c-d", 0, "anna"), ("person-e-f", 0, "vera"), ("person-c-d", 1, "anna")
    ]
    assert store.verify().ok


def test_append_each_returns_a_retry_its_original_result(store: SqlEventStore) -> None:
    original = store.append_each([(request("person-a-b", statement("Once.", id="6f1f0a5e-8f53-4b7e-9d0e-acc0bd0000c2")), "anna")])
    again = store.append_each([(request("person-a-b", statement("Once.", id="6f1f0a5e-8f53-4b7e-9d0e-acc0bd0000c2")), "anna")])
    assert isinstance(again[0], AppendResult) and again[0].retried
    assert again[0].positions == original[0].positions  # type: ignore[union-attr]
    assert store.head().position == 1
