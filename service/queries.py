"""Reads that the JSON API and the pages share and that are no read model's: one event with what amends it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from events.amendments import AMENDMENT_TYPES
from events.envelope import EventEnvelope
from events.store import SqlEventStore
from events.store.tables import ROW_COLUMNS, events_table


def event_with_amendments(store: SqlEventStore, event_id: str) -> dict[str, Any] | None:
    """One event as JSON with `corrections` and `retraction`, or None if the log holds no such id."""
    envelope = store.get(event_id.lower())
    if envelope is None:
        return None
    corrections, retraction = [], None
    for amendment in _amendments(store, envelope):
        if amendment.type == "FactRetracted":
            retraction = amendment.to_json()
        else:
            corrections.append(amendment.to_json())
    return {**envelope.to_json(), "corrections": corrections, "retraction": retraction}


def _amendments(store: SqlEventStore, target: EventEnvelope) -> list[EventEnvelope]:
    """The corrections and retractions of `target`: they live in its stream."""
    e = events_table.c
    query = (
        select(*(e[name] for name in ROW_COLUMNS))
        .where(e.stream == target.stream, e.type.in_(sorted(AMENDMENT_TYPES)), e.position > target.position)
        .order_by(e.position)
    )
    with store.engine.connect() as connection:
        found = [EventEnvelope._make(row) for row in connection.execute(query)]
    return [a for a in found if a.data.get("target") == target.id]
