"""The catalog's and the rankings query's models: ``mostread.models`` has the rules and the views' models, and
``mostread.editorial_models`` the editorial controls'. Apart from those so that the tracker, the most frequent cold
start, never builds these (each dataclass costs its share of a cold start, BENCHMARKS.md section 1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from mostread.models import (
    KIND_WINDOWS,
    LIST_FORMATS,
    SUMMARY_LENGTH,
    TITLE_LENGTH,
    WHOLE_NUMBER_PATTERN,
    Kind,
    ListFormat,
    Model,
    Stored,
    _article_id_ok,
    _passes,
    _period_ok,
    _plain_text,
    _regex,
    _section_ok,
    _timestamp_ok,
    _url_ok,
)
from mostread.timebuckets import WindowName


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleIn(Model):
    """The catalog entry a CMS stores for an article."""

    title: str
    url: str
    section: str
    published_at: str
    thumbnail_url: str | None = None
    summary: str | None = None
    # articles of one developing story share it; every list shows a story once
    story_id: str | None = None

    @classmethod
    def checked(cls, data: Any) -> Self | None:
        if type(data) is not dict:
            return None
        title, url, section, published_at = (data.get(name) for name in ("title", "url", "section", "published_at"))
        thumbnail_url, summary, story_id = data.get("thumbnail_url"), data.get("summary"), data.get("story_id")
        if (
            _passes(title, TITLE_LENGTH, _plain_text)
            and _url_ok(url)
            and _section_ok(section)
            and _timestamp_ok(published_at)
            and (thumbnail_url is None or _url_ok(thumbnail_url))
            and (summary is None or _passes(summary, SUMMARY_LENGTH, _plain_text))
            and (story_id is None or _article_id_ok(story_id))
        ):
            return cls(
                title=title,
                url=url,
                section=section,
                published_at=published_at,
                thumbnail_url=thumbnail_url,
                summary=summary,
                story_id=story_id,
            )
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Article(Stored, ArticleIn):
    article_id: str

    @property
    def published_ts(self) -> float:
        return datetime.fromisoformat(self.published_at).timestamp()


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticlePath(Model):
    """The article id a path names."""

    article_id: str

    @classmethod
    def checked(cls, data: Any) -> ArticlePath | None:
        if type(data) is dict and data.keys() == {"article_id"} and _article_id_ok(data["article_id"]):
            return cls(article_id=data["article_id"])
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class RankingQuery(Model):
    kind: Kind = "most_read"
    window: WindowName = "24h"
    section: str | None = None
    limit: int = 10
    # a calendar period (mostread.periods) instead of the moving window
    period: str | None = None
    format: ListFormat = "json"

    @classmethod
    def checked(cls, data: Any) -> RankingQuery | None:
        if type(data) is not dict or not data.keys() <= {"kind", "window", "section", "limit", "period", "format"}:
            return None
        period = data.get("period")
        kind, window = data.get("kind", "most_read"), data.get("window", "24h")
        section, limit, format = data.get("section"), data.get("limit", 10), data.get("format", "json")
        if type(limit) is str and _regex(WHOLE_NUMBER_PATTERN).fullmatch(limit):
            limit = int(limit)
        if (
            type(kind) is str
            and kind in KIND_WINDOWS
            and type(window) is str
            and window in KIND_WINDOWS[kind]
            and (section is None or _section_ok(section))
            and type(limit) is int
            and 1 <= limit <= 50
            and (period is None or _period_ok(period))
            and format in LIST_FORMATS
        ):
            return cls(kind=kind, window=window, section=section, limit=limit, period=period, format=format)
        return None
