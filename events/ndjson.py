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

import hashlib
import io
import multiprocessing
import os
import tempfile
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

import orjson

from events.amendments import AMENDMENT_TYPES, AmendmentCheck
from events.chain import chained_row
from events.collector import no_cycle_collection
from events.envelope import GENESIS_HASH, ExpectedVersion, Head
from events.errors import EventStoreError, InvalidEvent, VersionConflict
from events.prepare import (
    IMPORT_VERSION_DEFAULT,
    PreparedEvent,
    PreparedRequest,
    canonical,
    prepare_envelope,
    prepare_request_json,
    prepare_request_text,
)
from events.store.base import EventStore
from events.store.sql import check_expected, utc_now

REQUEST_KEYS = frozenset({"stream", "expected_version", "events"})
ENVELOPE_KEYS = frozenset(
    {"id", "position", "stream", "version", "type", "occurred", "recorded_at", "recorded_by",
     "data", "sources", "metadata", "prev_hash", "hash"}
)
_BLOCK = 2**20  # bytes of input (in whole lines) parsed per task, and checked together against the log
MAX_REPORTED = 100
HELD_BYTES = 32 * 2**20  # serialised requests kept in memory for writing; the rest is spooled to disk
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
    held: list[bytes] = field(default_factory=list)
    held_bytes: int = 0
    spool: IO[bytes] = field(default_factory=lambda: tempfile.TemporaryFile(prefix="accord-import-"))
    errors: list[LineError] = field(default_factory=list)
    bad_lines: int = 0
    line_numbers: array[int] = field(default_factory=lambda: array("L"))  # of each kept request
    # Where each kept request's JSON lies within its chunk, so that one can be read without the rest.
    starts: array[int] = field(default_factory=lambda: array("L"))
    ends: array[int] = field(default_factory=lambda: array("L"))
    chunk_firsts: array[int] = field(default_factory=lambda: array("L"))  # index of each chunk's first kept request
    spooled_at: list[int] = field(default_factory=list)  # where each spooled chunk starts in the spool
    amending: array[int] = field(default_factory=lambda: array("L"))  # kept requests holding a correction or retraction
    targets: set[str] = field(default_factory=set)  # ids that kept corrections and retractions amend
    head: Head = field(default_factory=lambda: Head(0, GENESIS_HASH))  # the log's head when planning began
    versions: dict[str, int | None] = field(default_factory=dict)  # the streams' versions as planning found them

    def keep(self, requests: bytes, starts: array[int], ends: array[int]) -> None:
        """Keep checked requests, serialised as a JSON array whose items lie at `starts`/`ends`,
        for writing: in memory while they fit the budget, then on disk."""
        self.chunk_firsts.append(len(self.starts))
        self.starts.extend(starts)
        self.ends.extend(ends)
        if self.held_bytes + len(requests) <= HELD_BYTES and self.spool.tell() == 0:
            self.held.append(requests)
            self.held_bytes += len(requests)
        else:
            self.spooled_at.append(self.spool.tell())
            self.spool.write(requests)
            self.spool.write(b"\n")

    def request(self, index: int) -> list[Any]:
        """The kept request at `index` (in input order) as the JSON array it was kept as."""
        chunk = bisect_right(self.chunk_firsts, index) - 1
        start, end = self.starts[index], self.ends[index]
        if chunk < len(self.held):
            return orjson.loads(self.held[chunk][start:end])  # type: ignore[no-any-return]
        self.spool.seek(self.spooled_at[chunk - len(self.held)] + start)
        return orjson.loads(self.spool.read(end - start))  # type: ignore[no-any-return]

    def chunks(self, *, release: bool = True) -> Iterator[list[Any]]:
        """The kept requests in input order, as the JSON arrays they were kept as (a PreparedRequest's
        fields, in order); with `release`, each held chunk is let go once read."""
        for requests in self.held:
            yield orjson.loads(requests)
        if release:
            self.held = []
        self.spool.seek(0)
        for line in self.spool:
            yield orjson.loads(line)

    @property
    def already_stored(self) -> int:
        return self.events - self.new_events

    def reject(self, error: LineError) -> None:
        self.bad_lines += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(error)


