"""Appends from many threads committed together: one transaction for whatever is waiting.

Under concurrent appends, a transaction's fixed costs (taking the write lock,
reading the head, committing) are most of what an append costs the store, and
every writer waits for the lock anyway. So the thread whose turn comes
commits every request queued by then, each still all or nothing on its own
(`EventStore.append_each`); the others find their outcome ready when their
turn comes. Alone, a request is committed at once, as by `append`.
"""

from __future__ import annotations

import threading

from events.envelope import AppendResult
from events.errors import EventStoreError
from events.prepare import PreparedRequest
from events.store.base import EventStore

MAX_GROUP = 256
"""Requests committed in one transaction at most, so that none waits behind an unbounded queue."""


class _Ticket:
    __slots__ = ("request", "recorded_by", "outcome")

    def __init__(self, request: PreparedRequest, recorded_by: str) -> None:
        self.request = request
        self.recorded_by = recorded_by
        self.outcome: AppendResult | BaseException | None = None


class GroupCommit:
    """Appends one request for the calling thread, in a transaction shared with the requests of others."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._turn = threading.Lock()
        self._queue: list[_Ticket] = []
        self._queue_lock = threading.Lock()

    def append(self, request: PreparedRequest, *, recorded_by: str) -> AppendResult:
        """Append `request` all or nothing; return where it landed or raise what refused it, as `append` does."""
        ticket = _Ticket(request, recorded_by)
        with self._queue_lock:
            self._queue.append(ticket)
        while ticket.outcome is None:
            with self._turn:
                if ticket.outcome is None:
                    self._commit_queued()
        if isinstance(ticket.outcome, BaseException):
            raise ticket.outcome
        return ticket.outcome

    def _commit_queued(self) -> None:
        with self._queue_lock:
            group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
        try:
            outcomes: list[AppendResult | EventStoreError] | list[BaseException] = self.store.append_each(
                [(ticket.request, ticket.recorded_by) for ticket in group]
            )
        except BaseException as failed:  # the transaction itself failed: every request in it did
            outcomes = [failed] * len(group)
        for ticket, outcome in zip(group, outcomes, strict=True):
            ticket.outcome = outcome
