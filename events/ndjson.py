"""NDJSON in and out of the log: `accord import` and `accord export`.

An import reads its whole input once to validate every line against the
catalogue and against the log as it stands (versions, ids already stored),
keeping the prepared requests in memory up to a budget and spooling the rest
to a temporary file. Only if no line is bad does it write, in batched
transactions: a crash leaves whole batches, and running
the same input again skips what is stored (ids are checked before versions)
and writes the rest.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from events.envelope import ExpectedVersion
from events.errors import EventStoreError, InvalidEvent, VersionConflict
from events.prepare import PreparedEvent, PreparedRequest, canonical, prepare_envelope, prepare_request_json
from events.store.base import EventStore
from events.store.sql import check_expected

REQUEST_KEYS = frozenset({"stream", "expected_version", "events"})
ENVELOPE_KEYS = frozenset(
    {"id", "position", "stream", "version", "type", "occurred", "recorded_at", "recorded_by",
     "data", "sources", "metadata", "prev_hash", "hash"}
)
_CHUNK = 1000  # lines parsed per task, and checked together against the log
MAX_REPORTED = 100
HELD_BYTES = 32 * 2**20  # input whose prepared requests stay in memory; the rest is spooled to disk
PARALLEL_FROM_BYTES = 8 * 2**20

Progress = Callable[[int], None]


@dataclass(frozen=True)
class LineError:
    """A bad input line (1-based) and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class ImportRejected(EventStoreError):
    """The input has bad lines; nothing was written."""

    def __init__(self, errors: list[LineError], bad_lines: int) -> None:
        self.errors = errors
        self.bad_lines = bad_lines
        super().__init__(f"{bad_lines} bad line(s); nothing was written")


@dataclass
class ImportPlan:
    """The validated input: how much of it is new, held in memory or spooled for writing."""

    lines: int = 0
    events: int = 0
    new_events: int = 0
    new_requests: int = 0
    held: list[list[Any]] = field(default_factory=list)
    held_bytes: int = 0
    spool: IO[bytes] = field(default_factory=lambda: tempfile.TemporaryFile(prefix="accord-import-"))
    errors: list[LineError] = field(default_factory=list)
    bad_lines: int = 0

    def keep(self, requests: list[Any], size: int) -> None:
        """Keep checked requests for writing: in memory while they fit the budget, then on disk."""
        if self.held_bytes + size <= HELD_BYTES and self.spool.tell() == 0:
            self.held.append(requests)
            self.held_bytes += size
        else:
            self.spool.write(orjson.dumps(requests))
            self.spool.write(b"\n")

    def chunks(self) -> Iterator[list[PreparedRequest]]:
        """The kept requests in input order."""
        for requests in self.held:
            yield _prepared_requests(requests)
        self.held = []
        self.spool.seek(0)
        for line in self.spool:
            yield _prepared_requests(orjson.loads(line))

    @property
    def already_stored(self) -> int:
        return self.events - self.new_events

    def reject(self, error: LineError) -> None:
        self.bad_lines += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(error)


def parse_line(raw: bytes) -> PreparedRequest:
    """One NDJSON line, an append request or an exported envelope; raise InvalidEvent."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidEvent.single("", f"not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise InvalidEvent.single("", "must be a JSON object: an append request or an event envelope")
    if "events" in value:
        unknown = set(value) - REQUEST_KEYS
        if unknown:
            raise InvalidEvent.single(sorted(unknown)[0], "is not a field of an append request")
        return prepare_request_json(value, derive_ids=True)
    if "version" in value and "type" in value:
        unknown = set(value) - ENVELOPE_KEYS
        if unknown:
            raise InvalidEvent.single(sorted(unknown)[0], "is not a field of an event envelope")
        return prepare_envelope(value)
    raise InvalidEvent.single(
        "", 'neither an append request {"stream", "expected_version", "events"} nor an event envelope'
    )


# A parsed line as it travels between processes and through the spool:
# (line number, stream, expected_version, [plain PreparedEvent tuples]).
Parsed = tuple[int, str, ExpectedVersion, list[tuple[Any, ...]]]
_ID, _TYPE, _OCCURRED, _DATA, _SOURCES, _METADATA = 0, 1, 2, 5, 6, 7


def _content_hash(stream: str, event: tuple[Any, ...]) -> int:
    return hash((stream, event[_TYPE], event[_OCCURRED], event[_DATA], event[_SOURCES], event[_METADATA]))


def _parse_chunk(lines: list[tuple[int, bytes]]) -> tuple[list[Parsed], list[LineError]]:
    """Parse and validate a run of lines; picklable, so worker processes can share the work."""
    parsed: list[Parsed] = []
    errors: list[LineError] = []
    for number, raw in lines:
        try:
            request = parse_line(raw)
        except InvalidEvent as exc:
            errors.append(LineError(number, str(exc)))
            continue
        # Slicing turns the named tuples into plain ones: cheaper to pickle, and orjson writes them as arrays.
        parsed.append((number, request.stream, request.expected_version, [e[:] for e in request.events]))
    return parsed, errors


class _Simulation:
    """The log's versions and ids as they will be once the lines read so far are applied."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.versions: dict[str, int | None] = {}
        self.seen: dict[str, int] = {}  # id -> hash of its content, for ids new in this input

    def check(self, chunk: list[Parsed], plan: ImportPlan) -> list[Parsed]:
        """Check a chunk of parsed lines in order against the log; return those that will write."""
        ids = [e[_ID] for _, _, _, events in chunk for e in events if e[_ID] not in self.seen]
        stored = {i: hash(_content(env)) for i, env in self.store.find_ids(ids).items()} if ids else {}
        unknown = list({stream for _, stream, _, _ in chunk if stream not in self.versions})
        if unknown:
            known = self.store.stream_versions(unknown)
            self.versions.update({s: known.get(s) for s in unknown})
        fresh = []
        for line in chunk:
            try:
                if self._check(line, stored):
                    fresh.append(line)
            except (InvalidEvent, VersionConflict) as exc:
                plan.reject(LineError(line[0], str(exc)))
        return fresh

    def _check(self, line: Parsed, stored: dict[str, int]) -> bool:
        _, stream, expected, events = line
        found = [stored.get(e[_ID], self.seen.get(e[_ID])) for e in events]
        if any(f is not None for f in found):
            for event, original in zip(events, found, strict=True):
                if original is None:
                    raise InvalidEvent.single(
                        "events", "mixes ids that are already stored with new ones; a retry must repeat its batch"
                    )
                if original != _content_hash(stream, event):
                    raise InvalidEvent.single("id", f"{event[_ID]} is already stored with other content")
            return False
        actual = self.versions[stream]
        check_expected(stream, expected, actual)
        self.versions[stream] = (-1 if actual is None else actual) + len(events)
        for event in events:
            self.seen[event[_ID]] = _content_hash(stream, event)
        return True


