"""The demo news site of ``mostread dev``: a front page and article pages with the widget and the tracker.

A placeholder, meant to be replaced: the HTTP server only calls ``render_page``. Articles come from the
demo catalog file. The widget and tracker come from the API's own assets route, as a real site embeds them,
and read the API base from ``window.mostreadConfig`` (the page's own origin). Static files of the page
itself are in ``static/``, served at ``/static/<file>``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

CATALOG_FILE = Path(__file__).resolve().parent / "demo_catalog.json"
SECTION_NAMES = {
    "politics": "정치",
    "economy": "경제",
    "society": "사회",
    "sports": "스포츠",
    "culture": "문화",
    "local": "지역",
    "world": "국제",
}


@lru_cache(maxsize=1)
def demo_articles() -> dict[str, dict[str, Any]]:
    """The demo catalog, article id -> entry, newest first."""
    entries: list[dict[str, Any]] = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    ordered = sorted(entries, key=lambda entry: str(entry["published_at"]), reverse=True)
    return {str(entry["article_id"]): entry for entry in ordered}


def render_page(article_id: str | None) -> str:
    """The front page (``None``) or the page of one article, as a complete HTML document."""
    article = demo_articles().get(article_id) if article_id else None
    main = _article_main(article_id, article) if article_id else _front_main()
    config: dict[str, Any] = {"articleId": article_id} if article_id else {}
    return _PAGE.format(
        heading=escape(article["title"]) + " - " if article else "",
        config=json.dumps(config, ensure_ascii=False).replace("<", "\\u003c"),
        tracker='<script async src="/v1/assets/tracker.v1.js"></script>' if article_id else "",
        main=main,
    )


def _front_main() -> str:
    items = "\n".join(
        f'<li><a href="/articles/{escape(article_id)}">{escape(entry["title"])}</a>'
        f' <span class="section">{escape(_section_name(entry["section"]))}</span></li>'
        for article_id, entry in demo_articles().items()
    )
    return f'<h1>최신 기사</h1>\n<ul class="latest">\n{items}\n</ul>'


def _article_main(article_id: str, article: dict[str, Any] | None) -> str:
    if article is None:
        return f"<h1>기사 {escape(article_id)}</h1>\n<p>데모 카탈로그에 없는 기사입니다. 조회는 기록됩니다.</p>"
    return (
        # no date: the demo moves the catalog's dates to "now" when it loads them, this file keeps the originals
        f'<p class="section">{escape(_section_name(article["section"]))}</p>\n'
        f"<h1>{escape(article['title'])}</h1>\n"
        f'<p class="summary">{escape(article.get("summary") or "")}</p>\n'
        "<p>본문은 데모용 자리 표시입니다. 이 페이지가 열릴 때마다 트래커가 조회를 한 번 보냅니다.</p>\n"
        '<p><a href="/">← 첫 화면</a></p>'
    )


def _section_name(section: str) -> str:
    return SECTION_NAMES.get(section, section)


_PAGE = """<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{heading}mostread demo</title>
<link rel="stylesheet" href="/static/demo.css">
<script>window.mostreadConfig = Object.assign({{api: location.origin}}, {config});</script>
{tracker}
<script async src="/v1/assets/widget.v1.js"></script>
</head>
<body>
<header><a class="brand" href="/">mostread demo</a> <span>로컬 데모 뉴스</span></header>
<div class="layout">
<main>
{main}
</main>
<aside>
<div data-mostread-widget data-window="1h" data-limit="10" data-title="지금 많이 본 뉴스"></div>
<div data-mostread-widget data-window="24h" data-limit="5" data-summary="true"></div>
</aside>
</div>
</body>
</html>
"""
