"""``mostread dev --demo``: the demo catalog loaded through the API, then synthetic readers, for ever.

Everything goes through real HTTP, as a CMS and article pages would send it. The catalog file's dates are
moved so that its newest article was published a few minutes ago (the spacing is kept), and its URLs point
to the local article pages, so the demo looks fresh whenever it runs.

The readers follow a storyline (``traffic.Storyline``): the newest story, a threatened bus strike, takes off
and climbs to the top of the "HOT ISSUE" (trending) list within minutes, while a cold-weather story read steadily
since the day before keeps the most views and leads "많이 본 뉴스"; the other articles' shares drift, so most
ranking runs move a few places (the widgets' ▲ / ▼ / NEW markers).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from mostread_dev.api_client import ApiClient
from mostread_dev.catalog_file import CatalogEntry, read_catalog_file
from mostread_dev.demo_site import CATALOG_FILE
from mostread_dev.timefmt import KST, iso_kst
from mostread_dev.traffic import Storyline, SyntheticReaders, TrafficTally, new_seed, run_traffic

log = logging.getLogger("mostread_dev.demo")

BURST_REQUESTS = 200
BURST_RATE = 100.0
STEADY_RATE = 3.0
NEWEST_ARTICLE_AGE = timedelta(minutes=7)
BREAKING_ARTICLE = "news-1014"  # 광주 시내버스 … 파업: the newest story, taking off
EVERGREEN_ARTICLE = "news-1013"  # 첫 한파특보 …: a day old, read the most, steadily
STORYLINE = Storyline(evergreen=EVERGREEN_ARTICLE, breaking=BREAKING_ARTICLE)


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


def demo_readers(
    entries: list[CatalogEntry],
    seed: int,
    storyline: Storyline | None = STORYLINE,
    clock: Callable[[], float] = time.monotonic,
) -> SyntheticReaders:
    """The demo's readers; the storyline is dropped if its articles are not in the catalog (a replaced catalog)."""
    article_ids = [entry.article_id for entry in entries]
    if storyline is not None and not {storyline.evergreen, storyline.breaking} <= set(article_ids):
        log.warning("demo: the catalog lacks the storyline's articles; popularity stays fixed")
        storyline = None
    return SyntheticReaders(article_ids, seed=seed, storyline=storyline, clock=clock)


class DemoTraffic:
    def __init__(
        self,
        base_url: str,
        run_ranking: Callable[[], object],
        *,
        seed: int | None = None,
        rate: float = STEADY_RATE,
        storyline: Storyline | None = STORYLINE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base_url = base_url
        self._run_ranking = run_ranking
        # A new seed each start: on a shared DynamoDB the previous run's event ids would all be duplicates.
        self._seed = new_seed() if seed is None else seed
        self._rate = rate
        self._storyline = storyline
        self._clock = clock
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
            readers = demo_readers(entries, self._seed, self._storyline, self._clock)
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