def _content(envelope: Any) -> tuple[str, ...]:
    return (
        envelope.stream, envelope.type, envelope.occurred,
        canonical(envelope.data), canonical(envelope.sources), canonical(envelope.metadata),
    )


def _chunks(source: IO[bytes], counter: list[int]) -> Iterator[list[tuple[int, bytes]]]:
    chunk: list[tuple[int, bytes]] = []
    for number, raw in enumerate(source, start=1):
        counter[0] = number
        counter[1] += len(raw)
        if raw.strip():
            chunk.append((number, raw))
            if len(chunk) >= _CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector, which otherwise walks every request held so far again and again.

    An import keeps hundreds of thousands of containers alive and allocates
    millions more; the collections that triggers cost as much as the
    validation. What an import builds forms no reference cycles, so there is
    nothing for the collector to find until the import is over.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def workers_for(size: int | None) -> int:
    """How many processes to parse with: one for small inputs, where starting more costs more than it saves."""
    if size is not None and size < PARALLEL_FROM_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def plan_import(
    source: IO[bytes], store: EventStore, progress: Progress | None = None, *, workers: int = 1
) -> ImportPlan:
    """Read and check all of `source`; raise ImportRejected naming the bad lines.

    With `workers` > 1, lines are parsed and validated in that many processes
    while this one checks them, in order, against the log.
    """
    plan = ImportPlan()
    simulation = _Simulation(store)
    counter = [0, 0]  # lines read, bytes read
    with _no_cycle_collection():
        pool = multiprocessing.get_context("fork").Pool(workers) if workers > 1 else None
        try:
            parsed_chunks = pool.imap(_parse_chunk, _chunks(source, counter)) if pool else map(_parse_chunk, _chunks(source, counter))
            read = 0
            for parsed, errors in parsed_chunks:
                for error in errors:
                    plan.reject(error)
                plan.events += sum(len(line[3]) for line in parsed)
                fresh = simulation.check(parsed, plan)
                if fresh and not plan.bad_lines:
                    plan.keep([line[1:] for line in fresh], counter[1] - read)
                    plan.new_requests += len(fresh)
                    plan.new_events += sum(len(line[3]) for line in fresh)
                read = counter[1]
                if progress is not None:
                    progress(read)
        finally:
            if pool is not None:
                pool.terminate()
    plan.lines = counter[0]
    if plan.bad_lines:
        plan.spool.close()
        raise ImportRejected(plan.errors, plan.bad_lines)
    return plan


def write_import(
    plan: ImportPlan, store: EventStore, *, recorded_by: str, batch_events: int = 5000, progress: Progress | None = None
) -> int:
    """Write a checked plan in transactions of about `batch_events` events; return events written."""
    written = 0
    batch: list[PreparedRequest] = []
    pending = 0

    def flush() -> None:
        nonlocal written, pending
        # The plan found these ids absent, so the unique index can do the checking.
        store.append_batch(batch, recorded_by=recorded_by, assume_new=True)
        written += pending
        batch.clear()
        pending = 0
        if progress is not None:
            progress(written)

    with plan.spool, store.bulk(), _no_cycle_collection():
        for requests in plan.chunks():
            for request in requests:
                batch.append(request)
                pending += len(request.events)
                if pending >= batch_events:
                    flush()
        if batch:
            flush()
    return written


_new = tuple.__new__  # builds a named tuple from a plain one without a Python-level call


def _prepared_requests(requests: list[Any]) -> list[PreparedRequest]:
    return [
        PreparedRequest(stream, expected, [_new(PreparedEvent, event) for event in events])
        for stream, expected, events in requests
    ]


def export_ndjson(store: EventStore, out: IO[bytes], *, after: int = 0, limit: int | None = None) -> int:
    """Write envelopes in position order as NDJSON; return how many."""
    count = 0
    for line in store.read_all_json(after=after, limit=limit):
        out.write(line)
        out.write(b"\n")
        count += 1
    return count
