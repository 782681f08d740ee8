"""What one running server holds: the log, the search index, the projection runner and its follower thread, the bell, metrics."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from events.notes import SigningKey
from events.store import SqlEventStore
from events.store.checkpoints import CheckpointLog
from projections import Runner
from search_index import SearchIndex
from service.api.committer import Committer
from service.api.follower import Bell, Follower
from service.api.metrics import Metrics
from service.api.signer import Signer
from service.archive import open_archive, open_runner, open_search_index
from service.keys import NO_KEY, load_key
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
    searches: ThreadPoolExecutor
    """Searches run one at a time per process, in a thread of their own. Several at once in the
    request threads only shared one interpreter lock: each ran longer, and waited for the lock
    again whenever NumPy let go of it (8 clients, two workers: 4.7 ms of server CPU a search and
    a p95 of 41 to 47 ms, against 4.3 ms and 35 ms one at a time)."""
    checkpoints: CheckpointLog
    key: SigningKey | None
    """What checkpoints are signed with; None on a node without a key, which signs nothing."""
    signer: Signer | None

    @classmethod
    def open(cls, settings: Settings, metrics: Metrics, bell: Bell) -> Archive:
        """Open the log (migrating it), this node's search index, and the runner of every projection."""
        key = load_key(settings)  # a key named but unusable stops the server before it serves
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
        searches = ThreadPoolExecutor(max_workers=1, thread_name_prefix="accord-search")
        checkpoints = CheckpointLog(store)
        signer = Signer(checkpoints, key, settings.checkpoint_seconds) if key is not None else None
        return cls(settings, store, index, runner, follower, bell, metrics, Committer(store), searches, checkpoints, key, signer)

    def start(self) -> None:
        self.follower.start()
        if self.signer is not None:
            self.signer.start()

    def appended(self, count: int) -> None:
        """Events were appended through this process: count them, fold them now, wake the live streams."""
        self.metrics.appended.inc(count)
        self.follower.wake()
        self.bell.ring()

    def positions(self) -> tuple[int, dict[str, int]]:
        """The log's head and each projection's checkpoint."""
        return self.store.head().position, self.runner.positions()

    def proof_of(self, position: int) -> dict[str, Any]:
        """What a fact's page says of its proof: the newest checkpoint, which holds it, or why there is none yet."""
        if self.key is None:
            return {"state": "no_key", "reason": NO_KEY}
        newest = self.checkpoints.newest()
        if newest is None or newest.size < position:
            return {"state": "pending", "seconds": f"{self.settings.checkpoint_seconds:g}"}
        return {"state": "signed", "size": newest.size, "signed_at": newest.signed_at, "key": str(self.key.verifier)}

    def close(self) -> None:
        if self.signer is not None:
            self.signer.stop()
        self.committer.close()
        self.searches.shutdown(wait=True)
        self.follower.stop()
        self.index.close()
        self.store.close()
