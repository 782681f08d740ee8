"""Projections and the runner that keeps them level with the log.

A projection is a fold with a name and a version. Its state and its checkpoint
(the last position it has folded) change together, atomically, so a crash at
any point leaves the state of some whole prefix of the log: catching up again
never applies an event twice and never skips one. A projection whose stored
version differs from its code's is rebuilt when the runner starts.

Several processes may run catch-ups on one database (two `accord serve` nodes,
or a rebuild beside a server): each batch takes the projection's lock,
re-reads the checkpoint under it and folds only what lies beyond, so whoever
comes second finds the work done.
"""

from __future__ import annotations

import hashlib
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import ClassVar

import orjson
from sqlalchemy import Engine, Table, select
from sqlalchemy.engine import Connection

from events.collector import no_cycle_collection
from events.envelope import EventEnvelope
from events.store.base import EventStore
from events.store.dialects import checkpoint, fast_drops, lock_migrations, lock_writer, write_transaction
from projections.tables import checkpoints_table

BATCH_SIZE = 2000
REBUILD_BATCH_SIZE = 10000
Progress = Callable[[int, int], None]
"""Called with (position reached, head of the log) as catch-up goes."""


@dataclass(frozen=True)
class Checkpoint:
    version: int
    position: int


class ProjectionVersionChanged(RuntimeError):
    """Another process reset the projection with other code; this one must restart to follow."""


class Projection(ABC):
    """A fold of the log into some state, identified by `name` and `version`."""

    name: ClassVar[str]
    version: ClassVar[int]
    rebuild_batch_size: ClassVar[int] = REBUILD_BATCH_SIZE
    """Events a rebuild folds at a time; a rebuild of several projections takes the largest."""

    @abstractmethod
    def checkpoint(self) -> Checkpoint | None:
        """The stored version and position, or None if this projection never ran here."""

    @abstractmethod
    def reset(self) -> None:
        """Drop all state and start again from position 0 at this code's version."""

    @abstractmethod
    def apply(self, events: Sequence[EventEnvelope], after: int) -> int:
        """Fold `events` (every event of the log after position `after`, up to some point) beyond
        the checkpoint, together with the new checkpoint; return the checkpoint."""

    in_bulk: bool = False
    """True through a long run of batches (a rebuild), which a projection may tune for throughput."""

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """A long run of batches (a rebuild); whatever it deferred is put in place at its end."""
        self.in_bulk = True
        try:
            yield
        finally:
            self.in_bulk = False
            self.ensure_indexes()

    def ensure_indexes(self) -> None:  # noqa: B027 - most projections defer nothing
        """Make sure whatever a bulk run deferred is in place."""


