"""The demo page, the tracker and the widget in a real (headless) Chromium, against `mostread dev`.

Each test opens its own browser context: a distinct reader. Lists change only when a test asks for a ranking run
(`POST /_local/rank`); nothing here waits a fixed time for something to happen.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from mostread.periods import local_date, week_of
from mostread_dev.demo_site import demo_articles
from mostread_dev.timefmt import KST, iso_kst
from playwright.sync_api import Locator, Page, Response, Route, expect

from tests.browser.support import STACK_STARTS_AT, Reader, Seeded, stir
from tests.e2e.support import Api, avoid_dedupe_slot_boundary, unique

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DEMO_PNG = ROOT / "docs" / "demo.png"
SCREENSHOT = ROOT / "test-results" / "demo.png"
EVENT_ID = re.compile(r"[A-Za-z0-9_-]{22}")
MAIN_LIST = {"window": "24h", "limit": "10"}
HOT_LIST = {"kind": "trending", "window": "1h", "limit": "5"}
SECTION_LIST = {"window": "24h", "section": "local", "limit": "5"}
ENGAGED_LIST = {"kind": "engaged", "window": "24h", "limit": "5"}
SIDEBAR = (MAIN_LIST, HOT_LIST, SECTION_LIST)  # the widgets of the demo page's sidebar, in page order
MAIN, HOT, LOCAL, ENGAGED, LAST_WEEK = range(5)
HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1">'
HOSTILE_SUMMARY = '<script>window.__pwned=2</script>요약 & "따옴표" </p>'
FAILED_TEXT = "목록을 불러오지 못했습니다"
# Adds a widget for one section to the sidebar after the page has loaded, as the widget's README documents.
ADD_WIDGET = """({section, kind, lang, id}) => {
  const el = document.createElement("div");
  el.id = id || "qa-widget";
  el.setAttribute("data-mostread-widget", "");
  el.setAttribute("data-section", section);
  el.setAttribute("data-summary", "true");
  if (kind) el.setAttribute("data-kind", kind);
  if (lang) el.setAttribute("data-lang", lang);
  document.querySelector("aside").appendChild(el);
  window.mostread.render(el);
}"""
FOCUSED = """() => {
  const a = document.activeElement, hosts = [...document.querySelectorAll("[data-mostread-widget]")];
  const host = a && a.closest("[data-mostread-widget]");
  return {widget: host ? hosts.indexOf(host) : -1, text: (a.textContent || "").trim(), cls: a.className || "",
          id: a.id || "", body: a === document.body};
}"""


def as_shown(api: Api, query: dict[str, str]) -> list[dict[str, Any]]:
    """A sidebar list as the front page shows it: the front page is the lead story's page, so the widget leaves the
    lead out (the article being read) and asks for one more."""
    limit = int(query["limit"])
    lead = next(iter(demo_articles()))
    items = api.rankings(**{**query, "limit": str(limit + 1)})["items"]
    return [item for item in items if item["article_id"] != lead][:limit]


def is_beacon(response: Response) -> bool:
    return response.request.method == "POST" and urlsplit(response.url).path == "/v1/views"


def widget(page: Page, index: int) -> Locator:
    """The index-th widget host of the page: MAIN = 많이 본 뉴스, HOT = HOT ISSUE, LOCAL = the 지역 list."""
    return page.locator("[data-mostread-widget]").nth(index)


def open_front_page(reader: Reader, base_url: str) -> None:
    """`/`, waiting for its beacon and for every sidebar widget's list."""
    with reader.page.expect_response(is_beacon) as beacon:
        reader.page.goto(base_url + "/")
    assert beacon.value.status == 202
    for index, query in enumerate(SIDEBAR):
        expect(widget(reader.page, index).locator(".mr-item")).to_have_count(int(query["limit"]))


def movement(item: dict[str, Any], lang: str = "ko") -> tuple[str, str, str]:
    """What the widget shows for an item's previous_rank: (class, glyph, text alternative)."""
    previous, rank = item["previous_rank"], item["rank"]
    en = lang == "en"
    if previous is None:
        return "mr-new", "NEW", "new entry" if en else "새로 진입"
    if previous > rank:
        up = previous - rank
        return "mr-up", f"▲{up}", f"up {up} place{'s' if up > 1 else ''}" if en else f"{up}계단 상승"
    if previous < rank:
        down = rank - previous
        return "mr-down", f"▼{down}", f"down {down} place{'s' if down > 1 else ''}" if en else f"{down}계단 하락"
    return "mr-same", "–", "no change" if en else "변동 없음"


