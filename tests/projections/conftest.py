"""An archive to fold: the log on each backend, the facts projection and its runner."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from events.envelope import AppendResult
from events.store import SqlEventStore
from projections import AsOf, FactsProjection, Runner
from projections.agreements import AgreementState, agreement
from projections.timeline import TimelinePage, timeline
from tests.builders import prepared


class Archive:
    """The log and its facts projection, caught up after every append."""

    def __init__(self, store: SqlEventStore) -> None:
        self.store = store
        self.facts = FactsProjection(store.engine)
        self.runner = Runner(store, [self.facts])
        self.runner.start()

    def append(self, stream: str, *raw: dict[str, Any], recorded_at: str | None = None) -> AppendResult:
        """Append `raw` to `stream` (recorded at `recorded_at` if given, as an import would) and catch up."""
        events = prepared(stream, *raw)
        if recorded_at is not None:
            events = [e._replace(recorded_at=recorded_at) for e in events]
        result = self.store.append(stream, events, "any", recorded_by="test-archivist")
        self.runner.catch_up()
        return result

    def agreement(self, stream: str, valid_at: str | None = None, known_at: str | None = None) -> AgreementState | None:
        with self.store.engine.connect() as connection:
            return agreement(connection, stream, AsOf.parse(valid_at, known_at))

    def timeline(self, valid_at: str | None = None, known_at: str | None = None, **filters: Any) -> TimelinePage:
        with self.store.engine.connect() as connection:
            return timeline(connection, AsOf.parse(valid_at, known_at), **filters)


@pytest.fixture
def archive(store: SqlEventStore) -> Iterator[Archive]:
    yield Archive(store)
