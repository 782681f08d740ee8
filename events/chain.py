"""The hash chain: each event's hash covers its canonical JSON, previous hash included."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from events.envelope import GENESIS_HASH
from events.prepare import PreparedEvent


def canonical_event(
    position: int,
    id: str,
    stream: str,
    version: int,
    type: str,
    occurred: str,
    recorded_at: str,
    recorded_by: str,
    data: str,
    sources: str,
    metadata: str,
    prev_hash: str,
) -> bytes:
    """The canonical JSON of an envelope without its hash.

    `data`, `sources` and `metadata` are already canonical JSON text, so they
    are spliced in as they are instead of being parsed and dumped again.
    """
    return orjson.dumps(
        {
            "data": orjson.Fragment(data),
            "id": id,
            "metadata": orjson.Fragment(metadata),
            "occurred": occurred,
            "position": position,
            "prev_hash": prev_hash,
            "recorded_at": recorded_at,
            "recorded_by": recorded_by,
            "sources": orjson.Fragment(sources),
            "stream": stream,
            "type": type,
            "version": version,
        },
        option=orjson.OPT_SORT_KEYS,
    )


def canonical_row(row: Sequence[Any]) -> bytes:
    """The canonical JSON of a stored row (columns in `ROW_COLUMNS` order, the hash last or left out)."""
    position, id_, stream, version, type_, occurred, _, _, recorded, by, data, sources, metadata, prev_hash = row[:14]
    return canonical_event(position, id_, stream, version, type_, occurred, recorded, by, data, sources, metadata, prev_hash)


def event_hash(canonical: bytes) -> str:
    return hashlib.sha256(canonical).hexdigest()


def chained_row(
    position: int, stream: str, version: int, event: PreparedEvent, now: str, recorded_by: str, prev_hash: str
) -> tuple[Any, ...]:
    """The stored row of `event` (columns in `ROW_COLUMNS` order), numbered and chained onto `prev_hash`.

    It is recorded `now` by `recorded_by`, unless it is a restored envelope, which keeps its own.
    """
    id_, type_, occurred, lower, upper, data, sources, metadata, recorded, by = event
    recorded = recorded or now
    by = by or recorded_by
    digest = event_hash(
        canonical_event(position, id_, stream, version, type_, occurred, recorded, by, data, sources, metadata, prev_hash)
    )
    return (position, id_, stream, version, type_, occurred, lower, upper, recorded, by, data, sources, metadata, prev_hash, digest)


@dataclass
class ChainReport:
    """The outcome of walking the chain: `first_bad` names the first position that fails."""

    ok: bool
    checked: int
    head: str
    first_bad: int | None = None
    reason: str | None = None


class ChainWalker:
    """Checks stored rows one by one in position order."""

    def __init__(self) -> None:
        self.expected_position = 1
        self.prev_hash = GENESIS_HASH
        self.checked = 0
        self.canonical = b""
        """The canonical JSON of the last row checked, for checks that build on it (the Merkle tree's)."""

    def check(self, row: dict[str, object]) -> str | None:
        """Return why `row` breaks the chain, or None and advance."""
        position = int(row["position"])  # type: ignore[call-overload]
        if position != self.expected_position:
            return f"expected position {self.expected_position}, found {position}: events are missing"
        if row["prev_hash"] != self.prev_hash:
            return "prev_hash does not match the hash of the event before it"
        fields = {k: row[k] for k in _HASHED}
        self.canonical = canonical_event(**fields)  # type: ignore[arg-type]
        computed = event_hash(self.canonical)
        if computed != row["hash"]:
            return "stored hash does not match the event's content"
        self.prev_hash = computed
        self.expected_position += 1
        self.checked += 1
        return None


_HASHED = (
    "position", "id", "stream", "version", "type", "occurred", "recorded_at",
    "recorded_by", "data", "sources", "metadata", "prev_hash",
)
