"""Bulk work without Python's cycle collector running on its own.

An import or a rebuild keeps many thousands of containers alive and
allocates millions more; every allocation threshold crossed makes the
collector walk the surviving ones again, which costs as much as the work
itself. Most of what these paths build forms no reference cycles (tuples,
dicts and strings freed by reference counting), but some libraries' objects
do (Whoosh's writers): batched work collects those between batches, which
walks only what was allocated since the last collection.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def no_cycle_collection() -> Iterator[Callable[[], None]]:
    """Pause the cycle collector for the block; yield the call that frees the cycles made since the
    pause or its last call (objects stay in the youngest generation while the collector is paused)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield lambda: gc.collect(0)
    finally:
        if enabled:
            gc.enable()
