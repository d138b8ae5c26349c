"""Browser fixtures: `mostread dev --no-demo` on DynamoDB Local, Debian's Chromium driven by Playwright, and the
demo catalog loaded through the API with Zipf-shaped views, so the demo page's widgets show a real list.

Without Debian's chromium the suite is skipped, loudly; with MOSTREAD_REQUIRE_BROWSER=1 (CI) that is a failure.
Playwright never downloads a browser here: it drives /usr/bin/chromium (or `chromium` on PATH).

Every browser context looks like a desktop Chrome reader (crawlerdetect counts "HeadlessChrome" as a bot) with its
own X-Forwarded-For address (`mostread dev` trusts one proxy hop), so each context is a distinct visitor.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from mostread_dev.demo_site import demo_articles
from mostread_dev.traffic import demo_catalog
from playwright.sync_api import Browser, BrowserContext, Playwright, Route, expect, sync_playwright

from tests.browser.support import (
    BROWSER_MISSING,
    CHROMIUM_ARGS,
    LATE_ARTICLES,
    STACK_STARTS_AT,
    Reader,
    Seeded,
    find_chromium,
    missing_browser,
    send_zipf_views,
    zipf_popularity,
)
from tests.e2e.support import CHROME, Api, DevServer, running_dev_server

expect.set_options(timeout=10_000)
_addresses = itertools.count(1)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("MOSTREAD_REQUIRE_BROWSER") == "1":
            pytest.fail(f"!!! {BROWSER_MISSING} — and MOSTREAD_REQUIRE_BROWSER=1 !!!", pytrace=False)
        missing_browser.append(BROWSER_MISSING)
        pytest.skip(f"!!! {BROWSER_MISSING} !!!")
    return path


@pytest.fixture(scope="session")
def dev_server(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    options = ("--start-at", STACK_STARTS_AT.isoformat(), "--ingest-grace", "10")
    with running_dev_server(
        tmp_path_factory.mktemp("browser-dev"), "mostread dev for the browser tests", *options
    ) as server:
        yield server


def stack_now(server: DevServer) -> datetime:
    """The session stack's clock: it started at STACK_STARTS_AT when the process started."""
    return STACK_STARTS_AT + timedelta(seconds=time.time() - server.started_at)


@pytest.fixture(scope="session")
def base_url(dev_server: DevServer) -> str:
    return dev_server.base_url


@pytest.fixture(scope="session")
def api(base_url: str) -> Api:
    return Api(base_url)


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch(playwright, chromium_path)
        try:
            yield launched
        finally:
            launched.close()


def launch(playwright: Playwright, executable: str) -> Browser:
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def seeded(api: Api, base_url: str, dev_server: DevServer) -> Seeded:
    """The demo catalog, as `mostread dev --demo` loads it but on this server's pages, with Zipf-shaped views, but
    for a few of the least popular articles (not 지역, not the lead, not one a test opens), held back to enter the
    lists later (`support.stir`)."""
    entries = demo_catalog(base_url, stack_now(dev_server))
    for entry in entries:
        response = api.put_article(entry.article_id, entry.body)
        assert response.status_code == 200, response.text
    lead_id = next(iter(demo_articles()))
    sections = {entry.article_id: entry.body["section"] for entry in entries}
    popularity = zipf_popularity(list(sections))
    late = [
        article_id
        for article_id in reversed(popularity)
        if sections[article_id] != "local" and article_id not in (lead_id, "news-1017")
    ][:LATE_ARTICLES]
    send_zipf_views(api, [article_id for article_id in popularity if article_id not in late])
    api.rank()
    return Seeded(lead_id, {entry.article_id: entry.body for entry in entries}, late)


@pytest.fixture
def new_reader(browser: Browser, seeded: Seeded) -> Iterator[Callable[..., Reader]]:
    """Makes readers: each a new browser context with its own address; all closed after the test."""
    contexts: list[BrowserContext] = []

    def make(width: int = 1280, height: int = 900) -> Reader:
        number = next(_addresses)
        address = f"198.18.{number // 250}.{number % 250 + 1}"
        context = browser.new_context(
            user_agent=CHROME,
            extra_http_headers={"x-forwarded-for": address},
            viewport={"width": width, "height": height},
            locale="ko-KR",
            timezone_id="Asia/Seoul",
        )
        contexts.append(context)
        reader = Reader(context, context.new_page(), address)

        def observe_beacon(route: Route) -> None:
            if route.request.method == "POST":
                # A beacon ("ping" request) shows its body only while it is routed.
                reader.beacons.append(json.loads(route.request.post_data or "null"))
            route.continue_()

        context.route(lambda url: urlsplit(url).path == "/v1/views", observe_beacon)
        page = reader.page
        page.on("request", lambda request: reader.requests.append(request))
        page.on("requestfailed", lambda request: reader.failed.append(f"{request.url} {request.failure}"))
        page.on("response", lambda r: r.status >= 400 and reader.bad_responses.append(f"{r.status} {r.url}"))
        page.on("console", lambda message: message.type == "error" and reader.console_errors.append(message.text))
        page.on("pageerror", lambda error: reader.page_errors.append(str(error)))
        return reader

    yield make
    for context in contexts:
        context.close()
