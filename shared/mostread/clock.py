"""The one place that reads the wall clock, so tests can inject time."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]


# seconds added to the wall clock: 0 in AWS; `mostread dev --start-at` sets it, so the whole local stack (receive
# times, ranking runs, calendar periods) runs from another instant at normal speed
_offset = [0.0]


def system_clock() -> float:
    return time.time() + _offset[0]


def start_clock_at(instant: float, started: float) -> None:
    """Make ``system_clock`` read ``instant`` at the wall-clock time ``started`` (the local stack only)."""
    _offset[0] = instant - started
