"""The event store on SQLAlchemy 2: one code path for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Engine, bindparam, create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from events.amendments import AMENDMENT_TYPES, Amendable, check_amendments, follow
from events.chain import ChainReport, ChainWalker, chained_row
from events.envelope import GENESIS_HASH, AppendResult, EventEnvelope, ExpectedVersion, Head
from events.errors import DuplicateEvent, EventStoreError, InvalidEvent, VersionConflict
from events.prepare import PreparedEvent, PreparedRequest
from events.store import dialects
from events.store.base import EventStore
from events.store.migrate import upgrade
from events.store.tables import ROW_COLUMNS
from events.store.tree import BUILD_BATCH, MerkleTree, Run, TreeWalker, checkpoint_roots

PAGE_SIZE = 1000
_ID_CHUNK = 500
_COLUMNS = ", ".join(ROW_COLUMNS)


class _Stored(NamedTuple):
    stream: str
    version: int
    position: int
    content: tuple[str, ...]


def utc_now() -> str:
    """The current moment as RFC 3339 UTC with microseconds, the form `recorded_at` takes."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_expected(stream: str, expected: ExpectedVersion, actual: int | None) -> None:
    """Raise VersionConflict unless a stream at `actual` satisfies `expected`."""
    if expected == "any":
        return
    if expected == "no_stream":
        if actual is not None:
            raise VersionConflict(stream, expected, actual)
    elif actual != expected:
        raise VersionConflict(stream, expected, actual)