def expect_movements(box: Locator, items: list[dict[str, Any]], lang: str = "ko") -> None:
    """The markers of the items with previous_rank, in order: glyph hidden from screen readers, text for them."""
    shown = [movement(item, lang) for item in items if "previous_rank" in item]
    expect(box.locator(".mr-move")).to_have_count(len(shown))
    expect(box.locator(".mr-move > [aria-hidden='true']")).to_have_text([glyph for _, glyph, _ in shown])
    expect(box.locator(".mr-move > .mr-sr")).to_have_text([said for _, _, said in shown])
    classes = box.locator(".mr-move").evaluate_all("els => els.map(e => e.className)")
    assert classes == [f"mr-move {cls}" for cls, _, _ in shown]


def test_demo_page_loads_cleanly(new_reader: Callable[..., Reader], base_url: str, seeded: Seeded) -> None:
    reader = new_reader()
    page = reader.page
    open_front_page(reader, base_url)
    page.wait_for_load_state("networkidle")

    expect(page.locator("h1")).to_have_text(demo_articles()[seeded.lead_id]["title"])
    assert page.evaluate("typeof window.mostread.render") == "function"
    assert page.evaluate("window.__mostreadTracker") == 1
    by_path = {urlsplit(request.url).path: request for request in reader.requests}
    for path in ("/v1/assets/tracker.v1.js", "/v1/assets/widget.v1.js", "/static/demo.css", "/static/logo.svg"):
        response = by_path[path].response() if path in by_path else None
        assert response is not None and response.status == 200, f"{path} did not load"
    assert [beacon["article_id"] for beacon in reader.beacons] == [seeded.lead_id]
    assert reader.failed == []
    assert reader.bad_responses == []
    assert reader.console_errors == []
    assert reader.page_errors == []
    elsewhere = [request.url for request in reader.requests if not request.url.startswith(base_url + "/")]
    assert elsewhere == [], "the demo page must not load anything from elsewhere"


def test_tracker_counts_one_view_per_page_view(new_reader: Callable[..., Reader], api: Api, base_url: str) -> None:
    article_id = "news-1017"  # not the lead story, so no other page of this test reports it
    avoid_dedupe_slot_boundary(margin=15)  # the page view and its reload must fall in one dedupe slot
    api.rank()
    before = api.views_of(article_id)
    reader = new_reader()
    page = reader.page

    with page.expect_response(is_beacon) as answer:
        page.goto(f"{base_url}/articles/{article_id}")
    assert answer.value.status == 202
    assert answer.value.json()["accepted"] == 1
    page.wait_for_load_state("networkidle")
    # The tracker listens to these while it waits for a visible page: once sent, they must not send again.
    page.evaluate("""() => {
      document.dispatchEvent(new Event("visibilitychange"));
      document.dispatchEvent(new Event("prerenderingchange"));
    }""")
    page.evaluate("() => fetch('/static/demo.css', {cache: 'no-store'}).then(r => r.status)")  # a later request
    assert len(reader.beacons) == 1, reader.beacons
    first = reader.beacons[0]
    assert first["article_id"] == article_id
    assert EVENT_ID.fullmatch(first["event_id"])
    assert "ref" not in first

    api.rank()
    after_one = api.views_of(article_id)
    assert {window: after_one[window] - before[window] for window in before} == {"1h": 1, "24h": 1, "7d": 1}

    with page.expect_response(is_beacon):
        page.reload()
    page.wait_for_load_state("networkidle")
    assert len(reader.beacons) == 2, reader.beacons
    second = reader.beacons[1]
    assert second["article_id"] == article_id
    assert EVENT_ID.fullmatch(second["event_id"])
    assert second["event_id"] != first["event_id"]

    api.rank()
    assert api.views_of(article_id) == after_one, "a reload by the same reader must not count again"


