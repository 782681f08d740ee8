"""Appends of concurrent requests, validated and committed together, off the event loop.

An append's own work is small next to its fixed costs: a hop from the event
loop to a thread and back, taking the write lock, reading the head,
committing. So requests queue here on the event loop, and one thread takes
whatever has queued while it was busy: it validates each request and commits
the valid ones in one transaction, each still all or nothing on its own
(`EventStore.append_each`). Alone, a request is committed at once.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from events.envelope import AppendResult
from events.errors import InvalidEvent
from events.prepare import PreparedRequest, prepare_request_json
from events.store import EventStore

MAX_GROUP = 256
"""Requests committed in one transaction at most."""

_Queued = tuple[str, Any, str, "asyncio.Future[AppendResult]"]


class Committer:
    """The appends of one server process; used from its event loop only."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="accord-commit")
        self._queue: list[_Queued] = []
        self._busy = False

    async def append(self, stream: str, body: dict[str, Any], recorded_by: str) -> AppendResult:
        """Validate `body` (an append request without its stream) and append it to `stream` all or nothing;
        return where it landed, or raise what refused it (InvalidEvent, VersionConflict, DuplicateEvent)."""
        loop = asyncio.get_running_loop()
        landed: asyncio.Future[AppendResult] = loop.create_future()
        self._queue.append((stream, body, recorded_by, landed))
        if not self._busy:
            self._next(loop)
        return await landed

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    def _next(self, loop: asyncio.AbstractEventLoop) -> None:
        group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
        self._busy = True
        work = loop.run_in_executor(self._executor, self._commit, [(stream, body, by) for stream, body, by, _ in group])
        work.add_done_callback(lambda done: self._landed(loop, group, done))

    def _landed(self, loop: asyncio.AbstractEventLoop, group: list[_Queued], done: asyncio.Future[list[Any]]) -> None:
        self._busy = False
        try:
            outcomes = done.result()
        except Exception as failed:  # a failure outside any one request's work: they all share it
            outcomes = [failed] * len(group)
        for (*_, landed), outcome in zip(group, outcomes, strict=True):
            if landed.cancelled():  # the client left; what it sent is in the log all the same
                continue
            if isinstance(outcome, BaseException):
                landed.set_exception(outcome)
            else:
                landed.set_result(outcome)
        if self._queue:
            self._next(loop)

    def _commit(self, group: list[tuple[str, Any, str]]) -> list[AppendResult | Exception]:
        outcomes: list[AppendResult | Exception | None] = [None] * len(group)
        valid: list[tuple[int, PreparedRequest, str]] = []
        for index, (stream, body, recorded_by) in enumerate(group):
            try:
                valid.append((index, prepare_request_json({**body, "stream": stream}), recorded_by))
            except InvalidEvent as refused:
                outcomes[index] = refused
        if valid:
            try:
                appended: list[Any] = self.store.append_each([(request, recorded_by) for _, request, recorded_by in valid])
            except Exception as failed:  # the transaction itself failed: so did every request in it
                appended = [failed] * len(valid)
            for (index, _, _), outcome in zip(valid, appended, strict=True):
                outcomes[index] = outcome
        return outcomes  # type: ignore[return-value]
