"""The index as a projection: rebuild equals catch-up, one writer at a time, readers follow commits."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import search_index.index as index_module
from bench.generate import generate
from events.store import SqlEventStore
from projections import Checkpoint, Runner
from search_index import IndexBusy, SearchIndex, SearchProjection
from tests.builders import statement
from tests.projections.test_runner import generated_chunks, import_requests
from tests.search.conftest import Searchable

REPO = Path(__file__).resolve().parents[2]


def rebuilt_digest(store: SqlEventStore, path: Path) -> str:
    projection = SearchProjection(SearchIndex(path))
    Runner(store, [projection]).rebuild()
    return projection.digest()


def test_rebuild_equals_incremental_catch_up_in_small_batches(store: SqlEventStore, tmp_path: Path) -> None:
    projection = SearchProjection(SearchIndex(tmp_path / "index"))
    runner = Runner(store, [projection], batch_size=97)
    runner.start()
    digests = [projection.digest()]
    for chunk in generated_chunks(3_000, seed=11, chunks=4):
        import_requests(store, chunk)
        runner.catch_up()
        assert projection.checkpoint() == Checkpoint(SearchProjection.version, store.head().position)
        digests.append(projection.digest())
    assert len(set(digests)) == len(digests), "every chunk changes the index"
    assert projection.index.searcher().doc_count() > 3_000
    assert runner.rebuild() == store.head().position
    assert projection.digest() == digests[-1]
    assert rebuilt_digest(store, tmp_path / "other") == digests[-1]


def test_a_rebuild_and_catch_ups_overlapping_on_one_directory_leave_the_same_index(store: SqlEventStore, tmp_path: Path) -> None:
    import_requests(store, generate(2_000, seed=3))
    path = tmp_path / "index"
    rebuilding = SearchProjection(SearchIndex(path))
    following = SearchProjection(SearchIndex(path))
    Runner(store, [following]).start()
    done = threading.Event()

    def rebuild() -> int:
        try:
            return Runner(store, [rebuilding], batch_size=200).rebuild()
        finally:
            done.set()

    def catch_up() -> int:
        runs = 0
        while not done.is_set():
            Runner(store, [following], batch_size=150).catch_up()
            runs += 1
        return runs

    with ThreadPoolExecutor(max_workers=2) as pool:
        rebuilt, catching = pool.submit(rebuild), pool.submit(catch_up)
        assert rebuilt.result(timeout=300) > 0 and catching.result(timeout=300) > 0
    Runner(store, [following]).catch_up()
    assert following.checkpoint() == Checkpoint(SearchProjection.version, store.head().position)
    assert following.digest() == rebuilt_digest(store, tmp_path / "alone")


def test_two_processes_rebuilding_one_data_directory_both_finish_and_agree(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "ACCORD_DATA_DIR": str(data)}
    env.pop("ACCORD_DATABASE_URL", None)
    from service.archive import open_archive
    from service.settings import Settings

    store = open_archive(Settings(data_dir=data))
    import_requests(store, generate(1_500, seed=4))
    children = [
        subprocess.Popen([sys.executable, "-m", "service", "rebuild", "search"], env=env, cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for child in children:
        out, errors = child.communicate(timeout=300)
        assert child.returncode == 0, errors.decode()
        assert b"rebuilt search from 1,500 events" in out
    shared = SearchProjection(SearchIndex(data / "index"))
    assert shared.checkpoint() == Checkpoint(SearchProjection.version, 1_500)
    assert shared.digest() == rebuilt_digest(store, tmp_path / "alone")
    store.close()


def test_a_reader_sees_what_commits_after_it_opened(searchable: Searchable) -> None:
    searchable.append("person-boris-grinev", statement("the first quote", speaker="anonymous", speaker_description="x"))
    assert searchable.search("quote").total == 1
    searchable.append("person-boris-grinev", statement("the second quote", speaker="anonymous", speaker_description="x"))
    assert searchable.search("quote").total == 2


def test_start_rebuilds_an_index_stored_by_another_version(searchable: Searchable) -> None:
    searchable.append("person-boris-grinev", statement("a quote", speaker="anonymous", speaker_description="x"))

    class NextVersion(SearchProjection):
        version = SearchProjection.version + 1

    following = NextVersion(searchable.index)
    runner = Runner(searchable.store, [following])
    assert runner.start() == ["search"]
    assert following.checkpoint() == Checkpoint(NextVersion.version, 0)
    runner.catch_up()
    assert searchable.search("quote").total == 1
    assert Runner(searchable.store, [following]).start() == []


def test_a_writer_waits_for_the_lock_then_gives_up_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = SearchIndex(tmp_path / "index")
    monkeypatch.setattr(index_module, "LOCK_TIMEOUT", 0.2)
    held = index.storage.lock(f"{index_module.INDEX_NAME}_WRITELOCK")
    assert held.acquire(blocking=False)
    try:
        with pytest.raises(IndexBusy, match="another writer held the search index"):
            index.reset(SearchProjection.version)
    finally:
        held.release()
    index.reset(SearchProjection.version)
    assert index.checkpoint() == Checkpoint(SearchProjection.version, 0)