def test_tracker_retries_a_failed_report_once_with_the_same_event(
    new_reader: Callable[..., Reader], api: Api, base_url: str
) -> None:
    article_id = "news-1017"  # as above: no other page reports it
    api.rank()
    before = api.views_of(article_id)
    reader = new_reader()
    page = reader.page
    # A browser whose sendBeacon cannot queue the report: the tracker falls back to fetch, which tells a failure.
    page.add_init_script("Object.defineProperty(navigator, 'sendBeacon', {value: () => false})")
    # The retry waits on the page's timers: a paused fake clock that only this test moves, so nothing sleeps.
    started = datetime.now(KST)
    page.clock.install(time=started)
    page.clock.pause_at(started + timedelta(seconds=1))
    attempts: list[str | None] = []

    def first_attempt_fails(route: Route) -> None:
        if '"engaged":true' in (route.request.post_data or ""):
            route.fallback()  # the page's engaged report, after EngagedSeconds of the clock below: not a retry
            return
        attempts.append(route.request.post_data)
        if len(attempts) > 1:
            route.fallback()  # to the server, through the reader's own route
            return
        error = {"error": {"code": "service_unavailable", "message": "try again", "field": None}}
        route.fulfill(status=503, headers={"retry-after": "2"}, content_type="application/json", body=json.dumps(error))

    page.route(lambda url: urlsplit(url).path == "/v1/views", first_attempt_fails)
    with page.expect_response(is_beacon) as failed:
        page.goto(f"{base_url}/articles/{article_id}")
    assert failed.value.status == 503
    page.clock.run_for(1_500)
    page.evaluate("() => fetch('/static/demo.css', {cache: 'no-store'}).then(r => r.status)")  # a round trip
    assert len(attempts) == 1, "retried before Retry-After"
    with page.expect_response(is_beacon) as retried:
        page.clock.run_for(1_000)
    assert retried.value.status == 202  # (a keepalive fetch's body cannot be read here: the counts below tell)
    page.clock.run_for(60_000)
    page.evaluate("() => fetch('/static/demo.css', {cache: 'no-store'}).then(r => r.status)")  # a later request
    assert len(attempts) == 2, "at most one retry"
    assert attempts[0] == attempts[1]
    assert EVENT_ID.fullmatch(json.loads(attempts[0] or "{}")["event_id"])

    api.rank()
    after = api.views_of(article_id)
    assert {window: after[window] - before[window] for window in before} == {"1h": 1, "24h": 1, "7d": 1}
    assert reader.page_errors == []


def test_widgets_show_the_api_lists_in_order(new_reader: Callable[..., Reader], api: Api, base_url: str) -> None:
    reader = new_reader()
    open_front_page(reader, base_url)
    for index, query in enumerate(SIDEBAR):
        listed = api.rankings(**query)["items"]
        assert [item["rank"] for item in listed] == list(range(1, len(listed) + 1))
        items = as_shown(api, query)
        assert len(items) == int(query["limit"])
        order = "score" if query.get("kind") == "trending" else "views"
        assert [item[order] for item in items] == sorted((item[order] for item in items), reverse=True)
        box = widget(reader.page, index)
        expect(box.locator(".mr-headline")).to_have_text([item["title"] for item in items])
        expect(box.locator(".mr-rank")).to_have_text([str(place) for place in range(1, len(items) + 1)])
        expect(box.locator(".mr-views")).to_have_text([f"조회 {item['views']:,}" for item in items])
        hrefs = box.locator("a.mr-link").evaluate_all("links => links.map(link => link.href)")
        assert hrefs == [f"{item['url']}?mr_ref=mostread" for item in items]
    assert {item["section"] for item in api.rankings(**SECTION_LIST)["items"]} == {"local"}


