"""``mostread dev --demo``: the demo catalog loaded through the API, then synthetic readers, for ever.

Everything goes through real HTTP, as a CMS and article pages would send it. The catalog file's dates are
moved so that its newest article was published a few minutes ago (the spacing is kept), and its URLs point
to the local article pages, so the demo looks fresh whenever it runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from mostread_dev.api_client import ApiClient
from mostread_dev.catalog_file import CatalogEntry, read_catalog_file
from mostread_dev.demo_site import CATALOG_FILE
from mostread_dev.timefmt import KST, iso_kst
from mostread_dev.traffic import SyntheticReaders, TrafficTally, new_seed, run_traffic

log = logging.getLogger("mostread_dev.demo")

BURST_REQUESTS = 200
BURST_RATE = 100.0
STEADY_RATE = 3.0
NEWEST_ARTICLE_AGE = timedelta(minutes=7)


def demo_catalog(base_url: str, now: datetime, path: Path = CATALOG_FILE) -> list[CatalogEntry]:
    """The demo catalog with its dates moved up to ``now`` and its URLs on the local site."""
    entries = read_catalog_file(path)
    published = [datetime.fromisoformat(entry.body["published_at"]) for entry in entries]
    shift = (now - NEWEST_ARTICLE_AGE) - max(published)
    shift -= timedelta(seconds=shift.total_seconds() % 60)  # whole minutes, as editors write them
    return [
        replace(
            entry,
            body={
                **entry.body,
                "published_at": iso_kst(moment + shift),
                "url": f"{base_url}/articles/{entry.article_id}",
            },
        )
        for entry, moment in zip(entries, published, strict=True)
    ]


class DemoTraffic:
    def __init__(
        self, base_url: str, run_ranking: Callable[[], object], *, seed: int | None = None, rate: float = STEADY_RATE
    ) -> None:
        self._base_url = base_url
        self._run_ranking = run_ranking
        # A new seed each start: on a shared DynamoDB the previous run's event ids would all be duplicates.
        self._seed = new_seed() if seed is None else seed
        self._rate = rate
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.tally = TrafficTally()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="demo", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            client = ApiClient(self._base_url)
            entries = demo_catalog(self._base_url, datetime.now(KST))
            self._load_catalog(client, entries)
            readers = SyntheticReaders([entry.article_id for entry in entries], seed=self._seed)
            run_traffic(
                client,
                readers,
                rate=BURST_RATE,
                duration=BURST_REQUESTS / BURST_RATE,
                stop=self._stopping,
                tally=self.tally,
            )
            if self._stopping.is_set():
                return
            self._run_ranking()  # so the lists are not empty until the first scheduled run
            log.info(
                "demo: %d articles, first readers %s (seed %d); lists are ready",
                len(entries),
                self.tally.as_dict(),
                self._seed,
            )
            while not self._stopping.is_set():
                run_traffic(client, readers, rate=self._rate, duration=60, stop=self._stopping, tally=self.tally)
        except Exception:
            if not self._stopping.is_set():
                log.exception("demo traffic stopped")

    def _load_catalog(self, client: ApiClient, entries: list[CatalogEntry]) -> None:
        failed = [
            entry.article_id for entry in entries if client.put_article(entry.article_id, entry.body).status != 200
        ]
        if failed:
            log.warning("demo: the API refused %d catalog entries: %s", len(failed), ", ".join(failed))