def parse_line(raw: bytes) -> PreparedRequest:
    """One NDJSON line, an append request or an exported envelope; raise InvalidEvent.

    An append request may leave `expected_version` out: see IMPORT_VERSION_DEFAULT.
    """
    if b'"events"' in raw:  # only a guess that this is an append request, tried first because it is fast
        request = prepare_request_text(raw, derive_ids=True)
        if request is not None:
            return request
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
        return prepare_request_json({"expected_version": IMPORT_VERSION_DEFAULT, **value}, derive_ids=True)
    if "version" in value and "type" in value:
        unknown = set(value) - ENVELOPE_KEYS
        if unknown:
            raise InvalidEvent.single(sorted(unknown)[0], "is not a field of an event envelope")
        return prepare_envelope(value)
    raise InvalidEvent.single(
        "", 'neither an append request {"stream", "expected_version", "events"} nor an event envelope'
    )


# What checking a valid line against the log needs:
# (line number, stream, expected_version, [(event id, digest of its content), ...]).
Checked = tuple[int, str, ExpectedVersion, list[tuple[str, bytes]]]


class _ParsedChunk(NamedTuple):
    """A run of lines parsed and validated, as it comes back from a worker process.

    The prepared requests, nearly all of the bytes, travel as one JSON array
    that is held or spooled as it is: cheap to send between processes, and
    unpacked only to be written (or, rarely, to leave out lines already stored).
    """

    lines: list[Checked]  # the valid lines
    requests: bytes  # their prepared requests, in the same order, as one JSON array
    starts: array[int]  # where each request's JSON starts in `requests`
    ends: array[int]  # and where it ends
    amending: list[int]  # the indexes of the requests that hold a correction or retraction
    errors: list[LineError]
    targets: list[str]  # the ids their corrections and retractions amend


DIGEST_BYTES = 32


def _digest(content: tuple[str, ...]) -> bytes:
    """What must be identical for a re-append of an id to count as a retry, in a few bytes.

    The parts are joined with a control character that their canonical forms
    never hold unescaped.
    """
    return hashlib.sha256("\x1f".join(content).encode()).digest()


def _line_of(digest: bytes) -> int:
    """The input line an id was first met on, which a digest from the input carries after the hash."""
    return int.from_bytes(digest[DIGEST_BYTES:], "little")


def _parse_block(block: tuple[int, bytes]) -> _ParsedChunk:
    """Parse and validate a block of whole lines, given with the number of its first line.

    Picklable, so worker processes can share the work; a block is one bytes
    object, which costs next to nothing to send.
    """
    first, lines = block
    checked: list[Checked] = []
    requests: list[bytes] = []
    amending: list[int] = []
    errors: list[LineError] = []
    targets: list[str] = []
    for number, raw in enumerate(io.BytesIO(lines), start=first):  # split as iterating the file would
        if not raw.strip():
            continue
        try:
            request = parse_line(raw)
        except InvalidEvent as exc:
            errors.append(LineError(number, str(exc)))
            continue
        except Exception as exc:  # whatever a line makes fail is that line's problem, named like the others
            errors.append(LineError(number, f"could not be checked ({type(exc).__name__}: {exc})"))
            continue
        stream, expected, events = request
        line = number.to_bytes(8, "little")
        checked.append((number, stream, expected, [(e.id, _digest(e.content(stream)) + line) for e in events]))
        # Slicing turns the named tuples into plain ones, which orjson writes as arrays.
        requests.append(orjson.dumps((stream, expected, [e[:] for e in events])))
        amended = [orjson.loads(e.data)["target"] for e in events if e.type in AMENDMENT_TYPES]
        if amended:
            amending.append(len(checked) - 1)
            targets.extend(amended)
    return _ParsedChunk(checked, *_json_array(requests), amending, errors, targets)


def _json_array(items: list[bytes]) -> tuple[bytes, array[int], array[int]]:
    """Serialised items as one JSON array, with where each of them starts and ends in it."""
    starts, ends = array("L"), array("L")
    offset = 1
    for item in items:
        starts.append(offset)
        offset += len(item)
        ends.append(offset)
        offset += 1
    return b"[" + b",".join(items) + b"]", starts, ends


