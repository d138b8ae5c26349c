"""The demo news page of `mostread dev` (demo_site.render_page): structure, tracker, widgets, escaping."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from html import escape
from html.parser import HTMLParser
from typing import Any

import pytest
from mostread_dev import demo_site
from mostread_dev.demo_site import demo_articles, render_page
from mostread_dev.traffic import BREAKING_ARTICLE

HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1"> & </title><script>alert(1)</script>'
HOSTILE_SUMMARY = "<script>alert(2)</script>"


class Page(HTMLParser):
    """The elements of a page (tag, attributes), the text of each element with an id, and all text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.text_by_tag: dict[str, list[str]] = {}
        self._open: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag not in ("meta", "link", "img", "br", "input", "path", "rect", "circle", "stop"):
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._open:
            self.text_by_tag.setdefault(self._open[-1], []).append(data)
            if self._open[-1] == "script":
                self.scripts.append(data)

    def all(self, tag: str, **wanted: str) -> list[dict[str, str | None]]:
        return [
            attrs
            for name, attrs in self.elements
            if name == tag and all(attrs.get(key.replace("_", "-")) == value for key, value in wanted.items())
        ]

    def text(self, tag: str) -> str:
        return "".join(self.text_by_tag.get(tag, [])).strip()


def config_of(page: Page) -> dict[str, Any]:
    """The object the page merges into window.mostreadConfig."""
    for script in page.scripts:
        found = re.fullmatch(r"window\.mostreadConfig = Object\.assign\(\{api: location\.origin\}, (.*)\);", script)
        if found:
            return dict(json.loads(found.group(1)))
    raise AssertionError("no mostreadConfig")


@pytest.fixture
def hostile_catalog(monkeypatch: pytest.MonkeyPatch) -> str:
    articles = dict(demo_articles())
    article_id = "news-9999"
    articles[article_id] = {
        "article_id": article_id,
        "title": HOSTILE_TITLE,
        "url": "https://news.example.kr/articles/news-9999",
        "section": "local",
        "published_at": "2026-11-20T08:00:00+09:00",
        "thumbnail_url": None,
        "summary": HOSTILE_SUMMARY,
    }
    monkeypatch.setattr(demo_site, "demo_articles", lambda: articles)
    return article_id


def test_the_front_page_is_the_lead_story_with_its_tracker() -> None:
    lead_id, lead = next(iter(demo_articles().items()))
    assert lead["published_at"] == max(entry["published_at"] for entry in demo_articles().values())
    assert lead_id == BREAKING_ARTICLE  # the demo's breaking story leads the front page and HOT ISSUE
    page = Page(render_page(None))
    assert page.text("h1") == lead["title"]
    assert page.all("script", src="/v1/assets/tracker.v1.js")
    assert config_of(page) == {"articleId": lead_id}
    assert page.text("title") == "mostread demo"


@pytest.mark.parametrize("article_id", sorted(demo_articles()))
def test_every_catalog_article_has_its_page(article_id: str) -> None:
    article = demo_articles()[article_id]
    html = render_page(article_id)
    page = Page(html)
    assert page.text("h1") == article["title"]
    assert page.text("title") == f"{article['title']} - 한빛일보"
    assert config_of(page) == {"articleId": article_id}
    assert len(page.all("script", src="/v1/assets/tracker.v1.js")) == 1
    body = re.search(r'<div class="article-body">\n(.*?)\n</div>', html, re.S)
    assert body is not None
    paragraphs = body.group(1).split("\n")
    assert 4 <= len(paragraphs) <= 6
    assert paragraphs[0] == f"<p>{escape(article['summary'])}</p>"  # the lead: the catalog's summary


def test_article_page_structure_and_widgets() -> None:
    article_id = "news-1018"
    html = render_page(article_id)
    page = Page(html)
    assert re.search(r'<html lang="ko">', html)
    for landmark in ("header", "nav", "main", "aside", "footer", "article"):
        assert page.all(landmark), landmark
    assert page.all("main", id="content")
    skip = page.all("a", **{"class": "skip-link"})
    assert skip and skip[0]["href"] == "#content"
    widgets = widgets_of(page)
    assert len(widgets) == 5
    main, _hot, local, engaged, last_week = widgets  # the HOT ISSUE block: test_every_page_has_the_hot_issue_block
    assert main["data-window"] == "24h"
    assert "data-section" not in main
    assert "data-kind" not in main  # most read, the widget's default
    assert local["data-section"] == "local"
    assert local["data-window"] == "24h"
    assert local["data-title"] == "지역 많이 본 뉴스"
    assert (engaged["data-kind"], engaged["data-title"]) == ("engaged", "끝까지 읽은 기사")
    assert last_week["data-title"] == "지난주 많이 본 뉴스"
    assert "data-window" not in last_week
    assert page.all("script", src="/v1/assets/widget.v1.js", **{"async": None})
    # the section menu leads to each section's newest article; this article's section is marked
    current = [attrs for tag, attrs in page.elements if tag == "a" and "aria-current" in attrs]
    assert len(current) == 1
    menu_targets = re.findall(r'<li><a href="/articles/([^"]+)"', html.split('aria-label="분야별 뉴스"')[1])
    assert len(menu_targets) >= 6


