"""The tracker's engaged report in a real (headless) Chromium on the demo article page, against `mostread dev`:
exactly one report per page view, after EngagedSeconds of visible time (Playwright's fake clock, nothing sleeps)
or on reaching the article's end (the demo marks it with data-mostread-end), and none with EngagedSeconds 0."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from mostread import assets
from mostread_dev.timefmt import KST
from playwright.sync_api import Page, Request, Route, expect

from tests.browser.support import Reader
from tests.e2e.support import Api

pytestmark = pytest.mark.browser

ARTICLE = "news-1017"  # not the lead story
BUILT_TRACKER = Path(assets.__file__).parent / "static" / "tracker.v1.js"


def is_report(request: Request) -> bool:
    return request.method == "POST" and urlsplit(request.url).path == "/v1/views"


def engaged_reports(reader: Reader) -> list[dict]:  # type: ignore[type-arg]
    return [beacon for beacon in reader.beacons if beacon.get("engaged")]


def round_trip(page: Page) -> None:
    """A later request of the page: whatever it sent before has reached the routes by then."""
    page.evaluate("() => fetch('/static/demo.css', {cache: 'no-store'}).then(r => r.status)")


def open_with_paused_clock(reader: Reader, base_url: str) -> Page:
    page = reader.page
    started = datetime.now(KST)
    page.clock.install(time=started)
    page.clock.pause_at(started + timedelta(seconds=1))
    with page.expect_request(is_report):
        page.goto(f"{base_url}/articles/{ARTICLE}")
    page.wait_for_load_state("networkidle")
    return page


def test_one_engaged_report_after_the_visible_time(new_reader: Callable[..., Reader], api: Api, base_url: str) -> None:
    reader = new_reader(height=500)
    page = open_with_paused_clock(reader, base_url)
    page.clock.run_for(13_000)
    round_trip(page)
    assert [beacon.get("engaged") for beacon in reader.beacons] == [None]  # the page view only, so far
    with page.expect_response(lambda response: is_report(response.request)) as reported:
        page.clock.run_for(3_000)  # 16 s visible: past the template's default EngagedSeconds (15)
    assert reported.value.status == 202
    page.clock.run_for(120_000)
    page.mouse.wheel(0, 20_000)  # reaching the end later sends nothing more
    round_trip(page)
    page_view, engaged = reader.beacons
    assert engaged == {"article_id": ARTICLE, "event_id": page_view["event_id"], "engaged": True}
    assert reader.page_errors == []


def test_one_engaged_report_on_reaching_the_marked_end(new_reader: Callable[..., Reader], base_url: str) -> None:
    reader = new_reader(height=500)
    page = open_with_paused_clock(reader, base_url)
    end = page.locator("[data-mostread-end]")
    assert end.evaluate("e => e.getBoundingClientRect().top > innerHeight"), "the end must start out of view"
    page.mouse.wheel(0, 200)  # a little way down: not the end yet
    round_trip(page)
    assert engaged_reports(reader) == []
    with page.expect_request(lambda request: is_report(request) and "engaged" in (request.post_data or "")):
        end.scroll_into_view_if_needed()
    page.mouse.wheel(0, -400)
    end.scroll_into_view_if_needed()  # again: still one report
    page.clock.run_for(60_000)  # and the visible time passing sends nothing more
    round_trip(page)
    [engaged] = engaged_reports(reader)
    assert engaged["event_id"] == reader.beacons[0]["event_id"]
    assert len(reader.beacons) == 2


def test_no_engaged_report_with_0_seconds(new_reader: Callable[..., Reader], base_url: str) -> None:
    reader = new_reader(height=500)
    # the tracker as the API serves it for a deployment with EngagedSeconds=0
    served = assets.render(BUILT_TRACKER.read_text(encoding="utf-8"), 0)

    def tracker_with_0(route: Route) -> None:
        route.fulfill(status=200, content_type="application/javascript; charset=utf-8", body=served)

    reader.page.route(lambda url: urlsplit(url).path == "/v1/assets/tracker.v1.js", tracker_with_0)
    page = open_with_paused_clock(reader, base_url)
    page.clock.run_for(120_000)
    page.locator("[data-mostread-end]").scroll_into_view_if_needed()
    page.clock.run_for(1_000)
    round_trip(page)
    assert [json.dumps(beacon.get("engaged")) for beacon in reader.beacons] == ["null"]
    assert reader.page_errors == []


def test_engaged_widget_shows_the_read_rate_as_text(new_reader: Callable[..., Reader], base_url: str) -> None:
    reader = new_reader()
    page = reader.page
    item = {
        "rank": 1,
        "article_id": "qa-engaged",
        "title": "<b>끝까지</b> 읽은 기사",
        "url": f"{base_url}/articles/{ARTICLE}",
        "section": "politics",
        "published_at": "2026-11-27T08:00:00+09:00",
        "thumbnail_url": None,
        "summary": None,
        "views": 5,
        "read_rate": 0.62,
        "previous_rank": None,
    }
    listing = {"kind": "engaged", "window": "24h", "section": "qa-engaged", "generated_at": None, "items": [item]}
    asked: list[str] = []

    def engaged_list(route: Route) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(listing, ensure_ascii=False))

    page.route(lambda url: "section=qa-engaged" in url, engaged_list)
    with page.expect_request(is_report):
        page.goto(f"{base_url}/articles/{ARTICLE}")
    page.evaluate(
        """() => {
      const el = document.createElement("div");
      el.id = "qa-engaged";
      el.setAttribute("data-mostread-widget", "");
      el.setAttribute("data-kind", "engaged");
      el.setAttribute("data-section", "qa-engaged");
      document.querySelector("aside").appendChild(el);
      window.mostread.render(el);
    }"""
    )
    box = page.locator("#qa-engaged")
    expect(box.locator(".mr-title")).to_have_text("끝까지 읽은 뉴스")
    expect(box.locator(".mr-rate")).to_have_text("끝까지 읽은 비율 62%")
    assert box.locator(".mr-headline").text_content() == "<b>끝까지</b> 읽은 기사"
    assert "kind=engaged" in asked[0]
