"""The Whoosh index on disk: one writer at a time, readers that follow its commits.

Whoosh allows one writer per index directory, enforced by a lock file that
also holds between processes (two `accord serve` nodes must not share a data
directory, but a `accord rebuild search` beside a running server may). A
writer here waits for that lock instead of failing, and every change commits
together with the projection's checkpoint, stored in the index itself as a
document of kind `state`: a crash leaves the index at some whole prefix of the
log. Readers are per thread and reopen when a newer commit exists. Commits
never merge segments; too many are merged in the background by concatenation
(`search_index.merging`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import orjson
from whoosh import index as whoosh_index
from whoosh.index import TOC, EmptyIndexError, FileIndex
from whoosh.multiproc import MpWriter
from whoosh.searching import Searcher
from whoosh.writing import NO_MERGE, SegmentWriter

from projections.runner import Checkpoint
from search_index import whoosh_fixes  # noqa: F401 - patches Whoosh before any segment is written
from search_index.arrays import doc_arrays
from search_index.codec import ArrayCodec
from search_index.documents import schema
from search_index.merging import MAX_SEGMENTS, Choice, concatenating, everything, smallest
from search_index.storage import MappedStorage

T = TypeVar("T")
INDEX_NAME = "MAIN"
LOCK_TIMEOUT = 120.0
"""Seconds a writer waits for another (a rebuild's batch, another process's catch-up) to commit."""
STATE_KEY = "state"
BULK_MB = 1024
MERGE_MB = 128
"""Whoosh's estimate of the postings a merge of segments in Whoosh's own format keeps in memory.

