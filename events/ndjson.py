"""NDJSON in and out of the log: `accord import` and `accord export`.

An import reads its whole input once to validate every line against the
catalogue and against the log as it stands (versions, ids already stored),
spooling the prepared requests to a temporary file. Only if no line is bad does
it write, in batched transactions: a crash leaves whole batches, and running
the same input again skips what is stored (ids are checked before versions)
and writes the rest.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from events.errors import EventStoreError, InvalidEvent, VersionConflict
from events.prepare import PreparedEvent, PreparedRequest, prepare_envelope, prepare_request_json
from events.store.base import EventStore
from events.store.sql import check_expected

REQUEST_KEYS = frozenset({"stream", "expected_version", "events"})
ENVELOPE_KEYS = frozenset(
    {"id", "position", "stream", "version", "type", "occurred", "recorded_at", "recorded_by",
     "data", "sources", "metadata", "prev_hash", "hash"}
)
_CHUNK = 2000  # lines validated together against the log (one id and one version query each)
MAX_REPORTED = 100

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
    """The validated input: how much of it is new, spooled for writing."""

    lines: int = 0
    events: int = 0
    new_events: int = 0
    new_requests: int = 0
    spool: IO[bytes] = field(default_factory=lambda: tempfile.TemporaryFile(prefix="accord-import-"))
    errors: list[LineError] = field(default_factory=list)
    bad_lines: int = 0

    @property
    def already_stored(self) -> int:
        return self.events - self.new_events


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


class _Simulation:
    """The log's versions and ids as they will be once the lines read so far are applied."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.versions: dict[str, int | None] = {}
        self.seen: dict[str, int] = {}  # id -> hash of its content, for ids new in this input

    def check_chunk(self, chunk: list[tuple[int, PreparedRequest]], plan: ImportPlan) -> list[tuple[int, PreparedRequest]]:
        """Validate a chunk of parsed lines in order; return the requests that will write."""
        ids = [e.id for _, r in chunk for e in r.events if e.id not in self.seen]
        stored = {i: hash(_content(env)) for i, env in self.store.find_ids(ids).items()} if ids else {}
        unknown = list({r.stream for _, r in chunk if r.stream not in self.versions})
        if unknown:
            known = self.store.stream_versions(unknown)
            self.versions.update({s: known.get(s) for s in unknown})
        fresh = []
        for number, request in chunk:
            try:
                if self._check(request, stored):
                    fresh.append((number, request))
            except (InvalidEvent, VersionConflict) as exc:
                plan.bad_lines += 1
                if len(plan.errors) < MAX_REPORTED:
                    plan.errors.append(LineError(number, str(exc)))
        return fresh

    def _check(self, request: PreparedRequest, stored: dict[str, int]) -> bool:
        found = [stored.get(e.id, self.seen.get(e.id)) for e in request.events]
        if any(f is not None for f in found):
            for event, original in zip(request.events, found, strict=True):
                if original is None:
                    raise InvalidEvent.single(
                        "events", "mixes ids that are already stored with new ones; a retry must repeat its batch"
                    )
                if original != hash(event.content(request.stream)):
                    raise InvalidEvent.single("id", f"{event.id} is already stored with other content")
            return False
        actual = self.versions[request.stream]
        check_expected(request.stream, request.expected_version, actual)
        self.versions[request.stream] = (-1 if actual is None else actual) + len(request.events)
        for event in request.events:
            self.seen[event.id] = hash(event.content(request.stream))
        return True


def _content(envelope: Any) -> tuple[str, ...]:
    dump = lambda v: orjson.dumps(v, option=orjson.OPT_SORT_KEYS).decode()  # noqa: E731
    return (envelope.stream, envelope.type, envelope.occurred, dump(envelope.data), dump(envelope.sources), dump(envelope.metadata))


def plan_import(source: IO[bytes], store: EventStore, progress: Progress | None = None) -> ImportPlan:
    """Read and check all of `source`; raise ImportRejected naming the bad lines."""
    plan = ImportPlan()
    simulation = _Simulation(store)
    chunk: list[tuple[int, PreparedRequest]] = []
    consumed = 0

    def flush() -> None:
        fresh = simulation.check_chunk(chunk, plan)
        if fresh and not plan.bad_lines:
            # Slicing turns the named tuples into plain ones, which orjson writes as arrays.
            plan.spool.write(orjson.dumps([(r.stream, r.expected_version, [e[:] for e in r.events]) for _, r in fresh]))
            plan.spool.write(b"\n")
            plan.new_requests += len(fresh)
            plan.new_events += sum(len(r.events) for _, r in fresh)
        chunk.clear()

    for number, raw in enumerate(source, start=1):
        plan.lines = number
        consumed += len(raw)
        if not raw.strip():
            continue
        try:
            request = parse_line(raw)
        except InvalidEvent as exc:
            plan.bad_lines += 1
            if len(plan.errors) < MAX_REPORTED:
                plan.errors.append(LineError(number, str(exc)))
            continue
        plan.events += len(request.events)
        chunk.append((number, request))
        if len(chunk) >= _CHUNK:
            flush()
            if progress is not None:
                progress(consumed)
    flush()
    if progress is not None:
        progress(consumed)
    if plan.bad_lines:
        plan.spool.close()
        raise ImportRejected(plan.errors, plan.bad_lines)
    plan.spool.seek(0)
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
        store.append_batch(batch, recorded_by=recorded_by)
        written += pending
        batch.clear()
        pending = 0
        if progress is not None:
            progress(written)

    with plan.spool:
        for requests in _spooled(plan.spool):
            for request in requests:
                batch.append(request)
                pending += len(request.events)
                if pending >= batch_events:
                    flush()
        if batch:
            flush()
    return written


def _spooled(spool: IO[bytes]) -> Iterator[list[PreparedRequest]]:
    for line in spool:
        yield [
            PreparedRequest(stream, expected, [PreparedEvent(*event) for event in events])
            for stream, expected, events in orjson.loads(line)
        ]


def export_ndjson(store: EventStore, out: IO[bytes], *, after: int = 0, limit: int | None = None) -> int:
    """Write envelopes in position order as NDJSON; return how many."""
    count = 0
    for line in store.read_all_json(after=after, limit=limit):
        out.write(line)
        out.write(b"\n")
        count += 1
    return count
