"""Everything a warm container remembers between invocations, registered in one place.

A Lambda container keeps module state between invocations: the day's salt, the open slots' counters, the
catalog the ranking run last read, the cards of the lists a read container serves. Tests, benchmarks and the
local stack start "a fresh container" with one call to ``reset()`` instead of each knowing the private names.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_clears: list[Callable[[], None]] = []


def remembered(clear: Callable[[], None]) -> Callable[[], None]:
    """Register what forgets one per-container cache; returns it, so it can sit beside the cache it clears."""
    _clears.append(clear)
    return clear


def reset() -> None:
    """Forget every per-container cache, as a new container would start, and hand what the handlers' imports kept
    out of the cycle collector's reach (``kept_for_the_container``) back to it."""
    for clear in _clears:
        clear()
    gc.unfreeze()


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """For building per-container state on a cold start (the DynamoDB client's models, the crawler patterns):
    hundreds of thousands of new objects, none in a reference cycle, for which the cycle collector would otherwise
    scan every object the handler's imports made again and again (BENCHMARKS.md, section 1). Their memory is freed
    by reference counting as usual; collection resumes as it was."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@contextmanager
def kept_for_the_container() -> Iterator[None]:
    """For a handler's imports: the modules, classes and functions they make live as long as the container. The
    cycle collector is paused while they are made, then they are moved out of its reach (``gc.freeze``), so
    neither the cold start nor any later collection scans them: tens of thousands of objects, and tens of
    milliseconds of every cold start (BENCHMARKS.md, section 1, the collector's time). Objects made afterwards are
    collected as usual."""
    with cycle_collection_paused():
        yield
        gc.freeze()