class _Simulation:
    """The log's versions and ids as they will be once the lines read so far are applied."""

    def __init__(self, store: EventStore, *, empty: bool) -> None:
        self.store = store
        # The log was empty when planning began: nothing in it to look up. Should another
        # writer append meanwhile, writing notices and checks every line again.
        self.empty = empty
        self.versions: dict[str, int | None] = {}
        self.found: dict[str, int | None] = {}  # the versions as first read from the log
        self.seen: dict[str, bytes] = {}  # id -> digest of its content and its line, for ids new in this input

    def check(self, lines: list[Checked], plan: ImportPlan) -> list[int]:
        """Check a chunk's valid lines in order against the log; return the indexes of those that will write."""
        every = [i for _, _, _, events in lines for i, _ in events]
        ids = [i for i in every if i not in self.seen]
        found = self.store.find_ids(ids) if ids and not self.empty else {}
        stored = {i: _digest(_content(env)) for i, env in found.items()}
        # Nearly always every id is new (not stored, not met before, not twice here), and only versions need checking.
        repeats = bool(stored) or len(ids) < len(every) or len(set(ids)) < len(ids)
        unknown = list({stream for _, stream, _, _ in lines if stream not in self.versions})
        if unknown:
            known = self.store.stream_versions(unknown) if not self.empty else {}
            versions = {s: known.get(s) for s in unknown}
            self.found.update(versions)
            self.versions.update(versions)
        fresh = []
        seen, versions = self.seen, self.versions
        for index, line in enumerate(lines):
            _, stream, expected, events = line
            try:
                if repeats and any(i in seen or i in stored for i, _ in events):
                    self._check_retry(line, stored)
                    continue
                actual = versions[stream]
                check_expected(stream, expected, actual)
                versions[stream] = (-1 if actual is None else actual) + len(events)
                seen.update(events)
                fresh.append(index)
            except (InvalidEvent, VersionConflict) as exc:
                plan.reject(LineError(line[0], str(exc)))
        return fresh

    def _check_retry(self, line: Checked, stored: dict[str, bytes]) -> None:
        """A line with ids already stored, or met earlier in the input: fine only as a repeat of their batch."""
        events = line[3]
        for event_id, digest in events:
            original = stored.get(event_id, self.seen.get(event_id))
            if original is None:
                raise InvalidEvent.single(
                    "events", "mixes ids that are already stored with new ones; a retry must repeat its batch"
                )
            if original[:DIGEST_BYTES] != digest[:DIGEST_BYTES]:
                raise InvalidEvent.single("id", f"{event_id} is already stored with other content")


def _content(envelope: Any) -> tuple[str, ...]:
    return (
        envelope.stream, envelope.type, envelope.occurred,
        canonical(envelope.data), canonical(envelope.sources), canonical(envelope.metadata),
    )


def _blocks(source: IO[bytes], counter: list[int]) -> Iterator[tuple[int, bytes]]:
    """The input in blocks of whole lines, each with the number of its first line; `counter` keeps (lines, bytes) read."""
    while block := source.read(_BLOCK):
        if not block.endswith(b"\n"):
            block += source.readline()
        first = counter[0] + 1
        counter[0] += block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
        counter[1] += len(block)
        yield first, block


@contextmanager
def _parsed(source: IO[bytes], counter: list[int], workers: int) -> Iterator[Iterator[_ParsedChunk]]:
    """The input's blocks parsed and validated, in order: by `workers` processes, or in this one."""
    blocks = _blocks(source, counter)
    if workers <= 1:
        yield map(_parse_block, blocks)
        return
    pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        yield pool.imap(_parse_block, blocks)
    finally:
        pool.terminate()


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
    plan = ImportPlan(head=store.head())
    simulation = _Simulation(store, empty=plan.head.position == 0)
    plan.versions = simulation.found
    counter = [0, 0]  # lines read, bytes read
    # The collector is paused before the workers fork, so that they run without it too.
    with no_cycle_collection(), _parsed(source, counter, workers) as chunks:
        for chunk in chunks:
            for error in chunk.errors:
                plan.reject(error)
            plan.events += sum(len(line[3]) for line in chunk.lines)
            fresh = simulation.check(chunk.lines, plan)
            if fresh and not plan.bad_lines:
                first = len(plan.starts)
                plan.keep(*_only(chunk, fresh))
                if chunk.amending:
                    amending = set(chunk.amending)
                    plan.amending.extend(first + k for k, i in enumerate(fresh) if i in amending)
                plan.line_numbers.extend(chunk.lines[i][0] for i in fresh)
                plan.targets.update(chunk.targets)
                plan.new_requests += len(fresh)
                plan.new_events += sum(len(chunk.lines[i][3]) for i in fresh)
            if progress is not None:
                progress(counter[1])
    plan.lines = counter[0]
    if plan.targets and not plan.bad_lines:
        _check_amendments(plan, store, simulation.seen)
    if plan.bad_lines:
        plan.spool.close()
        raise ImportRejected(plan.errors, plan.bad_lines)
    return plan


