"""The thread that signs checkpoints while the server runs: the head, when the log moved, at most every `checkpoint_seconds`.

Every process of every node runs one; `CheckpointLog.sign_head` makes them
take turns in the database, so the archive as a whole signs at most once
per period, whichever process comes first.
"""

from __future__ import annotations

import logging
import threading

from events.notes import SigningKey
from events.store.checkpoints import CheckpointLog

log = logging.getLogger("accord.signer")
LOOK_SECONDS = 1.0
"""How often the thread looks whether a checkpoint is due (two small reads), at most."""


class Signer:
    def __init__(self, checkpoints: CheckpointLog, key: SigningKey, every: float) -> None:
        self.checkpoints = checkpoints
        self.key = key
        self.every = every
        self.last_error: str | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="accord-signer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        look = min(self.every, LOOK_SECONDS)
        while True:
            try:
                self.checkpoints.sign_head(self.key, every=self.every)
                self.last_error = None
            except Exception as exc:  # keep serving; try again at the next look
                if str(exc) != self.last_error:
                    log.exception("signing a checkpoint failed; trying again every %s s", look)
                self.last_error = str(exc)
            if self._stopping.wait(look):
                return
