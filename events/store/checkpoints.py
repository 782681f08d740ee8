"""Signed checkpoints of the log's tree, every one kept with the moment it was signed, and the proofs against them.

Several processes, on several nodes, may sign: they take turns on a lock of
their own (not the append lock: appends go on meanwhile), the first to find
the head moved and the newest checkpoint old enough signs, the others find
its checkpoint and do nothing. Nodes of one deployment share the key and the
origin, and Ed25519 signatures are deterministic, so even two signatures of
one size would be the same bytes; the table keeps one row per tree size.
Before signing, the new root is checked to extend the newest checkpoint (a
consistency proof from the stored tree): a log never signs a tree that
contradicts one it signed before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from events.envelope import EventEnvelope
from events.merkle import ProofError, verify_consistency
from events.notes import Checkpoint, SigningKey
from events.proofs import ConsistencyProof, InclusionProof
from events.store import dialects
from events.store.sql import SqlEventStore, utc_now
from events.store.tables import ROW_COLUMNS
from events.store.tree import Run, paged, rows_of

_COLUMNS = "tree_size, root_hash, note, signed_at"


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    signed_at: str
    """RFC 3339 UTC, as `recorded_at`."""


class UnsignedSize(LookupError):
    """The archive never signed a checkpoint of this size."""

    def __init__(self, size: int | None) -> None:
        self.size = size
        super().__init__("the archive has signed no checkpoint yet" if size is None else f"the archive never signed a checkpoint of tree size {size}")


class NotInTree(ValueError):
    """The event comes after the tree of the size asked for."""

    def __init__(self, position: int, size: int) -> None:
        self.position = position
        self.size = size
        super().__init__(f"the event at position {position} is not in the tree of size {size}, which holds positions 1 to {size}")


class CheckpointRefused(Exception):
    """The archive would not sign: what it would sign contradicts what is stored; the message says how."""


def _stored(row: tuple[object, ...] | None) -> StoredCheckpoint | None:
    if row is None:
        return None
    size, root, note, signed_at = row
    return StoredCheckpoint(int(size), bytes(root), str(note), str(signed_at))  # type: ignore[arg-type, call-overload]


def _age_seconds(moment: str) -> float:
    signed = datetime.strptime(moment, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return (datetime.now(UTC) - signed).total_seconds()


class CheckpointLog:
    """The checkpoints of one store, and the proofs the archive hands out against them."""

    def __init__(self, store: SqlEventStore) -> None:
        self.store = store
        self._mark = "?" if store.engine.dialect.paramstyle == "qmark" else "%s"

    def _sql(self, query: str) -> str:
        return query.replace("?", self._mark)

    def _newest(self, run: Run) -> StoredCheckpoint | None:
        return _stored(next(iter(run(f"SELECT {_COLUMNS} FROM checkpoints ORDER BY tree_size DESC LIMIT 1", ())), None))

    def _at(self, run: Run, size: int) -> StoredCheckpoint | None:
        return _stored(next(iter(run(self._sql(f"SELECT {_COLUMNS} FROM checkpoints WHERE tree_size = ?"), (size,))), None))

    def _signed(self, run: Run, size: int | None) -> StoredCheckpoint:
        """The checkpoint of `size`, or the newest; UnsignedSize if there is none."""
        found = self._newest(run) if size is None else self._at(run, size)
        if found is None:
            raise UnsignedSize(size)
        return found

    def newest(self) -> StoredCheckpoint | None:
        return self._newest(self.store.fetch)

    def get(self, size: int | None = None) -> StoredCheckpoint:
        """The checkpoint signed at `size` (the newest if None); UnsignedSize if there is none."""
        return self._signed(self.store.fetch, size)

    def all(self) -> Iterator[StoredCheckpoint]:
        """Every checkpoint, smallest first."""
        rows = paged(self.store.fetch, f"SELECT {_COLUMNS} FROM checkpoints WHERE tree_size > ? ORDER BY tree_size", self._mark)
        return (_stored(tuple(row)) for row in rows)  # type: ignore[misc]

    # -- signing -------------------------------------------------------------------------------------

    @staticmethod
    def _due(newest: StoredCheckpoint | None, head: int, every: float) -> bool:
        if head == 0 or (newest is not None and newest.size >= head):
            return False
        return newest is None or every <= 0 or _age_seconds(newest.signed_at) >= every

    def sign_head(self, key: SigningKey, *, every: float = 0.0) -> StoredCheckpoint | None:
        """Sign the tree at the log's head, if the log moved since the newest checkpoint and that one is
        at least `every` seconds old; return the newest checkpoint after that (None for an empty log)."""
        newest = self.newest()
        if not self._due(newest, self.store.head().position, every):
            return newest
        self.store.build_tree()  # a log migrated without `accord migrate` gets its tree here, once
        with dialects.write_transaction(self.store.engine) as connection:
            dialects.lock_writer(connection, dialects.CHECKPOINT_LOCK)
            run = rows_of(connection)
            newest = self._newest(run)
            head = connection.exec_driver_sql("SELECT max(position) FROM events").scalar() or 0
            if not self._due(newest, head, every):
                return newest
            tree = self.store.tree
            root = tree.root(run, head)
            if newest is not None:
                proof = tree.consistency(run, newest.size, head)
                try:
                    verify_consistency(newest.size, head, proof.proof, newest.root, root)
                except ProofError as exc:
                    raise CheckpointRefused(f"the tree at size {head} does not extend the checkpoint of size {newest.size}: {exc}") from None
            note = key.sign(Checkpoint(key.name, head, root).text())
            connection.exec_driver_sql(
                self._sql(f"INSERT INTO checkpoints ({_COLUMNS}) VALUES (?, ?, ?, ?) ON CONFLICT (tree_size) DO NOTHING"),
                (head, root, note, utc_now()),
            )
            kept = self._at(run, head)
        assert kept is not None
        if kept.note != note:
            raise CheckpointRefused(
                f"a checkpoint of size {head} is stored with another signature or origin: do all nodes share "
                "ACCORD_SIGNING_KEY and ACCORD_LOG_ORIGIN?"
            )
        return kept

    # -- proofs ----------------------------------------------------------------------------------------

    def inclusion(self, event_id: str, size: int | None = None) -> tuple[EventEnvelope, StoredCheckpoint, InclusionProof] | None:
        """The event, the checkpoint of `size` (the newest if None) and the event's inclusion proof in its
        tree; None if there is no such event. UnsignedSize, NotInTree when the proof cannot be."""
        # The event and the checkpoint in one query, the nodes in a second: a proof costs two round trips.
        signed = f"SELECT {_COLUMNS} FROM checkpoints " + ("ORDER BY tree_size DESC LIMIT 1" if size is None else "WHERE tree_size = ?")
        query = f"SELECT {', '.join('e.' + c for c in ROW_COLUMNS)}, c.* FROM events e LEFT JOIN ({signed}) c ON 1 = 1 WHERE e.id = ?"
        with self.store.reader() as run:
            found = run(self._sql(query), (*([] if size is None else [size]), event_id.lower()))
            if not found:
                return None
            row = found[0]
            event = EventEnvelope._make(row[: len(ROW_COLUMNS)])
            checkpoint = _stored(tuple(row[len(ROW_COLUMNS) :])) if row[len(ROW_COLUMNS)] is not None else None
            if checkpoint is None:
                raise UnsignedSize(size)
            if event.position > checkpoint.size:
                raise NotInTree(event.position, checkpoint.size)
            return event, checkpoint, self.store.tree.inclusion(run, event.position - 1, checkpoint.size)

    def consistency(self, first: int, second: int) -> tuple[StoredCheckpoint, StoredCheckpoint, ConsistencyProof]:
        """The consistency proof between two signed sizes, 0 < first <= second; UnsignedSize for a size never signed."""
        with self.store.reader() as run:
            old, new = self._signed(run, first), self._signed(run, second)
            return old, new, self.store.tree.consistency(run, first, second)
