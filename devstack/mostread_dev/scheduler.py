"""The template's ``Schedule`` events: every scheduled function runs on a timer, one run at a time."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from mostread_dev.apigw import LOCAL_ACCOUNT_ID
from mostread_dev.template import Schedule
from mostread_dev.timefmt import iso_utc

log = logging.getLogger("mostread.dev.scheduler")


def scheduled_event(schedule: Schedule, region: str, now: float) -> dict[str, Any]:
    """The EventBridge "Scheduled Event" a function receives from a Schedule event source."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": LOCAL_ACCOUNT_ID,
        "time": iso_utc(now, milliseconds=False),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{LOCAL_ACCOUNT_ID}:rule/mostread-local-{schedule.function_id}"],
        "detail": {},
    }


class Scheduler:
    """Calls ``run`` (which runs every scheduled function) ``first_delay`` seconds after start, then every
    ``every`` seconds. A failed run is logged and not retried: the next one comes soon enough, as in the
    template (MaximumRetryAttempts: 0)."""

    def __init__(self, run: Callable[[], object], every: float, first_delay: float = 1.0) -> None:
        self._run = run
        self._every = every
        self._first_delay = first_delay
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        delay = self._first_delay
        while not self._stopping.wait(delay):
            try:
                self._run()
            except Exception:
                if not self._stopping.is_set():
                    log.exception("scheduled run failed")
            delay = self._every
