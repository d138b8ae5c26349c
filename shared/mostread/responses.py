"""What the API answers, as pydantic models: for the OpenAPI document (mostread.openapi) and the tests that
hold the services to it. Nothing on the request path imports this module, so it costs no cold start."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from mostread.models import Kind
from mostread.periods import PERIOD_PATTERN
from mostread.schemas import Exclusion, Pin
from mostread.timebuckets import WindowName

_RESPONSE = ConfigDict(defer_build=True)


class RankingItem(BaseModel):
    """One article of a list: its catalog card, its counts and where it stood in the previous run."""

    model_config = _RESPONSE

    rank: int = Field(ge=1, description="Position in the list, 1-based, after pins and exclusions.")
    article_id: str
    title: str = Field(description="As the CMS stored it, e.g. 「서울 첫눈, 예년보다 일주일 빨라」.")
    url: str
    section: str
    published_at: str = Field(description="ISO-8601 with the offset the CMS gave, e.g. 2026-11-27T08:00:00+09:00.")
    thumbnail_url: str | None
    summary: str | None = Field(description="The short excerpt a widget shows under the title, or null.")
    views: int = Field(
        ge=0, description="Views counted in the window; in engaged lists, engaged readers (distinct visitors)."
    )
    story_id: str | None = Field(
        description="The article's story (its catalog story_id), or null. A list shows each story once, as its "
        "most-viewed article in the window (ties as the list's order; a pinned article stands for its story)."
    )
    story_articles: int = Field(
        ge=1,
        description="How many articles of the story had views in the window among the list's candidates "
        "(the widget's 관련 기사 N건); 1 for an article without story_id.",
    )
    previous_rank: int | None = Field(
        description="Rank in the list as served by the previous run of the same list, or null if it was not in it."
    )
    score: float | SkipJsonSchema[None] = Field(
        default=None, description="Trending lists only: the trending score the list is ordered by."
    )
    read_rate: Annotated[float, Field(ge=0, le=1)] | SkipJsonSchema[None] = Field(
        default=None,
        description="Engaged lists only: engaged readers ÷ counted views of the article in the window (widget "
        "clicks included), 0 to 1, to three places.",
    )


class RankingPage(BaseModel):
    """GET /v1/rankings: one published list (많이 본 뉴스, 급상승 뉴스 or 끝까지 읽은 뉴스)."""

    model_config = _RESPONSE

    kind: Kind
    window: WindowName | SkipJsonSchema[None] = Field(
        default=None, description="The moving window of the list; absent from a calendar period's list."
    )
    period: str | SkipJsonSchema[None] = Field(
        default=None,
        description="The calendar period of an archive list (asked with `period`), instead of `window`.",
        pattern=PERIOD_PATTERN,
    )
    section: str | None = Field(description="The section of the list, or null for the all-sections list.")
    generated_at: str | None = Field(
        description="ISO-8601 UTC time of the ranking run that produced the list; null before the first run (for a "
        "calendar period: before the archive has computed its list, a few minutes after the period's end)."
    )
    items: list[RankingItem] = Field(description="At most `limit` items; empty before the first run.")


class WindowViews(BaseModel):
    model_config = ConfigDict(defer_build=True, populate_by_name=True)

    last_hour: int = Field(alias="1h", ge=0)
    last_day: int = Field(alias="24h", ge=0)
    last_week: int = Field(alias="7d", ge=0)


class ArticleViews(BaseModel):
    """GET /v1/articles/{article_id}/views: one article's counts as of the latest ranking run."""

    model_config = _RESPONSE

    article_id: str
    views: WindowViews = Field(description="Views counted in each window; zeros for an article never viewed.")
    generated_at: str | None = Field(description="ISO-8601 UTC time of the ranking run, or null before the first.")


class ErrorDetail(BaseModel):
    model_config = _RESPONSE

    code: str = Field(
        pattern=r"^[a-z_]+$",
        description="snake_case, e.g. invalid_field, not_found, body_too_large, service_unavailable.",
    )
    message: str = Field(description="Human readable.")
    field: str | None = Field(description="The offending field or parameter, e.g. views[1].event_id, or null.")


class ErrorBody(BaseModel):
    """Every 4xx the functions answer (never a 5xx for anything the client sent), and the 503 (with Retry-After)
    they answer when a dependency is down or throttled."""

    model_config = _RESPONSE

    error: ErrorDetail


class EditorialListing(BaseModel):
    """GET /v1/editorial: the exclusions and pins in force (expired ones omitted)."""

    model_config = _RESPONSE

    exclusions: list[Exclusion]
    pins: list[Pin]
