"""What the browser tests share: finding Debian's Chromium, seeding the API, and one reader = one browser context.

Imported as ``tests.browser.support`` by conftest.py and the tests alike.
"""

from __future__ import annotations

import itertools
import random
import shutil
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mostread_dev.timefmt import KST
from mostread_dev.traffic import engaged_share
from playwright.sync_api import BrowserContext, Page, Request

from tests.e2e.support import Api

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BROWSER_MISSING = "BROWSER TESTS SKIPPED: Debian chromium not installed (apt-get install chromium)"
missing_browser: list[str] = []  # BROWSER_MISSING once skipped: tests/conftest.py's terminal summary shouts it
# Views of the seeded catalog: the most read article gets TOP_VIEWS, the n-th about TOP_VIEWS / n ** ZIPF_EXPONENT.
TOP_VIEWS = 80
ZIPF_EXPONENT = 1.1
ZIPF_SEED = 20261223  # shuffles the sorted ids into an order with four 지역 articles in the top ten: busy lists
BATCH = 25  # the API's largest batch
LATE_ARTICLES = 3  # demo articles held back from the first views, to enter the lists later (NEW)


def week_ending_soon() -> datetime:
    """75 s before the latest Monday 00:00 in Seoul: the session's stack (``mostread dev --start-at``) crosses the end
    of a week a minute after it starts, so that the demo page's 지난주 많이 본 뉴스 has a list to show; its views are
    seeded before that midnight. The week is a past one, so the catalog's times stay in the stack's past."""
    now = datetime.now(KST)
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return monday - timedelta(seconds=75)


STACK_STARTS_AT = week_ending_soon()


_visitors = itertools.count()  # distinct readers for every view sent after the Zipf-shaped ones


def find_chromium() -> str | None:
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@dataclass(frozen=True)
class Seeded:
    """The demo catalog as loaded into the API (dates moved to now, URLs on the test server's pages)."""

    lead_id: str
    """The article `/` shows."""
    articles: dict[str, dict[str, Any]]
    """Article id -> its PUT body."""
    late: list[str] = field(default_factory=list)
    """Catalogued articles nobody has read yet; `stir` lets them enter the lists, one per call."""


def zipf_popularity(article_ids: list[str], seed: int = ZIPF_SEED) -> list[str]:
    """The ids, most popular first: a seeded shuffle of the sorted ids (independent of the catalog's order)."""
    popularity = sorted(article_ids)
    random.Random(seed).shuffle(popularity)
    return popularity


def send_zipf_views(api: Api, popularity: list[str]) -> None:
    """Distinct readers, so that the n-th article of ``popularity`` has about TOP_VIEWS / n ** ZIPF_EXPONENT views."""
    send_views(
        api,
        {article_id: max(1, round(TOP_VIEWS / rank**ZIPF_EXPONENT)) for rank, article_id in enumerate(popularity, 1)},
    )


def send_views(api: Api, wanted: dict[str, int]) -> None:
    """``wanted[article_id]`` more counted views of each article, from new readers (one address each, never seen
    before): reader k reads, in batches, every article that more than k readers want. Each reader then stays with
    some of them (the tracker's engaged report), each article with its own share of readers (the demo's)."""
    for reader in range(max(wanted.values(), default=0)):
        number = next(_visitors)
        address = f"10.{20 + number // 62500}.{number // 250 % 250}.{number % 250 + 1}"
        read = [article_id for article_id, count in wanted.items() if count > reader]
        for start in range(0, len(read), BATCH):
            views = [{"article_id": article_id, "event_id": f"seed-{number}-{article_id}"} for article_id in read]
            chunk = views[start : start + BATCH]
            response = api.view({"views": chunk}, visitor=address, content_type="text/plain")
            assert response.status_code == 202, response.text
            assert response.json()["accepted"] == len(chunk), response.text
            stayed = [
                {**view, "engaged": True}
                for view in chunk
                if zlib.crc32(view["event_id"].encode()) % 1000 < 1000 * engaged_share(view["article_id"])
            ]
            if stayed:
                response = api.view({"views": stayed}, visitor=address, content_type="text/plain")
                assert response.json()["accepted"] == len(stayed), response.text


def stir(api: Api, seeded: Seeded, breaking: str | None = None) -> None:
    """Views that reorder the lists, then a ranking run, so that the widgets have ▲, ▼ and NEW to show: the 7th of
    the 24 h most-read list climbs to 3rd or higher, and a held-back article (while one is left) enters at 5th or
    higher; the articles they pass move down. With ``breaking`` (the newest article), that one surges to one view
    short of the most read, as the demo's breaking story does: second in views, first in the trending list."""
    items = api.rankings(window="24h", limit="10")["items"]
    assert len(items) == 10, items
    views = {item["article_id"]: item["views"] for item in items}
    climber = items[6]
    wanted = {climber["article_id"]: items[2]["views"] - climber["views"] + 1}
    if seeded.late:
        wanted[seeded.late.pop(0)] = items[4]["views"] + 1
    if breaking is not None and breaking != items[0]["article_id"]:
        missing = items[0]["views"] - 1 - views.get(breaking, api.views_of(breaking)["24h"])
        if missing > 0:
            wanted[breaking] = missing
    send_views(api, wanted)
    api.rank()


@dataclass
class Reader:
    """One browser context = one reader (own address, desktop Chrome UA), its page, and what the page did."""

    context: BrowserContext
    page: Page
    address: str
    beacons: list[dict[str, Any]] = field(default_factory=list)
    """Bodies of the page's POST /v1/views requests, in order (seen through a pass-through route)."""
    requests: list[Request] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