def create_store_engine(url: str) -> Engine:
    """An engine for `url`, with the directory of a SQLite file created if needed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=parsed.get_backend_name() != "sqlite")
    dialects.configure(engine)
    return engine


class SqlEventStore(EventStore):
    """The log in a SQL database; the schema is migrated on first use."""

    def __init__(self, url: str, *, extra_migrations: Sequence[Path | str] = ()) -> None:
        self.engine = create_store_engine(url)
        self._bulk = False
        self._committed: Callable[[], None] = lambda: None
        upgrade(self.engine, extra_migrations)
        self._mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        self._insert = f"INSERT INTO events ({_COLUMNS}) VALUES ({', '.join([self._mark] * len(ROW_COLUMNS))})"
        self.tree = MerkleTree(self._mark)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # -- appending ---------------------------------------------------------

    def append(
        self, stream: str, events: Sequence[PreparedEvent], expected_version: ExpectedVersion, *, recorded_by: str
    ) -> AppendResult:
        return self.append_batch([PreparedRequest(stream, expected_version, list(events))], recorded_by=recorded_by)[0]

    def append_batch(self, requests: Sequence[PreparedRequest], *, recorded_by: str) -> list[AppendResult]:
        with self._write_transaction() as connection:
            return self._apply(connection, requests, recorded_by)

    def append_each(self, requests: Sequence[tuple[PreparedRequest, str]]) -> list[AppendResult | EventStoreError]:
        """See EventStore."""
        # Each event carries who records it; `chained_row` prefers that to the batch's default.
        signed = [
            PreparedRequest(r.stream, r.expected_version, [e._replace(recorded_by=by) for e in r.events]) for r, by in requests
        ]
        with self._write_transaction() as connection:
            # `_apply` refuses a request before it writes anything, so a refusal needs no savepoint
            # to undo: the usual case is one pass for them all, and one refusal means one pass each.
            try:
                return list(self._apply(connection, signed, ""))
            except EventStoreError:
                pass
            outcomes: list[AppendResult | EventStoreError] = []
            for request in signed:
                try:
                    outcomes.extend(self._apply(connection, [request], ""))
                except EventStoreError as refused:
                    outcomes.append(refused)
            return outcomes

    def append_chained(self, rows: Sequence[tuple[Any, ...]], *, recorded_at: str) -> bool:
        """See EventStore."""
        with self._write_transaction() as connection:
            position, prev_hash, last_recorded = self._last(connection)
            if (position, prev_hash) != (rows[0][0] - 1, rows[0][13]) or last_recorded > recorded_at:
                return False
            self._insert_rows(connection, rows)
        return True

    @contextmanager
    def _write_transaction(self) -> Iterator[Connection]:
        """One appending transaction, with the append lock held, whose failures say what the database refused."""
        try:
            with dialects.write_transaction(self.engine) as connection:
                dialects.lock_appends(connection, bulk=self._bulk)
                yield connection
        except IntegrityError as exc:
            # The append lock rules out races between accord writers (and `append_chained`
            # checks the head under it); a clash means something wrote behind accord's back.
            raise EventStoreError(f"the database refused the append: {exc.orig}") from exc
        except OperationalError as exc:
            raise EventStoreError(f"the database could not take the append: {exc.orig}") from exc
        except DataError as exc:  # a value this database cannot hold, which validation let through
            raise InvalidEvent.single("", f"the database cannot store this: {exc.orig}") from exc
        self._committed()

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Many appends in a row: SQLite checkpoints in the background, not at each commit."""
        self._bulk = True
        try:
            with dialects.background_checkpoints(self.engine) as committed:
                self._committed = committed
                yield
        finally:
            self._bulk = False
            self._committed = lambda: None
            dialects.checkpoint(self.engine)

    def _apply(self, connection: Connection, requests: Sequence[PreparedRequest], recorded_by: str) -> list[AppendResult]:
        """Check and write `requests` in order. Every refusal (EventStoreError) is raised before the
        one insert at the end, so a refused call leaves the transaction as it found it."""
        position, prev_hash, last_recorded = self._last(connection)
        now = max(utc_now(), last_recorded)  # recorded_at never goes backwards along the log, even if the clock does
        stored = self._stored(connection, [e.id for r in requests for e in r.events])
        fresh = [r for r in requests if not any(e.id in stored for e in r.events)]
        check_amendments(fresh, lambda ids: self._amendable(connection, ids))
        written: dict[str, tuple[str, int, int, PreparedEvent]] = {}  # ids new in this batch
        versions = self._versions(connection, list({r.stream for r in requests}))
        rows: list[tuple[Any, ...]] = []
        results: list[AppendResult] = []
        for stream, expected, events in requests:
            ids = [e.id for e in events]
            if not (written.keys().isdisjoint(ids) and stored.keys().isdisjoint(ids)):
                found = [stored.get(i) or _earlier(written.get(i)) for i in ids]
                results.append(_retried(stream, events, found))
                continue
            actual = versions.get(stream)
            check_expected(stream, expected, actual)
            first = 0 if actual is None else actual + 1
            for version, event in enumerate(events, start=first):
                position += 1
                row = chained_row(position, stream, version, event, now, recorded_by, prev_hash)
                rows.append(row)
                written[event.id] = (stream, version, position, event)
                prev_hash = row[-1]
            versions[stream] = first + len(events) - 1
            positions = list(range(position - len(events) + 1, position + 1))
            results.append(AppendResult(stream, first, versions[stream], positions, ids))
        self._insert_rows(connection, rows)
        return results

    @staticmethod
    def _last(connection: Connection) -> tuple[int, str, str]:
        """The head's position, hash and `recorded_at`."""
        last = connection.exec_driver_sql("SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1").first()
        return tuple(last) if last else (0, GENESIS_HASH, "")  # type: ignore[return-value]

    def _insert_rows(self, connection: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            connection.exec_driver_sql(self._insert, rows)
            self.tree.extend(connection, rows)
            dialects.notify_appended(connection, rows[-1][0])

    def build_tree(self, progress: Callable[[int], None] | None = None) -> int:
        """Bring the Merkle tree level with the log (the tree of a log stored before there was one);
        return how many events were added to it. Appends keep it level from then on."""
        with self.engine.connect() as connection:
            if self.tree.size(connection) >= self._last(connection)[0]:
                return 0
        added = 0
        while True:
            with self._write_transaction() as connection:
                size, head = self.tree.size(connection), self._last(connection)[0]
                if size >= head:
                    return added
                self.tree.catch_up(connection, min(head, size + BUILD_BATCH), progress)
                added += min(head, size + BUILD_BATCH) - size

    def _stored(self, connection: Connection, ids: list[str]) -> dict[str, _Stored]:
        found: dict[str, _Stored] = {}
        for start in range(0, len(ids), _ID_CHUNK):
            chunk = ids[start : start + _ID_CHUNK]
            query = (
                "SELECT id, stream, version, position, type, occurred, data, sources, metadata FROM events"
                f" WHERE id IN ({', '.join([self._mark] * len(chunk))})"
            )
            for id_, stream, version, position, *content in connection.exec_driver_sql(query, tuple(chunk)):
                found[id_] = _Stored(stream, version, position, (stream, *content))
        return found

    def amendable(self, ids: list[str]) -> dict[str, Amendable]:
        with self.engine.connect() as connection:
            return self._amendable(connection, ids)

    def _amendable(self, connection: Connection, ids: list[str]) -> dict[str, Amendable]:
        """The stored facts among `ids`, as the amendments in their streams have left them."""
        facts: dict[str, Amendable] = {}
        query = text("SELECT id, stream, type, data FROM events WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
        for start in range(0, len(ids), _ID_CHUNK):
            for row in connection.execute(query, {"ids": ids[start : start + _ID_CHUNK]}):
                facts[row.id] = Amendable(row.stream, row.type, orjson.loads(row.data))
        streams = sorted({fact.stream for fact in facts.values()})
        amendments = text(
            "SELECT type, data FROM events WHERE stream IN :streams AND type IN :types ORDER BY position"
        ).bindparams(bindparam("streams", expanding=True), bindparam("types", expanding=True))
        for start in range(0, len(streams), _ID_CHUNK):
            rows = connection.execute(amendments, {"streams": streams[start : start + _ID_CHUNK], "types": sorted(AMENDMENT_TYPES)})
            follow(facts, ((row.type, row.data) for row in rows))
        return facts

    def _versions(self, connection: Connection, streams: list[str]) -> dict[str, int]:
        # One index probe per stream for its last version. `MAX(version) ... WHERE stream IN (...)
        # GROUP BY stream` reads every index entry of those streams instead: once per batch
        # written, that grew with the log until it cost more than the insert.
        versions: dict[str, int] = {}
        for start in range(0, len(streams), _ID_CHUNK):
            chunk = streams[start : start + _ID_CHUNK]
            wanted = ", ".join([f"({self._mark})"] * len(chunk))
            query = (
                f"WITH wanted(stream) AS (VALUES {wanted}) SELECT stream,"
                " (SELECT MAX(version) FROM events WHERE events.stream = wanted.stream) FROM wanted"
            )
            versions.update((s, v) for s, v in connection.exec_driver_sql(query, tuple(chunk)) if v is not None)
        return versions

    # -- reading -----------------------------------------------------------

    def _pages(self, where: str, first: tuple[Any, ...], order: str, limit: int | None) -> Iterator[tuple[Any, ...]]:
        """Rows in `order`, one short read per page, so memory stays flat and no reader holds a snapshot open.

        `where` marks its parameters with `?`: the last one is the keyset cursor,
        which each page moves on.
        """
        remaining = limit
        query = f"SELECT {_COLUMNS} FROM events WHERE {where} ORDER BY {order} LIMIT ?".replace("?", self._mark)
        key = ROW_COLUMNS.index(order)
        args = list(first)
        while remaining is None or remaining > 0:
            size = PAGE_SIZE if remaining is None else min(PAGE_SIZE, remaining)
            rows = self.fetch(query, (*args, size))
            yield from rows
            if len(rows) < size:
                return
            args[-1] = rows[-1][key] + (1 if order == "version" else 0)
            if remaining is not None:
                remaining -= len(rows)

    def fetch(self, query: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        """All rows of one query, on a connection of its own (see `reader`)."""
        with self.reader() as run:
            return run(query, args)

    @contextmanager
    def reader(self) -> Iterator[Run]:
        """Read queries on one connection, through the driver's own cursor, which yields plain tuples, the cheapest
        rows there are (a proof's two queries cost a third of the CPU they take through SQLAlchemy)."""
        with self.engine.connect() as connection:
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                yield lambda query, args: cursor.execute(query, args).fetchall()  # type: ignore[no-any-return]
            finally:
                cursor.close()

    def read_stream(self, stream: str, from_version: int = 0, limit: int | None = None) -> Iterator[EventEnvelope]:
        rows = self._pages("stream = ? AND version >= ?", (stream, from_version), "version", limit)
        return map(EventEnvelope._make, rows)

    def read_all(self, after: int = 0, limit: int | None = None) -> Iterator[EventEnvelope]:
        return map(EventEnvelope._make, self._pages("position > ?", (after,), "position", limit))

    def read_all_json(self, after: int = 0, limit: int | None = None) -> Iterator[bytes]:
        return map(_envelope_json, self._pages("position > ?", (after,), "position", limit))

    def get(self, event_id: str) -> EventEnvelope | None:
        with self.engine.connect() as connection:
            row = connection.execute(text(f"SELECT {_COLUMNS} FROM events WHERE id = :id"), {"id": event_id}).first()
        return EventEnvelope._make(row) if row else None

    def find_ids(self, ids: Sequence[str]) -> dict[str, EventEnvelope]:
        # An import asks this of every id it reads, nearly always to hear "none", so skip SQLAlchemy's statement layer.
        found: dict[str, EventEnvelope] = {}
        for start in range(0, len(ids), _ID_CHUNK):
            chunk = ids[start : start + _ID_CHUNK]
            query = f"SELECT {_COLUMNS} FROM events WHERE id IN ({', '.join([self._mark] * len(chunk))})"
            found.update((row[1], EventEnvelope._make(row)) for row in self.fetch(query, chunk))
        return found

    def stream_version(self, stream: str) -> int | None:
        return self.stream_versions([stream]).get(stream)

    def stream_versions(self, streams: Sequence[str]) -> dict[str, int]:
        with self.engine.connect() as connection:
            return self._versions(connection, list(streams))

    def head(self) -> Head:
        with self.engine.connect() as connection:
            row = connection.execute(text("SELECT position, hash FROM events ORDER BY position DESC LIMIT 1")).first()
        return Head(row[0], row[1]) if row else Head(0, GENESIS_HASH)

    def verify(self, progress: Callable[[int], None] | None = None) -> ChainReport:
        """See EventStore; the Merkle tree is rebuilt from the same walk and compared with the stored one,
        and so is the root of every signed checkpoint."""
        walker = ChainWalker()
        tree = TreeWalker(self.tree.pages(self.fetch), checkpoint_roots(self.fetch, self._mark))
        for row in self._pages("position > ?", (0,), "position", None):
            reason = walker.check(dict(zip(ROW_COLUMNS, row, strict=True)))
            if reason is not None:
                return ChainReport(False, walker.checked, walker.prev_hash, row[0], reason)
            reason = tree.check(row[0], walker.canonical)
            if reason is not None:  # the event is intact, its place in the tree is not
                return ChainReport(False, walker.checked - 1, row[13], row[0], reason)
            if progress is not None and walker.checked % PAGE_SIZE == 0:
                progress(walker.checked)
        if progress is not None:
            progress(walker.checked)
        reason = tree.finish(self.head().position)
        if reason is not None:
            return ChainReport(False, walker.checked, walker.prev_hash, walker.checked + 1, reason)
        return ChainReport(True, walker.checked, walker.prev_hash)

    def close(self) -> None:
        self.engine.dispose()


def _earlier(entry: tuple[str, int, int, PreparedEvent] | None) -> _Stored | None:
    if entry is None:
        return None
    stream, version, position, event = entry
    return _Stored(stream, version, position, event.content(stream))


def _retried(stream: str, events: Sequence[PreparedEvent], found: list[_Stored | None]) -> AppendResult:
    """The original result of a batch whose ids are all stored; refuse anything else."""
    for event, original in zip(events, found, strict=True):
        if original is None:
            raise DuplicateEvent(
                next(e.id for e, f in zip(events, found, strict=True) if f is not None),
                "is already stored, but this batch also holds new events; a retry must repeat the original batch",
            )
        if original.content != event.content(stream):
            raise DuplicateEvent(event.id, "is already stored with other content")
    stored = [f for f in found if f is not None]
    return AppendResult(
        stream, stored[0].version, stored[-1].version, [f.position for f in stored], [e.id for e in events], retried=True
    )


def _envelope_json(row: Any) -> bytes:
    return orjson.dumps(
        {
            "id": row[1],
            "position": row[0],
            "stream": row[2],
            "version": row[3],
            "type": row[4],
            "occurred": row[5],
            "recorded_at": row[8],
            "recorded_by": row[9],
            "data": orjson.Fragment(row[10]),
            "sources": orjson.Fragment(row[11]),
            "metadata": orjson.Fragment(row[12]),
            "prev_hash": row[13],
            "hash": row[14],
        }
    )
