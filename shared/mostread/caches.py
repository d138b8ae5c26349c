"""Everything a warm container remembers between invocations, registered in one place.

A Lambda container keeps module state between invocations: the day's salt, the open slots' counters, the
catalog the ranking run last read, the cards of the lists a read container serves. Tests, benchmarks and the
local stack start "a fresh container" with one call to ``reset()`` instead of each knowing the private names.
"""

from __future__ import annotations

from collections.abc import Callable

_clears: list[Callable[[], None]] = []


def remembered(clear: Callable[[], None]) -> Callable[[], None]:
    """Register what forgets one per-container cache; returns it, so it can sit beside the cache it clears."""
    _clears.append(clear)
    return clear


def reset() -> None:
    """Forget every per-container cache, as a new container would start."""
    for clear in _clears:
        clear()
