"""Corrections and retractions are checked against their target when appended, on both backends."""

from __future__ import annotations

from typing import Any

import pytest

from events.errors import InvalidEvent
from events.store import SqlEventStore
from tests.builders import fact, prepared, statement

STREAM = "person-vladimir-putin"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def correction(target: str, **fields: Any) -> dict[str, Any]:
    return fact("FactCorrected", "2026-11-23", target=target, fields=fields, reason="checked against the recording")


def retraction(target: str) -> dict[str, Any]:
    return fact("FactRetracted", "2026-11-23", target=target, reason="the source withdrew it")


def append(store: SqlEventStore, *raw: dict[str, Any], stream: str = STREAM) -> list[str]:
    return store.append(stream, prepared(stream, *raw), "any", recorded_by="test").ids


def refused(store: SqlEventStore, *raw: dict[str, Any], stream: str = STREAM) -> InvalidEvent:
    head = store.head()
    with pytest.raises(InvalidEvent) as caught:
        append(store, *raw, stream=stream)
    assert store.head() == head, "a refused append must write nothing"
    return caught.value


def test_a_correction_of_an_unknown_fact_is_refused(store: SqlEventStore) -> None:
    error = refused(store, correction(UNKNOWN, quote="x"))
    assert error.problems[0].field == "events[0].data.target"
    assert "no fact with id" in error.problems[0].reason


def test_an_amendment_goes_into_its_targets_stream(store: SqlEventStore) -> None:
    [said] = append(store, statement())
    error = refused(store, retraction(said), stream="org-jinr")
    assert "goes into its target's stream" in error.problems[0].reason


def test_a_retracted_fact_is_neither_corrected_nor_retracted_again(store: SqlEventStore) -> None:
    [said] = append(store, statement())
    append(store, retraction(said))
    assert "was retracted" in refused(store, correction(said, quote="x")).problems[0].reason
    assert "was retracted" in refused(store, retraction(said)).problems[0].reason


def test_an_amendment_is_not_amended_itself(store: SqlEventStore) -> None:
    [said] = append(store, statement())
    [fix] = append(store, correction(said, quote="corrected"))
    assert "amend the fact it targets" in refused(store, retraction(fix)).problems[0].reason


def test_a_correction_must_leave_the_fact_valid(store: SqlEventStore) -> None:
    [said] = append(store, statement())
    assert refused(store, correction(said, quote=None)).problems[0].field == "events[0].data.fields.quote"
    assert refused(store, correction(said, colour="red")).problems[0].field == "events[0].data.fields.colour"
    assert refused(store, correction(said, occurred="yesterday")).problems[0].field == "events[0].data.fields.occurred"
    assert refused(store, correction(said, sources=[])).problems[0].field.startswith("events[0].data.fields.sources")


def test_amendments_may_follow_their_target_in_one_append_and_build_on_each_other(store: SqlEventStore) -> None:
    said = statement(id="6f1f0a5e-8f53-4b7e-9d0e-acc0bd0000aa")
    ids = append(store, said, correction(said["id"], context=None), correction(said["id"], occurred="2024-06-14"))
    assert len(ids) == 3
    append(store, retraction(said["id"]))
    assert "was retracted" in refused(store, correction(said["id"], quote="x")).problems[0].reason
