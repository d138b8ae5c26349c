"""What the browser tests share: finding Debian's Chromium, seeding the API, and one reader = one browser context.

Imported as ``tests.browser.support`` by conftest.py and the tests alike.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
# Views of the seeded catalog: the most read article gets TOP_VIEWS, the n-th about TOP_VIEWS / n ** ZIPF_EXPONENT.
TOP_VIEWS = 80
ZIPF_EXPONENT = 1.1
ZIPF_SEED = 20261157  # a popularity order that puts 지역 articles in the top ten, so both lists look busy
BATCH = 25  # the API's largest batch


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


def send_zipf_views(api: Api, article_ids: list[str], seed: int = ZIPF_SEED) -> None:
    """Distinct readers (one address each), so that the n-th most popular article (a seeded shuffle) has about
    TOP_VIEWS / n ** ZIPF_EXPONENT views: reader k reads every article that more than k readers want."""
    popularity = list(article_ids)
    random.Random(seed).shuffle(popularity)
    wanted = {
        article_id: max(1, round(TOP_VIEWS / rank**ZIPF_EXPONENT)) for rank, article_id in enumerate(popularity, 1)
    }
    for reader in range(TOP_VIEWS):
        read = [article_id for article_id in popularity if wanted[article_id] > reader]
        for start in range(0, len(read), BATCH):
            chunk = read[start : start + BATCH]
            response = api.view(
                {"views": [{"article_id": article_id} for article_id in chunk]},
                visitor=f"10.20.{reader // 250}.{reader % 250 + 1}",
                content_type="text/plain",
            )
            assert response.status_code == 202, response.text
            assert response.json()["accepted"] == len(chunk), response.text


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
