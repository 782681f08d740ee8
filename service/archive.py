"""Opening the archive a command or the server works on: the log and the projections folded from it."""

from __future__ import annotations

from events.store import SqlEventStore, open_store
from projections import FactsProjection, Runner
from search_index import SearchIndex, SearchProjection
from search_index.postings import set_cache_size
from service.migrations import VERSIONS
from service.settings import Settings


def open_archive(settings: Settings) -> SqlEventStore:
    """The log named by `settings`, with every accord table migrated to the newest schema."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return open_store(settings.url, extra_migrations=(str(VERSIONS),))


def open_search_index(settings: Settings) -> SearchIndex:
    """The search index of this node: every node keeps its own, in its data directory."""
    set_cache_size(settings.search_cache_mb)
    return SearchIndex(settings.data_dir / "index")


def open_runner(store: SqlEventStore, search: SearchIndex) -> Runner:
    """The runner of every projection accord keeps, the search index included, each reset first if
    its version changed."""
    runner = Runner(store, [FactsProjection(store.engine), SearchProjection(search)])
    runner.start()
    return runner