def test_hot_issue_block_shows_the_trending_list(new_reader: Callable[..., Reader], api: Api, base_url: str) -> None:
    reader = new_reader()
    page = reader.page
    open_front_page(reader, base_url)
    response = api.rankings(**HOT_LIST)
    items = as_shown(api, HOT_LIST)
    assert response["kind"] == "trending"
    assert all(isinstance(item["score"], int | float) for item in items)
    box = widget(page, HOT)
    region = page.get_by_role("region", name="HOT ISSUE", exact=True)
    expect(region).to_have_count(1)
    expect(box.locator(".mr-title")).to_have_text("HOT ISSUE")
    expect(box.locator(".mr-headline")).to_have_text([item["title"] for item in items])
    expect(box.locator(".mr-rank")).to_have_text([str(place) for place in range(1, len(items) + 1)])
    expect(box.locator(".mr-views")).to_have_text([f"조회 {item['views']:,}" for item in items])
    assert [item["article_id"] for item in items] != [
        item["article_id"] for item in api.rankings(**{**MAIN_LIST, "limit": "5"})["items"]
    ], "trending is its own list, not the top of most read"

    # A click on the block reports the view as coming from the widget, as for the most-read list.
    link = box.locator("a.mr-link").first
    assert link.get_attribute("href") == f"{items[0]['url']}?mr_ref=mostread"
    with page.expect_response(is_beacon) as answer:
        link.click()
    assert answer.value.status == 202
    expect(page).to_have_url(items[0]["url"])
    assert reader.beacons[-1]["article_id"] == items[0]["article_id"]
    assert reader.beacons[-1]["ref"] == "mostread"
    assert reader.page_errors == []


def test_movement_markers_follow_previous_rank(
    new_reader: Callable[..., Reader], api: Api, base_url: str, seeded: Seeded
) -> None:
    stir(api, seeded)  # a ranking run after views that reorder the lists
    reader = new_reader()
    page = reader.page
    open_front_page(reader, base_url)
    lists = {index: as_shown(api, query) for index, query in enumerate(SIDEBAR)}
    for index, items in lists.items():
        assert all("previous_rank" in item for item in items), items
        box = widget(page, index)
        expect(box.locator(".mr-headline")).to_have_text([item["title"] for item in items])
        expect_movements(box, items)
    shown = {movement(item)[0] for items in lists.values() for item in items}
    assert {"mr-up", "mr-down", "mr-new"} <= shown, shown
    # Screen readers get the words, never the glyphs; the words take no room on screen.
    tree = widget(page, MAIN).aria_snapshot() + widget(page, HOT).aria_snapshot()
    assert "▲" not in tree and "▼" not in tree and "NEW" not in tree
    assert "계단" in tree
    areas = page.locator(".mr-sr").evaluate_all("els => els.map(e => e.offsetWidth * e.offsetHeight)")
    assert areas and all(area <= 1 for area in areas), "the text alternatives must be visually hidden"


@pytest.fixture
def hostile_article(api: Api, base_url: str) -> Iterator[str]:
    """A catalogued article whose title and summary are markup, with one view, in a section of its own."""
    article_id = unique("xss")
    body = {
        "title": HOSTILE_TITLE,
        "url": f"{base_url}/articles/{article_id}",
        "section": "qa-xss",
        "published_at": iso_kst(datetime.now(KST)),
        "thumbnail_url": f"{base_url}/static/logo.svg",
        "summary": HOSTILE_SUMMARY,
    }
    assert api.put_article(article_id, body).status_code == 200
    assert api.view({"article_id": article_id}, visitor="198.51.100.77").status_code == 202
    api.rank()
    yield article_id
    assert api.request("DELETE", f"/v1/articles/{article_id}").status_code == 204
    api.rank()


@pytest.mark.parametrize("kind", ["most_read", "trending"])
def test_catalog_markup_is_shown_as_text(
    new_reader: Callable[..., Reader], base_url: str, hostile_article: str, kind: str
) -> None:
    reader = new_reader()
    page = reader.page
    open_front_page(reader, base_url)
    page.evaluate(ADD_WIDGET, {"section": "qa-xss", "kind": kind})
    box = page.locator("#qa-widget")
    expect(box.locator(".mr-title")).to_have_text("HOT ISSUE" if kind == "trending" else "많이 본 뉴스")
    expect(box.locator(".mr-item")).to_have_count(1)
    assert box.locator(".mr-headline").text_content() == HOSTILE_TITLE
    assert box.locator(".mr-summary").text_content() == HOSTILE_SUMMARY
    assert box.locator("a.mr-link").get_attribute("href") == f"{base_url}/articles/{hostile_article}?mr_ref=mostread"
    # The one picture is the thumbnail; let it load, so that an injected <img src=x> would have failed by now.
    thumbnail = box.locator("img.mr-thumb")
    thumbnail.scroll_into_view_if_needed()
    expect(thumbnail).to_have_js_property("complete", True)
    assert thumbnail.evaluate("img => img.naturalWidth") > 0
    assert box.locator("img:not(.mr-thumb)").count() == 0
    assert box.locator("script").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert [request.url for request in reader.requests if urlsplit(request.url).path == "/x"] == []
    assert reader.page_errors == []


