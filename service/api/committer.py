"""Appends of concurrent requests, validated and committed together, off the event loop.

An append's own work is small next to its fixed costs: a hop from the event
loop to a thread and back, taking the write lock, reading the head,
committing. So requests queue here on the event loop, and one thread takes
whatever has queued while it was busy: it validates each request and commits
the valid ones in one transaction, each still all or nothing on its own
(`EventStore.append_each`). Alone, a request is committed at once. Before
validating, it asks the database in one query whether the tokens of the
requests it took are still in force (`service.api.auth`).

One request's failure is never another's. Whatever validating a request
raises is that request's 422. Should the shared transaction fail, each of
its requests is committed again in a transaction of its own, so that only a
request that fails alone fails; when the database itself is down, that is
every one of them.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from events.envelope import AppendResult
from events.errors import EventStoreError, InvalidEvent
from events.prepare import PreparedRequest, prepare_request_json
from events.store import SqlEventStore
from service.api.auth import unknown_token
from service.tokens import in_force as tokens_in_force

MAX_GROUP = 256
"""Requests committed in one transaction at most."""

log = logging.getLogger("accord.http")

_Queued = tuple[str, Any, str, "str | None", "asyncio.Future[AppendResult]"]


class Committer:
    """The appends of one server process; used from its event loop only."""

    def __init__(self, store: SqlEventStore) -> None:
        self.store = store
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="accord-commit")
        self._queue: list[_Queued] = []
        self._busy = False

    async def append(self, stream: str, body: dict[str, Any], recorded_by: str, token_hash: str | None = None) -> AppendResult:
        """Validate `body` (an append request without its stream) and append it to `stream` all or nothing;
        return where it landed, or raise what refused it (InvalidEvent, VersionConflict, DuplicateEvent, or
        a 401 ApiProblem when the token of hash `token_hash` is not in force as the request is committed)."""
        loop = asyncio.get_running_loop()
        landed: asyncio.Future[AppendResult] = loop.create_future()
        self._queue.append((stream, body, recorded_by, token_hash, landed))
        if not self._busy:
            self._next(loop)
        return await landed

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    def _next(self, loop: asyncio.AbstractEventLoop) -> None:
        group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
        self._busy = True
        work = loop.run_in_executor(self._executor, self._commit, [queued[:4] for queued in group])
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

    def _commit(self, group: list[tuple[str, Any, str, str | None]]) -> list[AppendResult | Exception]:
        outcomes: list[AppendResult | Exception | None] = [None] * len(group)
        valid: list[tuple[int, PreparedRequest, str]] = []
        tokens = {token for *_, token in group if token is not None}
        try:  # one query for all: the tokens a revocation elsewhere has taken out of force since they were met
            in_force = tokens_in_force(self.store.engine, tokens) if tokens else set()
        except Exception as failed:
            log.error("checking the tokens of %d appends failed: %s", len(group), failed)
            return [EventStoreError(f"the database could not check the tokens: {failed}")] * len(group)
        for index, (stream, body, recorded_by, token) in enumerate(group):
            if token is not None and token not in in_force:
                outcomes[index] = unknown_token()
                continue
            try:
                valid.append((index, prepare_request_json({**body, "stream": stream}), recorded_by))
            except InvalidEvent as refused:
                outcomes[index] = refused
            except Exception as failed:  # a case validation does not foresee: still this request's alone
                log.exception("validating an append to %s failed", stream)
                outcomes[index] = InvalidEvent.single("", f"the request could not be validated ({type(failed).__name__})")
        if valid:
            requests = [(request, recorded_by) for _, request, recorded_by in valid]
            try:
                appended: list[Any] = self.store.append_each(requests)
            except Exception as failed:
                appended = [failed] if len(requests) == 1 else [self._alone(request) for request in requests]
            for (index, _, _), outcome in zip(valid, appended, strict=True):
                outcomes[index] = outcome
        return outcomes  # type: ignore[return-value]

    def _alone(self, request: tuple[PreparedRequest, str]) -> AppendResult | Exception:
        """One request of a failed transaction, committed in a transaction of its own."""
        try:
            return self.store.append_each([request])[0]
        except Exception as failed:
            return failed
