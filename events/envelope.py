"""What the log returns: stored events, append results and the head of the chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import orjson

ExpectedVersion = int | Literal["any", "no_stream"]
"""`any`, `no_stream` (the stream must not exist yet) or the stream's current last version."""

GENESIS_HASH = "0" * 64


class EventEnvelope(NamedTuple):
    """One stored fact with its place in the log and in the hash chain.

    `occurred_lower` and `occurred_upper` are the calendar bounds of `occurred`
    (ISO dates); they are derived, so they are not part of the JSON envelope.
    `data`, `sources` and `metadata` are kept as the canonical JSON text the
    log stores and parsed on each access: a reader that folds a million events
    pays only for the fields it looks at (keep the value if you need it twice).
    """

    position: int
    id: str
    stream: str
    version: int
    type: str
    occurred: str
    occurred_lower: str
    occurred_upper: str
    recorded_at: str
    recorded_by: str
    data_json: str
    sources_json: str
    metadata_json: str
    prev_hash: str
    hash: str

    @property
    def data(self) -> dict[str, Any]:
        return orjson.loads(self.data_json)  # type: ignore[no-any-return]

    @property
    def sources(self) -> list[dict[str, Any]]:
        return orjson.loads(self.sources_json)  # type: ignore[no-any-return]

    @property
    def metadata(self) -> dict[str, Any]:
        return orjson.loads(self.metadata_json)  # type: ignore[no-any-return]

    def to_json(self) -> dict[str, Any]:
        """The envelope as the public JSON contract names its fields."""
        return {
            "id": self.id,
            "position": self.position,
            "stream": self.stream,
            "version": self.version,
            "type": self.type,
            "occurred": self.occurred,
            "recorded_at": self.recorded_at,
            "recorded_by": self.recorded_by,
            "data": self.data,
            "sources": self.sources,
            "metadata": self.metadata,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Where a batch landed; a retried batch gets the result of its first append."""

    stream: str
    first_version: int
    last_version: int
    positions: list[int]
    ids: list[str]
    retried: bool = False
    """Every id was already stored with this content: this is the original result, nothing was written."""

    def to_json(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "first_version": self.first_version,
            "last_version": self.last_version,
            "positions": self.positions,
            "ids": self.ids,
        }


@dataclass(frozen=True, slots=True)
class Head:
    """The last position of the log and its hash (position 0 and the genesis hash when empty)."""

    position: int
    hash: str