def test_clicking_an_entry_opens_the_article_and_reports_the_widget(
    new_reader: Callable[..., Reader], api: Api, base_url: str
) -> None:
    api.rank()
    item = api.rankings(**MAIN_LIST)["items"][0]
    before = api.views_of(item["article_id"])["24h"]
    reader = new_reader()
    page = reader.page
    open_front_page(reader, base_url)
    link = widget(page, 0).locator("a.mr-link").first
    assert link.text_content() == item["title"]

    with page.expect_response(is_beacon) as answer:
        link.click()
    assert answer.value.status == 202
    expect(page).to_have_url(f"{base_url}/articles/{item['article_id']}")  # mr_ref gone from the address bar
    assert page.evaluate("location.search") == ""
    beacon = reader.beacons[-1]
    assert beacon["article_id"] == item["article_id"]
    assert beacon["ref"] == "mostread"
    assert EVENT_ID.fullmatch(beacon["event_id"])
    # The same template: masthead, the article as the page's heading, the two widgets in the sidebar.
    expect(page.locator("h1")).to_have_text(item["title"])
    expect(page.locator("header.masthead")).to_be_visible()
    expect(page.locator("aside [data-mostread-widget]")).to_have_count(5)
    for index, query in enumerate(SIDEBAR):
        expect(widget(page, index).locator(".mr-item")).to_have_count(int(query["limit"]))

    api.rank()
    assert api.views_of(item["article_id"])["24h"] == before + 1


def test_widget_survives_the_api_being_down(new_reader: Callable[..., Reader], base_url: str) -> None:
    reader = new_reader()
    page = reader.page
    open_front_page(reader, base_url)
    for index in range(len(SIDEBAR)):
        expect(widget(page, index).locator(".mr-widget")).to_have_attribute("aria-busy", "false")
    shown = [widget(page, index).locator(".mr-headline").all_text_contents() for index in range(len(SIDEBAR))]
    moves = [widget(page, index).locator(".mr-move").all_text_contents() for index in range(len(SIDEBAR))]

    # A refresh answered with a server error keeps the list on screen.
    outage = {"how": "error"}

    def api_down(route: Route) -> None:
        if outage["how"] == "error":
            route.fulfill(status=503, content_type="application/json", body='{"error": {}}')
        else:
            route.abort()

    reader.context.route(lambda url: urlsplit(url).path == "/v1/rankings", api_down)
    for index in (MAIN, HOT):
        box = widget(page, index)
        with page.expect_response(lambda response: urlsplit(response.url).path == "/v1/rankings") as failed:
            box.evaluate("el => window.mostread.render(el)")
        assert failed.value.status == 503
        assert f"kind={SIDEBAR[index].get('kind', 'most_read')}" in failed.value.url
        expect(box.locator(".mr-widget")).to_have_attribute("aria-busy", "false")
        expect(box.locator(".mr-headline")).to_have_text(shown[index])
        expect(box.locator(".mr-move")).to_have_text(moves[index])
        expect(box.locator(".mr-status")).to_have_text("")

    # A reload with the API unreachable: the last good lists come from sessionStorage and stay.
    outage["how"] = "unreachable"
    with page.expect_event("requestfailed", lambda request: urlsplit(request.url).path == "/v1/rankings"):
        page.reload()
    for index, titles in enumerate(shown):
        expect(widget(page, index).locator(".mr-widget")).to_have_attribute("aria-busy", "false")
        expect(widget(page, index).locator(".mr-headline")).to_have_text(titles)
        expect(widget(page, index).locator(".mr-move")).to_have_text(moves[index])
        expect(widget(page, index).locator(".mr-status")).to_have_text("")
    expect(widget(page, HOT).locator(".mr-title")).to_have_text("HOT ISSUE")

    # A first visit with the API unreachable says so, in Korean, and nothing throws.
    fresh = new_reader()
    fresh.context.route(lambda url: urlsplit(url).path == "/v1/rankings", lambda route: route.abort())
    fresh.page.goto(base_url + "/")
    for index in range(len(SIDEBAR)):
        expect(widget(fresh.page, index).locator(".mr-status")).to_have_text(FAILED_TEXT)
        expect(widget(fresh.page, index).locator(".mr-item")).to_have_count(0)
        expect(widget(fresh.page, index).locator(".mr-title")).not_to_have_text("")
    assert reader.page_errors == []
    assert fresh.page_errors == []


