"""The contract every event store keeps; tests/contract checks it on each backend."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from events.amendments import Amendable
from events.chain import ChainReport
from events.envelope import AppendResult, EventEnvelope, ExpectedVersion, Head
from events.errors import EventStoreError
from events.prepare import PreparedEvent, PreparedRequest


class EventStore(ABC):
    """An append-only, totally ordered, hash-chained log of facts."""

    @abstractmethod
    def append(
        self, stream: str, events: Sequence[PreparedEvent], expected_version: ExpectedVersion, *, recorded_by: str
    ) -> AppendResult:
        """Append `events` to `stream` all or nothing; return where they landed.

        Raises VersionConflict (naming the actual version) or DuplicateEvent. A
        retry whose ids are all stored with the same content returns the
        original result whatever `expected_version` it carries.
        """

    @abstractmethod
    def append_batch(self, requests: Sequence[PreparedRequest], *, recorded_by: str) -> list[AppendResult]:
        """Apply several append requests in order in one transaction, all or nothing."""

    @abstractmethod
    def append_each(self, requests: Sequence[tuple[PreparedRequest, str]]) -> list[AppendResult | EventStoreError]:
        """Apply independent append requests, each with who records it, in order in one transaction:
        each is all or nothing on its own. Return, for each, its result or the error that refused it
        (VersionConflict, DuplicateEvent, InvalidEvent), which leaves the others unaffected."""

    @abstractmethod
    def append_chained(self, rows: Sequence[tuple[Any, ...]], *, recorded_at: str) -> bool:
        """Insert rows already numbered and chained (see `events.chain.chained_row`) onto the head
        they continue, the first row's position - 1 and its `prev_hash`, with new events recorded
        at `recorded_at`; return False and write nothing if the log has moved on from that head or
        its last event is recorded later. For an import, which has checked its ids, versions and
        amendments against the log at that head."""

    @abstractmethod
    def bulk(self) -> AbstractContextManager[None]:
        """A block of many appends in a row, which the backend may tune for throughput."""

    @abstractmethod
    def read_stream(self, stream: str, from_version: int = 0, limit: int | None = None) -> Iterator[EventEnvelope]:
        """Yield the stream's events in version order, fetched page by page."""

    @abstractmethod
    def read_all(self, after: int = 0, limit: int | None = None) -> Iterator[EventEnvelope]:
        """Yield the log's events with position > `after` in position order, page by page."""

    @abstractmethod
    def read_all_json(self, after: int = 0, limit: int | None = None) -> Iterator[bytes]:
        """Yield the same events as `read_all` as ready-made JSON envelopes, without parsing them."""

    @abstractmethod
    def get(self, event_id: str) -> EventEnvelope | None:
        """Return the event with this id, or None."""

    @abstractmethod
    def stream_version(self, stream: str) -> int | None:
        """Return the stream's last version, or None if it holds no event."""

    @abstractmethod
    def stream_versions(self, streams: Sequence[str]) -> dict[str, int]:
        """Return the last version of each of `streams` that exists."""

    @abstractmethod
    def find_ids(self, ids: Sequence[str]) -> dict[str, EventEnvelope]:
        """Return the stored events among `ids`, by id."""

    @abstractmethod
    def amendable(self, ids: list[str]) -> dict[str, Amendable]:
        """The stored facts among `ids`, as the corrections and retractions in their streams left them."""

    @abstractmethod
    def head(self) -> Head:
        """Return the last position and its hash."""

    @abstractmethod
    def verify(self, progress: Callable[[int], None] | None = None) -> ChainReport:
        """Walk the whole chain and report the first position that fails, if any."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""
