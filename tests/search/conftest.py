"""A searchable archive: the log on each backend, the search index beside it, caught up after every append."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from events.envelope import AppendResult
from events.ndjson import plan_import, write_import
from events.store import SqlEventStore, open_store
from projections import Runner
from search_index import SearchIndex, SearchProjection, SearchRequest, SearchResults, search
from tests.builders import prepared
from tests.conftest import BACKENDS, fresh_postgres_schema


class Searchable:
    def __init__(self, store: SqlEventStore, path: Path) -> None:
        self.store = store
        self.index = SearchIndex(path)
        self.projection = SearchProjection(self.index)
        self.runner = Runner(store, [self.projection])
        self.runner.start()

    def append(self, stream: str, *raw: dict[str, Any]) -> AppendResult:
        result = self.store.append(stream, prepared(stream, *raw), "any", recorded_by="test-archivist")
        self.runner.catch_up()
        return result

    def search(self, q: str = "", **options: Any) -> SearchResults:
        return search(self.index, SearchRequest(q=q, **options))

    def hits(self, q: str = "", **options: Any) -> list[dict[str, Any]]:
        return [hit.to_json() for hit in self.search(q, **options).hits]

    def close(self) -> None:
        self.index.close()
        self.store.close()


@pytest.fixture
def searchable(store: SqlEventStore, tmp_path: Path) -> Iterator[Searchable]:
    archive = Searchable(store, tmp_path / "index")
    yield archive
    archive.index.close()


def load_seed(store: SqlEventStore) -> None:
    corpus = resources.files("service").joinpath("seed/corpus.ndjson").read_bytes()
    write_import(plan_import(io.BytesIO(corpus), store), store, recorded_by="seed")


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Searchable]:
    """The seed corpus, indexed once per module and backend; tests must not append to it."""
    folder = tmp_path_factory.mktemp("seeded")
    with ExitStack() as stack:
        url = f"sqlite:///{folder}/accord.db" if request.param == "sqlite" else stack.enter_context(fresh_postgres_schema())
        archive = Searchable(open_store(url), folder / "index")
        stack.callback(archive.close)
        load_seed(archive.store)
        archive.runner.catch_up()
        yield archive