def test_keyboard_order_and_accessible_names(new_reader: Callable[..., Reader], api: Api, base_url: str) -> None:
    reader = new_reader()
    page = reader.page
    open_front_page(reader, base_url)
    period = widget(page, LAST_WEEK).get_attribute("data-period") or ""
    lists = {
        "많이 본 뉴스": as_shown(api, MAIN_LIST),
        "HOT ISSUE": as_shown(api, HOT_LIST),
        "지역 많이 본 뉴스": as_shown(api, SECTION_LIST),
        "끝까지 읽은 기사": as_shown(api, ENGAGED_LIST),
        # the week before the stack's: listed once the session's stack has crossed its Sunday midnight
        "지난주 많이 본 뉴스": as_shown(api, {"period": period, "limit": "5"}),
    }
    for index in (ENGAGED, LAST_WEEK):
        expect(widget(page, index).locator(".mr-widget")).to_have_attribute("aria-busy", "false")

    for role, name in (("banner", None), ("main", None), ("contentinfo", None)):
        expect(page.get_by_role(role, name=name)).to_have_count(1)
    expect(page.get_by_role("navigation", name="분야별 뉴스", exact=True)).to_have_count(1)
    expect(page.get_by_role("complementary", name="인기 기사", exact=True)).to_have_count(1)
    for name, items in lists.items():
        region = page.get_by_role("region", name=name, exact=True)
        expect(region).to_have_count(1)
        heading = page.locator(f"#{region.get_attribute('aria-labelledby')}")
        expect(heading).to_have_text(name)
        expect(heading).to_have_role("heading")
        expect(region.get_by_role("listitem")).to_have_count(len(items))
        expect(region.get_by_role("link")).to_have_count(len(items))
        for item in items:  # the link's name is the title alone: rank, views and movement are not part of it
            expect(region.get_by_role("link", name=item["title"], exact=True)).to_have_count(1)

    # The skip link comes first and moves focus to the article.
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["text"] == "본문 바로가기"
    page.keyboard.press("Enter")
    assert page.evaluate(FOCUSED)["id"] == "content"
    # Then Tab reaches every widget link, in list order, and nothing else inside the widgets.
    reached: list[tuple[int, str, str]] = []
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["widget"] >= 0:
            reached.append((focused["widget"], focused["text"], focused["cls"]))
        elif reached or focused["body"]:
            break
    expected = [(index, item["title"], "mr-link") for index, items in enumerate(lists.values()) for item in items]
    assert reached == expected