def _check_amendments(plan: ImportPlan, store: EventStore, seen: dict[str, bytes]) -> None:
    """Check every kept correction and retraction against its target, in input order, before a byte is written.

    A target may be in the log or on any earlier line. Only the kept requests that
    hold a correction or a retraction, or a fact one of them targets, are read again,
    each from where it lies in its chunk.
    """
    check = AmendmentCheck(plan.targets, store.amendable)
    needed = set(plan.amending)
    for target in plan.targets:
        digest = seen.get(target)
        if digest is not None:  # met in this input: on the kept request of the line it came on
            needed.add(bisect_left(plan.line_numbers, _line_of(digest)))
    for index in sorted(needed):
        stream, expected, events = plan.request(index)
        try:
            check.check(_prepared_request(stream, expected, events))
        except InvalidEvent as exc:
            plan.reject(LineError(plan.line_numbers[index], str(exc)))


def _only(chunk: _ParsedChunk, indexes: list[int]) -> tuple[bytes, array[int], array[int]]:
    """Of a chunk's serialised requests, those at `indexes`: all of them unless some are already stored."""
    if len(indexes) == len(chunk.lines):
        return chunk.requests, chunk.starts, chunk.ends
    return _json_array([chunk.requests[chunk.starts[i] : chunk.ends[i]] for i in indexes])


def write_import(
    plan: ImportPlan, store: EventStore, *, recorded_by: str, batch_events: int = 5000, progress: Progress | None = None
) -> int:
    """Write a checked plan in transactions of about `batch_events` events; return events written.

    While the log stands as the plan found it, the plan's own numbering holds:
    rows are numbered and chained here and inserted as they are. Should another
    writer append meanwhile, the rest is appended the careful way, checked
    again against the log as it is then.
    """
    report: Progress = progress or (lambda written: None)
    with plan.spool, store.bulk(), no_cycle_collection():
        written = _write_chained(plan, store, recorded_by, batch_events, report)
        if written < plan.new_events:
            written += _write_careful(plan, store, recorded_by, batch_events, report, skip=written)
    return written


def _write_chained(plan: ImportPlan, store: EventStore, recorded_by: str, batch_events: int, progress: Progress) -> int:
    """Write the plan's rows numbered and chained from the head and versions it was checked against;
    stop at the first batch the log has moved on from. Return events written."""
    now = utc_now()
    position, prev_hash = plan.head.position, plan.head.hash
    versions = dict(plan.versions)
    written = 0
    rows: list[tuple[Any, ...]] = []
    for requests in plan.chunks(release=False):  # the careful way may have to read them again
        for stream, _, events in requests:
            version = versions[stream]
            version = -1 if version is None else version
            for event in events:
                position += 1
                version += 1
                rows.append(chained_row(position, stream, version, event, now, recorded_by, prev_hash))
                prev_hash = rows[-1][-1]
            versions[stream] = version
            if len(rows) >= batch_events:
                if not store.append_chained(rows, recorded_at=now):
                    return written
                written += len(rows)
                progress(written)
                rows = []
    if rows and store.append_chained(rows, recorded_at=now):
        written += len(rows)
        progress(written)
    return written


def _write_careful(
    plan: ImportPlan, store: EventStore, recorded_by: str, batch_events: int, progress: Progress, *, skip: int
) -> int:
    """Append the plan's requests after the first `skip` events as any append is made; return events written."""
    written = 0
    batch: list[PreparedRequest] = []
    pending = 0

    def flush() -> None:
        nonlocal written, pending
        written += sum(len(r.positions) for r in store.append_batch(batch, recorded_by=recorded_by) if not r.retried)
        batch.clear()
        pending = 0
        progress(skip + written)

    unwritten = skip  # batches are whole requests, so this comes down to 0 exactly
    for requests in plan.chunks():
        for stream, expected, events in requests:
            if unwritten:
                unwritten -= len(events)
                continue
            batch.append(_prepared_request(stream, expected, events))
            pending += len(events)
            if pending >= batch_events:
                flush()
    if batch:
        flush()
    return written


_new = tuple.__new__  # builds a named tuple from a plain one without a Python-level call


def _prepared_request(stream: str, expected: ExpectedVersion, events: list[Any]) -> PreparedRequest:
    return PreparedRequest(stream, expected, [_new(PreparedEvent, event) for event in events])


def export_ndjson(store: EventStore, out: IO[bytes], *, after: int = 0, limit: int | None = None) -> int:
    """Write envelopes in position order as NDJSON; return how many."""
    count = 0
    for line in store.read_all_json(after=after, limit=limit):
        out.write(line)
        out.write(b"\n")
        count += 1
    return count