The estimate counts the postings' bytes, while Python holds each as a tuple
of objects: real memory is about ten times it (with 1024 MB a merge held 12.5
GB over a 1,000,000-event log). Segments of array blocks merge by concatenation
(`search_index.merging`) and keep nothing of the kind.
"""
READ_ATTEMPTS = 20
BULK_PROCS = int(os.environ.get("ACCORD_INDEX_PROCS", "2"))
CODEC = ArrayCodec()

__all__ = ["IndexBusy", "SearchIndex"]
log = logging.getLogger("accord.search")


class IndexBusy(RuntimeError):
    """Another writer held the index longer than LOCK_TIMEOUT."""


class SearchIndex:
    """The index directory at `path`, created on first use."""

    background_merges = True
    """Whether commits that leave twice MAX_SEGMENTS segments or more start a merge in the background."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.storage = MappedStorage(str(self.path))
        self._local = threading.local()
        self._latest: FileIndex | None = None
        self._merging: threading.Thread | None = None
        if not whoosh_index.exists_in(str(self.path), INDEX_NAME):
            with self._locked():
                if not whoosh_index.exists_in(str(self.path), INDEX_NAME):
                    TOC.create(self.storage, schema(), INDEX_NAME)

    def _index(self) -> FileIndex:
        return _retrying(lambda: FileIndex(self.storage, indexname=INDEX_NAME))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self.storage.lock(f"{INDEX_NAME}_WRITELOCK")
        if not _acquire(lock, LOCK_TIMEOUT):
            raise IndexBusy(f"another writer held the search index at {self.path} for {LOCK_TIMEOUT:.0f} s")
        try:
            yield
        finally:
            lock.release()

    @contextmanager
    def writer(self, *, bulk: bool = False) -> Iterator[SegmentWriter]:
        """A writer under the index's lock, committed on success and cancelled on error.

        In `bulk` (a rebuild's batches) the postings of a whole batch stay in memory
        (Whoosh's default spills them to disk and reads them back past ~128 MB of
        estimated size) and segments are not merged until `merge()`: merging at
        every commit re-encodes the earlier batches again and again.
        """
        with self._locked():
            if bulk and BULK_PROCS > 1:
                writer: SegmentWriter = MpWriter(self._index(), procs=BULK_PROCS, batchsize=500, multisegment=True,
                                                 _lk=False, codec=CODEC, subargs={"limitmb": BULK_MB // BULK_PROCS, "codec": CODEC})
            else:
                writer = SegmentWriter(self._index(), _lk=False, limitmb=BULK_MB if bulk else 128, codec=CODEC)
            try:
                yield writer
            except BaseException:
                writer.cancel()
                raise
            if not writer.is_closed:  # the caller may cancel a batch that found nothing to do
                # Never merged as it commits (Whoosh's merge replays postings in Python under the lock):
                # segments are concatenated in the background once there are too many.
                writer.commit(mergetype=NO_MERGE)
                if not bulk and self.background_merges and len(writer.segments) >= 2 * MAX_SEGMENTS:
                    self.merge_in_background()

    def merge(self, choose: Choice = everything) -> int:
        """Concatenate the segments `choose` picks (all of them, by default) into one, under the
        writer lock; return how many were merged."""
        with self._locked():
            writer = SegmentWriter(self._index(), _lk=False, limitmb=MERGE_MB, codec=CODEC)
            chosen = len(choose(list(writer.segments)))
            if not chosen:
                writer.cancel()
                return 0
            writer.commit(mergetype=concatenating(choose))
        return chosen

    def merge_in_background(self) -> None:
        """Merge the smallest segments in a thread until MAX_SEGMENTS are left; one such merge at a
        time per process. Commits add small segments, so these merges are short; `python -m
        search_index merge` merges from another process."""
        if self._merging is not None and self._merging.is_alive():
            return

        def merge() -> None:
            try:
                self.merge(smallest)
            except Exception:  # the next commit tries again; searches never depend on it
                log.exception("background merge of the search index at %s failed", self.path)

        self._merging = threading.Thread(target=merge, name="accord-search-merge", daemon=True)
        self._merging.start()

    def segments(self) -> int:
        """How many segments the newest commit has."""
        return len(self._index()._segments())

    def reset(self, version: int) -> None:
        """Drop every document (and the schema, which a new version may change) and start at position 0."""
        with self._locked():
            TOC.create(self.storage, schema(), INDEX_NAME)
            writer = SegmentWriter(self._index(), _lk=False, codec=CODEC)
            save_state(writer, Checkpoint(version, 0))
            writer.commit()
        self._local.__dict__.clear()

    def searcher(self) -> Searcher:
        """This thread's searcher, opened anew when the index has a newer commit.

        Never `Searcher.refresh()`: Whoosh's reader reuse keeps a segment's old
        deletions and even segments merged away since, so a refreshed searcher
        can show deleted or duplicated documents.
        """
        # Telling the newest generation lists the directory; opening an index reads its table
        # of contents (and schema) besides, which cost more than many a search.
        if self._latest is None:
            self._latest = self._index()
        current = getattr(self._local, "searcher", None)
        if current is not None and current.reader().generation() != self._latest.latest_generation():
            current.close()
            current = None
        if current is None:
            current = self._local.searcher = _retrying(lambda: self._index().searcher())
        return current

    def warm(self) -> None:
        """Read what searches need of each new segment now (its documents' briefs as arrays)."""
        doc_arrays(self.searcher())

    def checkpoint(self) -> Checkpoint | None:
        return read_state(self.searcher())

    def close(self) -> None:
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
        self._local.__dict__.clear()


def read_state(searcher: Searcher) -> Checkpoint | None:
    stored = searcher.document(key=STATE_KEY)
    if stored is None:
        return None
    state: dict[str, Any] = orjson.loads(stored["record"])
    return Checkpoint(state["version"], state["position"])


def save_state(writer: SegmentWriter, checkpoint: Checkpoint) -> None:
    record = orjson.dumps({"version": checkpoint.version, "position": checkpoint.position}).decode()
    writer.update_document(key=STATE_KEY, kind="state", record=record)


def _retrying(open_: Callable[[], T]) -> T:
    """`open_()`, again if a writer replaced the table of contents it was reading.

    Opening reads the newest table of contents, which a writer's commit may delete (it keeps only
    its own) between listing and reading it, and a reset replaces all of them.
    """
    for attempt in range(READ_ATTEMPTS):
        try:
            return open_()
        except (FileNotFoundError, EmptyIndexError):
            if attempt == READ_ATTEMPTS - 1:
                raise
            time.sleep(0.01)
    raise AssertionError("unreachable")


def _acquire(lock: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not lock.acquire(blocking=False):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
