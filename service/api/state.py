"""What one running server holds: the log, the search index, the projection runner and its follower thread, the bell, metrics."""

from __future__ import annotations

from dataclasses import dataclass

from events.store import SqlEventStore
from projections import Runner
from search_index import SearchIndex
from service.api.committer import Committer
from service.api.follower import Bell, Follower
from service.api.metrics import Metrics
from service.archive import open_archive, open_runner, open_search_index
from service.settings import Settings


@dataclass
class Archive:
    settings: Settings
    store: SqlEventStore
    index: SearchIndex
    runner: Runner
    follower: Follower
    bell: Bell
    metrics: Metrics
    committer: Committer

    @classmethod
    def open(cls, settings: Settings, metrics: Metrics, bell: Bell) -> Archive:
        """Open the log (migrating it), this node's search index, and the runner of every projection."""
        store = open_archive(settings)
        try:
            index = open_search_index(settings)
            runner = open_runner(store, index)
        except BaseException:
            store.close()
            raise
        follower = Follower(
            store, runner, bell, poll_seconds=settings.poll_seconds, warm=index.warm,
            turn_file=settings.data_dir / "catch-up.lock",
        )
        return cls(settings, store, index, runner, follower, bell, metrics, Committer(store))

    def appended(self, count: int) -> None:
        """Events were appended through this process: count them, fold them now, wake the live streams."""
        self.metrics.appended.inc(count)
        self.follower.wake()
        self.bell.ring()

    def positions(self) -> tuple[int, dict[str, int]]:
        """The log's head and each projection's checkpoint."""
        return self.store.head().position, self.runner.positions()

    def close(self) -> None:
        self.committer.close()
        self.follower.stop()
        self.index.close()
        self.store.close()
