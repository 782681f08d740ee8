"""What one running server holds: the log, the projection runner and its follower thread, the bell, metrics."""

from __future__ import annotations

from dataclasses import dataclass

from events.store import SqlEventStore
from projections import Runner
from service.api.follower import Bell, Follower
from service.api.metrics import Metrics
from service.archive import open_archive, open_runner
from service.settings import Settings


@dataclass
class Archive:
    settings: Settings
    store: SqlEventStore
    runner: Runner
    follower: Follower
    bell: Bell
    metrics: Metrics

    @classmethod
    def open(cls, settings: Settings, metrics: Metrics, bell: Bell) -> Archive:
        """Open the log (migrating it) and the runner of every projection `open_runner` names."""
        store = open_archive(settings)
        try:
            runner = open_runner(store)
        except BaseException:
            store.close()
            raise
        follower = Follower(store, runner, bell, poll_seconds=settings.poll_seconds)
        return cls(settings, store, runner, follower, bell, metrics)

    def appended(self, count: int) -> None:
        """Events were appended through this process: count them, fold them now, wake the live streams."""
        self.metrics.appended.inc(count)
        self.follower.wake()
        self.bell.ring()

    def positions(self) -> tuple[int, dict[str, int]]:
        """The log's head and each projection's checkpoint."""
        return self.store.head().position, self.runner.positions()

    def close(self) -> None:
        self.follower.stop()
        self.store.close()
