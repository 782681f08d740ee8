"""Bulk work without Python's cycle collector.

An import or a rebuild keeps many thousands of containers alive and
allocates millions more; every allocation threshold crossed makes the
collector walk the surviving ones again, which costs as much as the work
itself. What these paths build forms no reference cycles (tuples, dicts and
strings freed by reference counting), so there is nothing for the collector
to find until the work is over.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector for the block; restore it as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