class SqlProjection(Projection):
    """A projection whose state lives in tables of the log's database."""

    tables: ClassVar[tuple[Table, ...]]

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with write_transaction(self.engine) as connection:
            lock_migrations(connection)
            checkpoints_table.create(connection, checkfirst=True)

    @abstractmethod
    def fold(self, connection: Connection, events: Sequence[EventEnvelope]) -> None:
        """Apply `events`, in order, to this projection's tables inside the open transaction."""

    def _lock(self, connection: Connection) -> None:
        lock_writer(connection, zlib.crc32(f"accord-projection:{self.name}".encode()), bulk=self.in_bulk)

    def _stored(self, connection: Connection) -> Checkpoint | None:
        row = connection.execute(
            select(checkpoints_table.c.version, checkpoints_table.c.position).where(checkpoints_table.c.name == self.name)
        ).first()
        return Checkpoint(row[0], row[1]) if row else None

    def _save(self, connection: Connection, position: int, *, new: bool = False) -> None:
        if new:
            connection.execute(checkpoints_table.delete().where(checkpoints_table.c.name == self.name))
            connection.execute(checkpoints_table.insert().values(name=self.name, version=self.version, position=position))
        else:
            connection.execute(
                checkpoints_table.update().where(checkpoints_table.c.name == self.name).values(position=position)
            )

    def checkpoint(self) -> Checkpoint | None:
        with self.engine.connect() as connection:
            return self._stored(connection)

    def reset(self) -> None:
        with write_transaction(self.engine) as connection:
            self._lock(connection)
            fast_drops(connection)
            for table in reversed(self.tables):
                table.drop(connection, checkfirst=True)
            for table in self.tables:
                table.create(connection)
                if self.in_bulk:
                    # Filling a table and then indexing it sorts once; keeping an index
                    # current row by row rewrites pages all over it at every commit.
                    for index in table.indexes:
                        index.drop(connection)
            self._save(connection, 0, new=True)

    def ensure_indexes(self) -> None:
        """Create the indexes a bulk rebuild left for its end (or never reached, if it was killed)."""
        with write_transaction(self.engine) as connection:
            self._lock(connection)
            for table in self.tables:
                for index in table.indexes:
                    index.create(connection, checkfirst=True)

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Defer SQLite's checkpoints to the end, as the log's bulk appends do (see events.store.dialects)."""
        with super().bulk():
            yield
        checkpoint(self.engine)

    def apply(self, events: Sequence[EventEnvelope], after: int) -> int:
        with write_transaction(self.engine) as connection:
            self._lock(connection)
            stored = self._stored(connection)
            if stored is None or stored.version != self.version:
                raise ProjectionVersionChanged(
                    f"projection {self.name!r} is stored at version {stored and stored.version}, this code is {self.version}"
                )
            if stored.position < after:
                return stored.position  # reset behind this runner's back: the events it needs come before these
            todo = [e for e in events if e.position > stored.position]
            if not todo:
                return stored.position
            self.fold(connection, todo)
            self._save(connection, todo[-1].position)
            return todo[-1].position

    def digest(self) -> str:
        """SHA-256 over every row of this projection's tables in key order: equal digests, equal state."""
        hasher = hashlib.sha256()
        with self.engine.connect() as connection:
            for table in self.tables:
                hasher.update(table.name.encode())
                key = list(table.primary_key.columns)
                for row in connection.execute(select(table).order_by(*key)):
                    hasher.update(orjson.dumps(list(row)))
        return hasher.hexdigest()


class Runner:
    """Keeps projections level with the log: start, catch up, rebuild."""

    def __init__(self, store: EventStore, projections: Sequence[Projection], *, batch_size: int = BATCH_SIZE) -> None:
        self.store = store
        self.projections = list(projections)
        self.batch_size = batch_size

    def start(self) -> list[str]:
        """Reset every projection that never ran or whose version changed; return their names."""
        stale = [p for p in self.projections if (c := p.checkpoint()) is None or c.version != p.version]
        for projection in stale:
            projection.reset()
        for projection in self.projections:
            projection.ensure_indexes()
        return [p.name for p in stale]

    def positions(self) -> dict[str, int]:
        """Each projection's checkpoint position (0 where it never ran)."""
        return {p.name: (c.position if (c := p.checkpoint()) else 0) for p in self.projections}

    def catch_up(self, progress: Progress | None = None, *, between: Callable[[], object] | None = None) -> int:
        """Fold everything the log holds beyond each checkpoint; return how many events were read.

        `between` is called after each batch.
        """
        reached = self.positions()
        head = self.store.head().position
        read = 0
        while True:
            low = min(reached.values(), default=head)
            events = list(self.store.read_all(after=low, limit=self.batch_size))
            if not events:
                break
            for projection in self.projections:
                if events[-1].position > reached[projection.name]:
                    reached[projection.name] = projection.apply(events, low)
            read += len(events)
            head = max(head, events[-1].position)
            if progress is not None:
                progress(events[-1].position, head)
            if between is not None:
                between()
        return read

    def rebuild(self, names: Sequence[str] | None = None, progress: Progress | None = None) -> int:
        """Reset the named projections (all by default) and fold the whole log into them again."""
        chosen = [p for p in self.projections if names is None or p.name in names]
        with ExitStack() as stack:
            collect = stack.enter_context(no_cycle_collection())
            for projection in chosen:
                stack.enter_context(projection.bulk())
                projection.reset()
            batch_size = max((p.rebuild_batch_size for p in chosen), default=REBUILD_BATCH_SIZE)
            return Runner(self.store, chosen, batch_size=batch_size).catch_up(progress, between=collect)
