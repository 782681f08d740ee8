"""`accord import` checks corrections and retractions against their targets before writing anything."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest

from events import ndjson
from events.ndjson import ImportRejected, plan_import, write_import
from events.store import SqlEventStore
from tests.builders import fact, statement

STREAM = "person-vladimir-putin"
SAID = "6f1f0a5e-8f53-4b7e-9d0e-acc0bd0000b1"


def lines(*events: dict[str, Any]) -> io.BytesIO:
    return io.BytesIO(b"".join(orjson.dumps({"stream": STREAM, "events": [e]}) + b"\n" for e in events))


def test_amendments_of_earlier_lines_import(store: SqlEventStore) -> None:
    source = lines(
        statement(id=SAID),
        fact("FactCorrected", "2026-11-23", target=SAID, fields={"quote": "corrected"}, reason="r"),
        fact("FactRetracted", "2026-11-23", target=SAID, reason="r"),
    )
    assert write_import(plan_import(source, store), store, recorded_by="test") == 3


@pytest.mark.parametrize(
    ("amendment", "reason"),
    [
        (fact("FactRetracted", "2026-11-23", target="00000000-0000-4000-8000-000000000000", reason="r"), "no fact with id"),
        (fact("FactCorrected", "2026-11-23", target=SAID, fields={"quote": None}, reason="r"), "events[0].data.fields.quote"),
    ],
)
def test_a_bad_amendment_is_named_by_line_and_nothing_is_written(store: SqlEventStore, amendment: dict[str, Any], reason: str) -> None:
    source = lines(statement(id=SAID), statement("another"), amendment)
    with pytest.raises(ImportRejected) as caught:
        plan_import(source, store)
    [error] = caught.value.errors
    assert error.line == 3 and reason in error.reason
    assert store.head().position == 0


def test_an_amendment_after_a_retraction_in_the_same_input_is_refused(store: SqlEventStore) -> None:
    source = lines(
        statement(id=SAID),
        fact("FactRetracted", "2026-11-23", target=SAID, reason="r"),
        fact("FactCorrected", "2026-11-23", target=SAID, fields={"quote": "x"}, reason="r"),
    )
    with pytest.raises(ImportRejected) as caught:
        plan_import(source, store)
    assert [(e.line, "was retracted" in e.reason) for e in caught.value.errors] == [(3, True)]


def test_amendments_are_checked_against_lines_in_other_chunks_and_on_disk(store: SqlEventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # Blocks of a line or two, and almost nothing held in memory: targets and amendments lie in
    # different chunks, most of them spooled, and are read back one request at a time.
    monkeypatch.setattr(ndjson, "_BLOCK", 600)
    monkeypatch.setattr(ndjson, "HELD_BYTES", 3000)
    fillers = [statement(f"filler {i}") for i in range(8)]
    other = "6f1f0a5e-8f53-4b7e-9d0e-acc0bd0000b2"
    good = [
        statement(id=SAID),
        *fillers[:4],
        statement("to be corrected", id=other),
        fact("FactCorrected", "2026-11-23", target=SAID, fields={"quote": "corrected"}, reason="r"),
        *fillers[4:],
        fact("FactCorrected", "2026-11-23", target=other, fields={"quote": "also corrected"}, reason="r"),
        fact("FactRetracted", "2026-11-23", target=SAID, reason="r"),
    ]
    bad = fact("FactCorrected", "2026-11-23", target=SAID, fields={"quote": "too late"}, reason="r")
    with pytest.raises(ImportRejected) as caught:
        plan_import(lines(*good, bad), store)
    assert [(e.line, "was retracted" in e.reason) for e in caught.value.errors] == [(len(good) + 1, True)]

    # The first lines already stored: the chunks kept leave them out, and the rest still finds its targets.
    assert write_import(plan_import(lines(*good[:3]), store), store, recorded_by="test") == 3
    assert write_import(plan_import(lines(*good), store), store, recorded_by="test") == len(good) - 3
    assert store.verify().ok
    with pytest.raises(ImportRejected):
        plan_import(lines(bad), store)
