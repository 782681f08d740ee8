"""The projection runner on both backends: rebuild equals catch-up, version resets, concurrent runners, crash and resume.

The log is the generated benchmark corpus (`bench.generate`), imported the way
`accord import` imports it, so corrections and retractions target facts that
lie in earlier batches as well as in the same one. `SqlProjection.digest()`
hashes every row of the projection's tables: equal digests, equal state.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, inspect, select

from bench.generate import generate
from events.envelope import EventEnvelope
from events.ndjson import plan_import, write_import
from events.store import SqlEventStore, open_store
from projections import Checkpoint, FactsProjection, Runner
from projections.facts import AMENDMENT_TYPES
from projections.runner import REBUILD_BATCH_SIZE, ProjectionVersionChanged
from projections.tables import fact_amendments, fact_revisions

REPO = Path(__file__).resolve().parents[2]
SMALL_BATCH = 97  # prime, so batch ends fall anywhere in the streams


# -- helpers ------------------------------------------------------------------


def import_requests(store: SqlEventStore, requests: Iterable[dict[str, Any]]) -> int:
    """Import append requests as `accord import` does (NDJSON, checked, then written); return events written."""
    source = io.BytesIO(b"".join(orjson.dumps(request) + b"\n" for request in requests))
    return write_import(plan_import(source, store), store, recorded_by="test-import")


def generated_chunks(n_events: int, *, seed: int, chunks: int) -> Iterator[list[dict[str, Any]]]:
    """The generated requests for `n_events` events (one each), in `chunks` runs of about equal size."""
    requests = generate(n_events, seed=seed)
    size = -(-n_events // chunks)
    while chunk := list(islice(requests, size)):
        yield chunk


def facts_runner(store: SqlEventStore, *, batch_size: int = SMALL_BATCH) -> tuple[FactsProjection, Runner]:
    """A facts projection on `store` and a started runner for it."""
    facts = FactsProjection(store.engine)
    runner = Runner(store, [facts], batch_size=batch_size)
    runner.start()
    return facts, runner


def count(store: SqlEventStore, query: Any) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(query).scalar_one() or 0)


def folded_prefix(store: SqlEventStore) -> tuple[int, int]:
    """(last position in the facts tables, events they account for).

    Every event leaves exactly one row keyed by its own position: revision 0
    of a fact, or an amendment. A whole prefix 1..P therefore shows as (P, P).
    """
    last = max(
        count(store, select(func.max(fact_revisions.c.position))),
        count(store, select(func.max(fact_amendments.c.position))),
    )
    rows = count(store, select(func.count()).select_from(fact_revisions).where(fact_revisions.c.revision == 0))
    rows += count(store, select(func.count()).select_from(fact_amendments))
    return last, rows


DEFERRED_INDEXES = {index.name for table in FactsProjection.tables for index in table.indexes}
"""The secondary indexes a bulk rebuild drops while it fills the tables."""


def index_names(store: SqlEventStore) -> set[str]:
    inspector = inspect(store.engine)
    return {index["name"] for table in FactsProjection.tables for index in inspector.get_indexes(table.name)}


def log(store: SqlEventStore) -> list[EventEnvelope]:
    return list(store.read_all())


# -- 1. rebuild equals incremental catch-up ----------------------------------


def test_rebuild_equals_incremental_catch_up_in_small_batches(store: SqlEventStore) -> None:
    facts, runner = facts_runner(store)
    empty = facts.digest()
    batch_ends: list[int] = []
    digests = [empty]
    for chunk in generated_chunks(3_000, seed=11, chunks=4):
        import_requests(store, chunk)
        head = store.head().position
        runner.catch_up(progress=lambda position, _head: batch_ends.append(position))
        assert facts.checkpoint() == Checkpoint(FactsProjection.version, head)
        digests.append(facts.digest())
    assert len(set(digests)) == len(digests), "every chunk changes the state"

    # The corpus exercises both amendment paths: a target folded in an earlier
    # batch (read back from the tables) and one in the same batch (in memory).
    events = log(store)
    position_of = {e.id: e.position for e in events}
    batch_of = {p: sum(1 for end in batch_ends if end < p) for p in position_of.values()}
    amendments = [e for e in events if e.type in AMENDMENT_TYPES]
    crossing = [a for a in amendments if batch_of[position_of[a.data["target"]]] < batch_of[a.position]]
    assert {a.type for a in crossing} == AMENDMENT_TYPES
    assert len(crossing) < len(amendments), "some amendments share a batch with their target"
    assert count(store, select(func.count()).select_from(fact_revisions).where(fact_revisions.c.revision > 0)) > 0

    incremental = digests[-1]
    assert runner.rebuild() == len(events)
    assert facts.checkpoint() == Checkpoint(FactsProjection.version, len(events))
    assert facts.digest() == incremental
    assert incremental != empty


# -- 2. a changed version resets, an unchanged one does not -----------------


class FactsNextVersion(FactsProjection):
    """The same fold, shipped as the next version of the projection."""

    version = FactsProjection.version + 1


def test_start_resets_a_projection_whose_version_changed_and_keeps_one_that_did_not(store: SqlEventStore) -> None:
    head = import_requests(store, generate(500, seed=3))
    facts, runner = facts_runner(store)
    runner.catch_up()
    caught_up = facts.digest()

    same = FactsProjection(store.engine)
    same_runner = Runner(store, [same])
    assert same_runner.start() == []
    assert same.checkpoint() == Checkpoint(FactsProjection.version, head)
    assert same.digest() == caught_up

    upgraded = FactsNextVersion(store.engine)
    upgraded_runner = Runner(store, [upgraded])
    assert upgraded_runner.start() == ["facts"]
    assert upgraded.checkpoint() == Checkpoint(FactsNextVersion.version, 0)
    assert count(store, select(func.count()).select_from(fact_revisions)) == 0
    assert upgraded_runner.start() == [], "once reset, the new version is the stored one"

    # A runner still on the old code must stop rather than fold into the new state.
    with pytest.raises(ProjectionVersionChanged):
        runner.catch_up()

    assert upgraded_runner.catch_up() == head
    assert upgraded.checkpoint() == Checkpoint(FactsNextVersion.version, head)
    assert upgraded.digest() == caught_up


def test_start_resets_a_projection_that_never_ran(store: SqlEventStore) -> None:
    import_requests(store, generate(50, seed=3))
    facts = FactsProjection(store.engine)
    assert facts.checkpoint() is None
    assert Runner(store, [facts]).start() == ["facts"]
    assert facts.checkpoint() == Checkpoint(FactsProjection.version, 0)


# -- 3. two runners at once --------------------------------------------------


class RacingFacts(FactsProjection):
    """Facts that record what they fold; the first fold waits until the rival runner is applying too.

    So both runners are inside `apply` for the same first batch at once, and
    the one that takes the lock second must find that batch already folded.
    """

    def __init__(self, engine: Any, arrived: threading.Event, rival_arrived: threading.Event) -> None:
        super().__init__(engine)
        self.arrived = arrived
        self.rival_arrived = rival_arrived
        self.folded: list[int] = []

    def apply(self, events: Sequence[EventEnvelope], after: int) -> int:
        self.arrived.set()
        return super().apply(events, after)

    def fold(self, connection: Any, events: Sequence[EventEnvelope]) -> None:
        assert self.rival_arrived.wait(timeout=60), "the rival runner never reached apply"
        self.folded.extend(e.position for e in events)
        super().fold(connection, events)


def test_two_runners_catching_up_at_once_fold_each_event_exactly_once(store_url: str, store: SqlEventStore) -> None:
    head = import_requests(store, generate(3_000, seed=5))
    FactsProjection(store.engine).reset()  # both start from position 0 of one stored state
    arrived = [threading.Event(), threading.Event()]
    stores = [open_store(store_url) for _ in range(2)]
    try:
        projections = [RacingFacts(stores[i].engine, arrived[i], arrived[1 - i]) for i in range(2)]
        runners = [Runner(stores[i], [projections[i]], batch_size=50) for i in range(2)]
        start = threading.Barrier(2)

        def catch_up(runner: Runner) -> int:
            start.wait(timeout=60)
            return runner.catch_up()

        with ThreadPoolExecutor(max_workers=2) as pool:
            reads = list(pool.map(catch_up, runners))
    finally:
        for opened in stores:
            opened.close()

    first, second = (sorted(p.folded) for p in projections)
    assert sorted(first + second) == list(range(1, head + 1)), "every event folded once, none twice"
    assert sum(reads) > head, "both runners read the first batch; one of them found it folded"
    together = FactsProjection(store.engine)
    assert together.checkpoint() == Checkpoint(FactsProjection.version, head)
    assert Runner(store, [together]).positions() == {"facts": head}
    concurrent = together.digest()

    alone, runner = facts_runner(store)
    runner.rebuild()
    assert alone.digest() == concurrent


# -- 4. killed mid-rebuild, resumed ------------------------------------------


def accord_rebuild(url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    """`accord rebuild projections` in a child process, configured only through its environment."""
    env = {**os.environ, "ACCORD_DATABASE_URL": url, "ACCORD_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "service", "rebuild", "projections"],
        env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def wait_for_checkpoint_between(facts: FactsProjection, head: int, child: subprocess.Popen[bytes], timeout: float) -> int:
    """Poll the stored checkpoint until it is strictly between 0 and `head`; return it (or what it was last)."""
    deadline = time.monotonic() + timeout
    position = 0
    while child.poll() is None and time.monotonic() < deadline:
        stored = facts.checkpoint()
        position = stored.position if stored else 0
        if 0 < position < head:
            break
        time.sleep(0.01)
    return position


@pytest.mark.slow
def test_a_rebuild_killed_midway_leaves_whole_batches_and_catch_up_resumes(store_url: str, tmp_path: Path) -> None:
    n_events = 40_000
    store = open_store(store_url)
    try:
        head = import_requests(store, generate(n_events, seed=7))
        watcher = FactsProjection(store.engine)  # creates the checkpoints table the poll reads

        child = accord_rebuild(store_url, tmp_path)
        try:
            seen = wait_for_checkpoint_between(watcher, head, child, timeout=240)
        finally:
            child.send_signal(signal.SIGKILL)
            _, stderr = child.communicate()
        assert 0 < seen < head and child.returncode == -signal.SIGKILL, (
            f"the rebuild must be killed mid-way, but it reached {seen} of {head} and exited with {child.returncode} "
            f"(if it finished, enlarge the corpus): {stderr.decode()}"
        )

        # What the killed rebuild committed is the state of a whole prefix of batches.
        killed_at = watcher.checkpoint()
        assert killed_at is not None and killed_at.version == FactsProjection.version
        assert 0 < killed_at.position < head
        assert killed_at.position % REBUILD_BATCH_SIZE == 0
        assert folded_prefix(store) == (killed_at.position, killed_at.position)

        assert not index_names(store) & DEFERRED_INDEXES, "the rebuild died before indexing its tables"

        facts = FactsProjection(store.engine)
        runner = Runner(store, [facts])
        assert runner.start() == [], "a checkpoint at this version is resumed, not reset"
        assert DEFERRED_INDEXES <= index_names(store), "starting puts back what the killed rebuild deferred"
        assert runner.catch_up() == head - killed_at.position
        assert facts.checkpoint() == Checkpoint(FactsProjection.version, head)
        assert folded_prefix(store) == (head, head)
        resumed = facts.digest()

        assert runner.rebuild() == head
        assert facts.digest() == resumed
        assert DEFERRED_INDEXES <= index_names(store)
    finally:
        store.close()


# -- 5. progress and counts --------------------------------------------------


def test_catch_up_reports_each_batch_and_returns_the_events_read(store: SqlEventStore) -> None:
    requests = list(generate(260, seed=2))
    head = import_requests(store, requests[:250])
    facts, runner = facts_runner(store, batch_size=100)
    reports: list[tuple[int, int]] = []
    assert runner.catch_up(progress=lambda position, head: reports.append((position, head))) == head
    assert reports == [(100, head), (200, head), (head, head)]
    assert facts.checkpoint() == Checkpoint(FactsProjection.version, head)

    reports.clear()
    assert runner.catch_up(progress=lambda position, head: reports.append((position, head))) == 0
    assert reports == []

    more = import_requests(store, requests[250:])
    assert runner.catch_up(progress=lambda position, head: reports.append((position, head))) == more
    assert reports == [(head + more, head + more)]


def test_progress_follows_a_head_that_grows_during_catch_up(store: SqlEventStore) -> None:
    requests = list(generate(300, seed=4))
    import_requests(store, requests[:200])
    _, runner = facts_runner(store, batch_size=100)
    reports: list[tuple[int, int]] = []

    def progress(position: int, head: int) -> None:
        reports.append((position, head))
        if len(reports) == 1:
            import_requests(store, requests[200:])  # appended while the runner is between batches

    assert runner.catch_up(progress=progress) == 300
    assert reports == [(100, 200), (200, 200), (300, 300)]


def test_catch_up_on_an_empty_log_reads_nothing(store: SqlEventStore) -> None:
    facts, runner = facts_runner(store)
    reports: list[tuple[int, int]] = []
    assert runner.catch_up(progress=lambda position, head: reports.append((position, head))) == 0
    assert runner.rebuild(progress=lambda position, head: reports.append((position, head))) == 0
    assert reports == []
    assert facts.checkpoint() == Checkpoint(FactsProjection.version, 0)
    assert runner.positions() == {"facts": 0}


def test_a_reset_behind_a_runners_back_makes_it_start_over_instead_of_skipping(store: SqlEventStore) -> None:
    requests = generate(500, seed=1)
    import_requests(store, islice(requests, 300))
    projection = FactsProjection(store.engine)
    runner = Runner(store, [projection], batch_size=100)
    runner.start()
    runner.catch_up()
    import_requests(store, requests)

    resets: list[int] = []

    def reset_at_400(position: int, head: int) -> None:
        if position == 400 and not resets:
            resets.append(position)
            FactsProjection(store.engine).reset()

    runner.catch_up(progress=reset_at_400)
    assert resets == [400]
    folded = projection.digest()
    assert projection.checkpoint() == Checkpoint(FactsProjection.version, store.head().position)
    runner.rebuild()
    assert projection.digest() == folded
