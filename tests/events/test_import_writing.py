"""How `accord import` writes a checked plan: numbered and chained as planned while the log
stands still, and the careful way, checked again, once another writer has appended."""

from __future__ import annotations

import io

import orjson
import pytest

from events.errors import VersionConflict
from events.ndjson import plan_import, write_import
from events.store import SqlEventStore
from tests.builders import request, statement

STREAMS = ("person-vladimir-putin", "person-fabiola-gianotti")


def numbered_lines(count: int, *, expected: bool = False) -> io.BytesIO:
    """`count` one-statement requests, alternating between two streams, with exact versions if `expected`."""
    lines = []
    for n in range(count):
        stream = STREAMS[n % 2]
        version = n // 2 - 1
        line = {"stream": stream, "events": [statement(f"Statement number {n}.")]}
        if expected:
            line["expected_version"] = "no_stream" if version < 0 else version
        lines.append(orjson.dumps(line) + b"\n")
    return io.BytesIO(b"".join(lines))


def versions_by_stream(store: SqlEventStore) -> dict[str, list[int]]:
    return {stream: [e.version for e in store.read_stream(stream)] for stream in STREAMS}


def test_an_import_on_a_still_log_is_chained_batch_by_batch(store: SqlEventStore) -> None:
    plan = plan_import(numbered_lines(25, expected=True), store)
    seen: list[int] = []
    assert write_import(plan, store, recorded_by="test", batch_events=4, progress=seen.append) == 25
    assert seen == [4, 8, 12, 16, 20, 24, 25]
    assert store.verify().ok
    assert versions_by_stream(store) == {STREAMS[0]: list(range(13)), STREAMS[1]: list(range(12))}
    assert {e.recorded_by for e in store.read_all()} == {"test"}


def test_when_another_writer_appends_midway_the_rest_is_appended_after_it(store: SqlEventStore) -> None:
    plan = plan_import(numbered_lines(20), store)
    interloper: list[int] = []

    def another_writer(written: int) -> None:
        if written == 8:
            result = store.append_batch([request(STREAMS[0], statement("Said between two batches."))], recorded_by="other")
            interloper.extend(result[0].positions)

    assert write_import(plan, store, recorded_by="test", batch_events=4, progress=another_writer) == 20
    assert interloper == [9]
    assert store.verify().ok
    log = list(store.read_all())
    assert [e.position for e in log] == list(range(1, 22))
    assert [e.recorded_by for e in log].count("other") == 1
    assert versions_by_stream(store) == {STREAMS[0]: list(range(11)), STREAMS[1]: list(range(10))}


def test_a_version_taken_since_planning_is_a_conflict_and_nothing_of_the_import_is_written(
    store: SqlEventStore,
) -> None:
    plan = plan_import(numbered_lines(6, expected=True), store)
    store.append_batch([request(STREAMS[1], statement("Said before the import was written."))], recorded_by="other")
    with pytest.raises(VersionConflict):
        write_import(plan, store, recorded_by="test", batch_events=100)
    assert [e.recorded_by for e in store.read_all()] == ["other"]
