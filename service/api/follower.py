"""Keeping the read models level with the log while the server runs, and telling live readers about new events.

One thread folds: `Runner.catch_up` whenever it is woken, and at least every
`poll_seconds`. Three things wake it: an append through this process, news
that another process appended (a second thread LISTENs for notifications on
`accord_events` on PostgreSQL; on SQLite it watches the file's
`PRAGMA data_version`, which moves whenever another connection commits), and
the poll itself, the fallback when neither comes. Every time the head of the
log moves, the `Bell` rings for the live streams (`/events/live`) waiting on
the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import psycopg

from events.store import SqlEventStore
from events.store.dialects import NOTIFY_CHANNEL
from events.store.file_lock import FileLock
from projections import Runner

log = logging.getLogger("accord.follower")
COALESCE_SECONDS = 0.25
"""How long a catch-up waits for more appends after one wakes it: fewer, larger folds (each takes the
database's write lock, which the appends need too, and writes a segment of the index)."""
WATCH_SECONDS = 0.05
"""How often a server on SQLite looks whether another process (a worker beside it, `accord import`) committed."""


class Bell:
    """Wakes coroutines on one event loop from any thread: the log's head has moved."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event = asyncio.Event()

    def current(self) -> asyncio.Event:
        """The event the next ring sets: take it *before* looking at the log, then wait on it."""
        assert self._event is not None, "the bell rings only while the app runs"
        return self._event

    def ring(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._pulse)
        except RuntimeError:  # the loop closed meanwhile: nobody is left to wake
            pass

    def _pulse(self) -> None:
        event, self._event = self._event, asyncio.Event()
        if event is not None:
            event.set()


class Follower:
    """The catch-up thread and, on PostgreSQL, the LISTEN thread; `stop` joins both."""

    def __init__(
        self,
        store: SqlEventStore,
        runner: Runner,
        bell: Bell,
        *,
        poll_seconds: float,
        warm: Callable[[], None] | None = None,
        turn_file: Path | None = None,
    ) -> None:
        self.store = store
        self._turn = FileLock(turn_file).held if turn_file is not None else nullcontext
        self.runner = runner
        self.warm = warm
        self.bell = bell
        self.poll_seconds = poll_seconds
        self.head = 0
        self.last_error: str | None = None
        self.caught_up = threading.Event()  # set once the first catch-up is done
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._fold, name="accord-catch-up", daemon=True)]
        if store.dialect == "postgresql":
            self._threads.append(threading.Thread(target=self._listen, name="accord-listen", daemon=True))
        elif store.dialect == "sqlite":
            self._threads.append(threading.Thread(target=self._watch, name="accord-watch", daemon=True))

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def wake(self) -> None:
        """Something was appended: fold it now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join()

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def _fold(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                head = self.store.head().position
                if head != self.head:
                    self.head = head
                    self.bell.ring()
                # The workers of one data directory fold one after another: whoever comes second finds
                # the shared read models level with the log and only reads, instead of queueing again
                # and again for the write lock the appends need, to find nothing left to do.
                with self._turn():
                    read = self.runner.catch_up()
                if self.warm is not None and (read or not self.caught_up.is_set()):
                    self.warm()  # so that the first search after a commit does not pay for it
                self.last_error = None
            except Exception as exc:  # keep serving reads; try again at the next wake-up
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("catch-up failed; retrying in %s s", self.poll_seconds)
            self.caught_up.set()
            if self._wake.wait(self.poll_seconds) and not self._stopping.is_set():
                # Let a burst of appends land before folding it: one catch-up for many events.
                self._stopping.wait(COALESCE_SECONDS)

    def _listen(self) -> None:
        url = self.store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stopping.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    while not self._stopping.is_set():
                        for _ in connection.notifies(timeout=0.5, stop_after=1):
                            self._wake.set()
            except psycopg.Error as exc:
                if self._stopping.is_set():
                    return
                log.warning("LISTEN %s failed (%s); polling until it works again", NOTIFY_CHANNEL, exc)
                self._stopping.wait(self.poll_seconds)

    def _watch(self) -> None:
        # SQLite has no LISTEN; `data_version` is one read of a shared-memory counter, and the
        # head is looked up only when it moved, so watching costs next to nothing while idle.
        while not self._stopping.is_set():
            try:
                connection = self.store.engine.raw_connection()
                try:
                    cursor = connection.driver_connection.cursor()  # type: ignore[union-attr]
                    seen = None
                    while not self._stopping.wait(WATCH_SECONDS):
                        # fetchall, not fetchone: a statement left unfinished holds a read snapshot,
                        # which would stop checkpoints from emptying the WAL.
                        version = cursor.execute("PRAGMA data_version").fetchall()[0][0]
                        if version != seen:
                            seen = version
                            head = cursor.execute("SELECT max(position) FROM events").fetchall()[0][0] or 0
                            if head > self.head:
                                self._wake.set()
                finally:
                    connection.close()
            except sqlite3.Error as exc:
                log.warning("watching the database failed (%s); polling until it works again", exc)
                self._stopping.wait(self.poll_seconds)
