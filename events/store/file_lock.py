"""An exclusive lock between processes, on a file beside the data: the kernel's `flock`, which hands
the lock to the next waiter as soon as it is let go. Where there is no `flock` (Windows) it locks
nothing, and processes that share the data go without a queue of their own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:
    fcntl = None  # type: ignore[assignment]


class FileLock:
    """Held by one process at a time. Not a queue between threads: callers in one process take turns first."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        if fcntl is None:
            yield
            return
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own: locks follow open files
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            self._pid = os.getpid()
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
