"""The template's ``Schedule`` events: every scheduled function runs on a timer, one run at a time."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from mostread_dev.apigw import LOCAL_ACCOUNT_ID
from mostread_dev.streams import StreamPump
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


class ScheduledRuns:
    """Deliver what the stream holds, then run every scheduled function once: what the Scheduler, the demo and
    ``POST /_local/rank`` call. One run at a time (in AWS the ranking run's lease keeps it so)."""

    def __init__(
        self, schedules: Sequence[Schedule], invoke: Callable[[str, dict[str, Any]], Any], region: str
    ) -> None:
        self._schedules = list(schedules)
        self._invoke = invoke
        self._region = region
        self._lock = threading.Lock()
        self.pump: StreamPump | None = None
        self.last_run: dict[str, Any] | None = None

    def run(self) -> dict[str, Any]:
        with self._lock:
            started = time.perf_counter()
            drained = self.pump.drain_report() if self.pump else None
            runs = []
            for schedule in self._schedules:
                run_started = time.perf_counter()
                result = self._invoke(schedule.function_id, scheduled_event(schedule, self._region, time.time()))
                runs.append({"function": schedule.function_id, "seconds": _since(run_started), "result": result})
            report: dict[str, Any] = {"drained_records": drained.delivered if drained else 0, "runs": runs}
            if drained and drained.given_up:
                report["given_up_records"] = drained.given_up
            report["seconds"] = _since(started)
            self.last_run = {"at": iso_utc(time.time()), **report}
            return report


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)