def test_rank_movements_have_text_alternatives(new_reader: Callable[..., Reader], base_url: str) -> None:
    """Every marker, in Korean and English, from lists served by a route; an item of an older API without
    previous_rank gets no marker."""
    items: list[dict[str, Any]] = [
        {"rank": rank, "article_id": f"news-100{rank}", "title": f"제목 {rank}", "section": "qa-move",
         "url": f"{base_url}/articles/news-100{rank}", "published_at": "2026-11-27T08:00:00+09:00",
         "thumbnail_url": None, "summary": None, "views": 50 - rank, "score": 9.5 - rank, "previous_rank": previous}
        for rank, previous in ((1, 3), (2, 1), (3, None), (4, 4), (5, 9), (6, 5))
    ]  # fmt: skip
    del items[-1]["previous_rank"]

    def serve(route: Route) -> None:
        kind = "trending" if "kind=trending" in route.request.url else "most_read"
        body = {"kind": kind, "window": "1h", "section": "qa-move", "generated_at": "2026-11-27T09:00:00Z"}
        route.fulfill(status=200, content_type="application/json", body=json.dumps({**body, "items": items}))

    reader = new_reader()
    reader.context.route(lambda url: "section=qa-move" in url, serve)
    page = reader.page
    open_front_page(reader, base_url)
    page.evaluate(ADD_WIDGET, {"section": "qa-move"})
    page.evaluate(ADD_WIDGET, {"section": "qa-move", "kind": "trending", "lang": "en", "id": "qa-widget-en"})
    korean, english = page.locator("#qa-widget"), page.locator("#qa-widget-en")
    expect(korean.locator(".mr-item")).to_have_count(6)
    expect(english.locator(".mr-item")).to_have_count(6)
    expect_movements(korean, items)
    expect_movements(english, items, "en")
    expect(korean.locator(".mr-move .mr-sr")).to_have_text(
        ["2계단 상승", "1계단 하락", "새로 진입", "변동 없음", "4계단 상승"]
    )
    expect(english.locator(".mr-move .mr-sr")).to_have_text(
        ["up 2 places", "down 1 place", "new entry", "no change", "up 4 places"]
    )
    expect(english.locator(".mr-title")).to_have_text("HOT ISSUE")
    expect(english.locator(".mr-views").first).to_have_text("49 views")
    assert english.locator(".mr-item").last.locator(".mr-move").count() == 0
    areas = page.locator(".mr-sr").evaluate_all("els => els.map(e => e.offsetWidth * e.offsetHeight)")
    assert all(area <= 1 for area in areas), "the text alternatives must be visually hidden"
    for box, said in ((korean, "새로 진입"), (english, "up 2 places")):
        tree = box.aria_snapshot()
        assert said in tree
        assert "▲" not in tree and "▼" not in tree and "NEW" not in tree and "–" not in tree
    assert reader.page_errors == []


