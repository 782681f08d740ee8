"""The few things SQLite and PostgreSQL do differently for the log.

Appends are serialised on both: the hash chain needs the previous event, and a
single writer is what keeps positions in commit order so that no reader ever
sees position P and later finds a new event below it. SQLite gets that from
`BEGIN IMMEDIATE` (one writer per database file, readers untouched thanks to
WAL); PostgreSQL from a transaction-scoped advisory lock, released only after
the commit is visible, the way the established Postgres event stores do it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import Connection

from events.store.file_lock import FileLock

APPEND_LOCK = 0x61636364  # "accd": the advisory lock key appends take on PostgreSQL
MIGRATE_LOCK = 0x6163636D  # "accm": the key migrations take
CHECKPOINT_LOCK = 0x61636B63  # "ackc": the key signers of checkpoints take
NOTIFY_CHANNEL = "accord_events"
WRITE = {"accord_write": True}  # execution option: this transaction appends
SQLITE_CHECKPOINT_PAGES = 1000  # SQLite's default
SQLITE_PAGE_BYTES = 8192
SQLITE_CACHE_KIB = 65536  # a page cache that holds the id index of a large log


def configure(engine: Engine) -> None:
    """Install the per-dialect connection set-up on a new engine."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event decide how each transaction starts
    # instead of the sqlite3 module's implicit, deferred BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # Only takes effect on a new, empty file: 1 KB events pack better into 8 KiB
    # pages, and inserts into the two unique indexes split fewer pages.
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_BYTES}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    writes = connection.get_execution_options().get("accord_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction on a connection of its own: BEGIN IMMEDIATE on SQLite.

    On SQLite the writers first take turns on locks of accord's own per
    database file (see `_Turn`). SQLite's busy handler, the only queue it has,
    waits by sleeping (1, 2, 5, ... 100 ms): eight threads appending at once
    spent most of their time asleep in it while the file was free.
    """
    with _turn(engine), engine.connect().execution_options(**WRITE) as connection, connection.begin():
        yield connection


class _Turn:
    """The queue of one SQLite file's writers: a lock for the threads of this process, and for the
    processes (the workers of one server, an import beside it) an exclusive `flock` on a file beside
    the database, which the kernel hands to the next waiter as soon as it is let go."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.RLock()
        self._depth = 0
        memory = not database or database == ":memory:" or database.startswith("file::memory:")
        self._processes = None if memory else FileLock(f"{database}-writer")

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._threads:
            self._depth += 1
            try:
                if self._depth == 1 and self._processes is not None:
                    with self._processes.held():
                        yield
                else:
                    yield
            finally:
                self._depth -= 1


_TURNS: dict[str, _Turn] = {}
_TURNS_GUARD = threading.Lock()


def _turn(engine: Engine) -> contextlib.AbstractContextManager[None]:
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    database = engine.url.database
    with _TURNS_GUARD:
        turn = _TURNS.setdefault(str(database), _Turn(database))
    return turn()


def lock_appends(connection: Connection, *, bulk: bool = False) -> None:
    """Inside a write transaction: wait until this transaction is the only appender (see `lock_writer`)."""
    lock_writer(connection, APPEND_LOCK, bulk=bulk)


def lock_writer(connection: Connection, key: int, *, bulk: bool = False) -> None:
    """Inside a write transaction: wait until this transaction is the only one holding `key`.

    On SQLite `BEGIN IMMEDIATE` already did. There, `bulk` also stops this
    connection from checkpointing at commit: a checkpoint after every batch
    rewrites the same index pages again and again, and costs more than the
    inserts; `background_checkpoints` copies them meanwhile on another core,
    and `checkpoint` truncates the log when the bulk work is done.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={0 if bulk else SQLITE_CHECKPOINT_PAGES}")


def fast_drops(connection: Connection) -> None:
    """Let DROP TABLE free pages without zeroing them.

    Builds of SQLite that zero deleted content by default (`secure_delete`)
    rewrite every page of a dropped table; read models hold nothing secret.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA secure_delete=FAST")


def checkpoint(engine: Engine) -> None:
    """Copy SQLite's write-ahead log into the database file and truncate it."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


class _Checkpointer:
    """A thread that copies committed WAL frames into a SQLite file while the next batch is written.

    A checkpoint is one long C call that releases the GIL, so on a second core
    it costs the writer next to nothing; left to the end of a bulk import it
    was a quarter of the time spent writing. PASSIVE never waits for, nor
    blocks, the writer or readers.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._committed = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="accord-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        self._committed.set()

    def stop(self) -> None:
        self._stopping = True
        self._committed.set()
        self._thread.join()

    def _run(self) -> None:
        connection = self._engine.raw_connection()  # no SQLAlchemy transaction around the pragma
        try:
            while True:
                self._committed.wait()
                self._committed.clear()
                if self._stopping:
                    return
                connection.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            connection.close()


@contextmanager
def background_checkpoints(engine: Engine) -> Iterator[Callable[[], None]]:
    """For the block, yield a function to call after each commit; on SQLite it wakes a checkpointing thread."""
    if engine.dialect.name != "sqlite":
        yield lambda: None
        return
    checkpointer = _Checkpointer(engine)
    try:
        yield checkpointer.committed
    finally:
        checkpointer.stop()


def lock_migrations(connection: Connection) -> None:
    """Inside a write transaction: wait until no other process is migrating."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK})


def notify_appended(connection: Connection, head: int) -> None:
    """Wake the processes that tail the log; delivered when the transaction commits."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_notify(:channel, :head)"), {"channel": NOTIFY_CHANNEL, "head": str(head)})