def widgets_of(page: Page) -> list[dict[str, str | None]]:
    return [attrs for tag, attrs in page.elements if tag == "div" and "data-mostread-widget" in attrs]


@pytest.mark.parametrize("article_id", [None, "news-1001", "not-in-catalog"])
def test_every_page_has_the_hot_issue_block(article_id: str | None) -> None:
    """The trending list of the last hour, between 많이 본 뉴스 and the 지역 list, with the widget's own heading."""
    hot = widgets_of(Page(render_page(article_id)))[1]
    assert hot["data-kind"] == "trending"
    assert hot["data-window"] == "1h"  # trending has 1h and 24h; 7d would be a 400
    assert hot["data-limit"] == "5"
    assert "data-section" not in hot
    assert "data-title" not in hot  # the widget's default heading for trending: HOT ISSUE
    assert hot["data-thumbnails"] == "false"


def test_the_page_loads_nothing_from_elsewhere() -> None:
    for article_id in (None, "news-1001", "not-in-catalog"):
        page = Page(render_page(article_id))
        for _tag, attrs in page.elements:
            for name in ("src", "href"):
                value = attrs.get(name)
                if value is not None:
                    assert value.startswith(("/", "#")), f"{name}={value}"


def test_catalog_text_is_escaped(hostile_catalog: str) -> None:
    html = render_page(hostile_catalog)
    page = Page(html)
    assert "<img src=x" not in html
    assert "<script>alert" not in html
    assert page.text("h1") == HOSTILE_TITLE  # shown literally
    assert page.text("title") == f"{HOSTILE_TITLE} - 한빛일보"
    assert f"<p>{escape(HOSTILE_SUMMARY)}</p>" in html
    assert not page.all("img", src="x")
    assert [script.strip() for script in page.scripts if "alert" in script] == []
    # the hostile title also shows, escaped, in the 지역 "latest articles" of another page of that section
    other = render_page("news-1031")
    assert "<img src=x" not in other


def test_the_config_script_cannot_be_broken_out_of(monkeypatch: pytest.MonkeyPatch) -> None:
    article_id = "a</script><script>alert(1)</script>"
    articles = {article_id: {**next(iter(demo_articles().values())), "article_id": article_id}}
    monkeypatch.setattr(demo_site, "demo_articles", lambda: articles)
    html = render_page(article_id)
    assert "</script><script>alert" not in html
    assert config_of(Page(html)) == {"articleId": article_id}


def test_an_unknown_article_gets_a_not_found_page_without_tracker() -> None:
    html = render_page('nope"><script>alert(1)</script>')
    page = Page(html)
    assert "<script>alert" not in html
    assert page.text("h1") == "기사를 찾을 수 없습니다"
    assert 'nope"&gt;&lt;script&gt;' in html.replace("&quot;", '"')
    assert not page.all("script", src="/v1/assets/tracker.v1.js")
    assert config_of(page) == {}
    assert page.all("meta", name="robots", content="noindex")
    assert len(widgets_of(page)) == 5


def test_dates_are_shown_in_korean() -> None:
    html = render_page("news-1001")
    assert re.search(r"\d{4}년 \d{1,2}월 \d{1,2}일 [월화수목금토일]요일", html)
    assert re.search(r'입력 <time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d\+09:00">\d{4}\.\d\d\.\d\d \d\d:\d\d</time>', html)


def test_last_weeks_block_follows_the_stacks_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """`mostread dev --start-at` moves the clock: the block shows the ISO week before the stack's, in Seoul."""
    from mostread import clock

    def block_at(instant: str) -> str | None:
        monkeypatch.setattr(clock, "_offset", [datetime.fromisoformat(instant).timestamp() - time.time()])
        page = Page(render_page(None))
        [block] = [w for w in widgets_of(page) if w.get("data-title") == "지난주 많이 본 뉴스"]
        return block["data-period"]

    assert block_at("2029-01-01T00:00:30+09:00") == "2028-W52"  # Monday in Seoul, still Sunday in UTC
    assert block_at("2028-12-31T23:59:30+09:00") == "2028-W51"