def test_demo_page_screenshot(new_reader: Callable[..., Reader], api: Api, base_url: str, seeded: Seeded) -> None:
    """The demo page at 1280 px with populated lists, saved under test-results/; with
    MOSTREAD_UPDATE_SCREENSHOT=1 (`make screenshot`) it replaces docs/demo.png, which README.md shows."""
    if shutil.which("fc-list") and not subprocess.run(["fc-list", ":lang=ko"], capture_output=True, text=True).stdout:
        warnings.warn("no Korean font installed (fonts-noto-cjk): docs/demo.png shows boxes", stacklevel=1)
    stir(api, seeded, breaking=seeded.lead_id)  # ▲, ▼ and NEW, and the lead story on top of HOT ISSUE
    week = archived_last_week(api)
    reader = new_reader(width=1280, height=900)
    page = reader.page
    open_front_page(reader, base_url)
    expect(widget(page, MAIN).locator(".mr-move")).to_have_count(10)
    engaged = as_shown(api, ENGAGED_LIST)
    expect(widget(page, ENGAGED).locator(".mr-headline")).to_have_text([item["title"] for item in engaged])
    expect(widget(page, ENGAGED).locator(".mr-rate").first).to_contain_text("끝까지 읽은 비율")
    expect(widget(page, LAST_WEEK).locator(".mr-title")).to_have_text("지난주 많이 본 뉴스")
    shown_week = as_shown(api, {"period": week, "limit": "5"})
    assert len(shown_week) == 5
    expect(widget(page, LAST_WEEK).locator(".mr-headline")).to_have_text([item["title"] for item in shown_week])
    expect(widget(page, LAST_WEEK).locator(".mr-move")).to_have_count(0)  # a closed period's list does not move
    # the cold wave and its follow-ups are one story: shown once, with its related articles
    expect(widget(page, MAIN).locator(".mr-story")).to_have_count(1)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True, animations="disabled", caret="hide")
    width, height = struct.unpack(">II", SCREENSHOT.read_bytes()[16:24])  # the PNG's IHDR
    assert width == 1280
    assert height > 1200
    if os.environ.get("MOSTREAD_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(SCREENSHOT, DEMO_PNG)


def archived_last_week(api: Api) -> str:
    """The most-read list of the week the session's stack ended a minute after it started (conftest's
    week_ending_soon): ranking runs until the archive has listed it, once the week's last slots have settled."""
    week = week_of(local_date(STACK_STARTS_AT.timestamp(), KST)).name
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        api.rank()
        answer = api.request("GET", "/v1/rankings", params={"period": week, "limit": "10"})
        if answer.status_code == 200 and answer.json()["items"]:
            return week
        time.sleep(2)  # the week ends, and its last slot settles, on the stack's clock: real seconds pass
    pytest.fail(f"the archive did not list {week} within 150 s")


def test_widget_leaves_out_the_article_being_read(new_reader: Callable[..., Reader], api: Api, base_url: str) -> None:
    """On an article page the lists never recommend the article itself (the tracker's article id), and still show
    `limit` items: the widget asks for one more. `data-exclude` leaves out more ids the same way."""
    api.rank()
    listed = api.rankings(**{**MAIN_LIST, "limit": "12"})["items"]
    own = listed[0]
    reader = new_reader()
    page = reader.page
    with page.expect_response(lambda r: urlsplit(r.url).path == "/v1/rankings" and "kind=most_read" in r.url) as first:
        page.goto(f"{base_url}/articles/{own['article_id']}")
    assert "limit=11" in first.value.url
    main = widget(page, MAIN)
    expect(main.locator(".mr-headline")).to_have_text([item["title"] for item in listed[1:11]])
    expect(main.locator(".mr-rank")).to_have_text([str(place) for place in range(1, 11)])
    # the movement still compares the list's own ranks: the article at rank 2 is shown first
    expect_movements(main, listed[1:11])

    page.evaluate(
        """(skip) => {
          const el = document.createElement("div");
          el.id = "qa-exclude";
          el.setAttribute("data-mostread-widget", "");
          el.setAttribute("data-limit", "5");
          el.setAttribute("data-exclude", skip);
          document.querySelector("aside").appendChild(el);
          window.mostread.render(el);
        }""",
        f"{listed[1]['article_id']}, {listed[3]['article_id']}",
    )
    left_out = {own["article_id"], listed[1]["article_id"], listed[3]["article_id"]}
    expected = [item["title"] for item in listed if item["article_id"] not in left_out][:5]
    expect(page.locator("#qa-exclude .mr-headline")).to_have_text(expected)
    assert reader.page_errors == []


def test_a_story_shows_how_many_related_articles_it_has(new_reader: Callable[..., Reader], base_url: str) -> None:
    items = [
        {"rank": rank, "article_id": f"story-{rank}", "title": f"제목 {rank}", "section": "qa-story",
         "url": f"{base_url}/articles/story-{rank}", "published_at": "2026-11-27T08:00:00+09:00",
         "thumbnail_url": None, "summary": None, "views": 50 - rank, "previous_rank": rank,
         "story_id": story, "story_articles": count}
        for rank, story, count in ((1, "flood", 4), (2, None, 1), (3, "strike", 2), (4, "<b>x</b>", 1))
    ]  # fmt: skip

    def serve(route: Route) -> None:
        body = {"kind": "most_read", "window": "24h", "section": "qa-story", "generated_at": "2026-11-27T09:00:00Z"}
        route.fulfill(status=200, content_type="application/json", body=json.dumps({**body, "items": items}))

    reader = new_reader()
    reader.context.route(lambda url: "section=qa-story" in url, serve)
    page = reader.page
    open_front_page(reader, base_url)
    page.evaluate(ADD_WIDGET, {"section": "qa-story"})
    page.evaluate(ADD_WIDGET, {"section": "qa-story", "lang": "en", "id": "qa-story-en"})
    korean, english = page.locator("#qa-widget"), page.locator("#qa-story-en")
    expect(korean.locator(".mr-item")).to_have_count(4)
    stories = korean.locator(".mr-item").evaluate_all(
        "els => els.map(e => (e.querySelector('.mr-story') || {}).textContent || null)"
    )
    assert stories == ["관련 기사 3건", None, "관련 기사 1건", None]
    expect(english.locator(".mr-story")).to_have_text(["3 related", "1 related"])
    page.evaluate(
        """() => { const el = document.querySelector("#qa-widget");
                   el.setAttribute("data-stories", "false"); window.mostread.render(el); }"""
    )
    expect(korean.locator(".mr-story")).to_have_count(0)
    assert reader.page_errors == []
