"""The catalog: what a CMS tells us about its articles."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from mostread import codec
from mostread.clock import system_clock
from mostread.dal import catalog
from mostread.dal.client import default_db
from mostread.errors import NotFound
from mostread.http import json_object
from mostread.models import Article, ArticleId, ArticleIn, validate

MAX_ARTICLE_BODY_BYTES = 64 * 1024


class _ArticlePath(BaseModel):
    model_config = ConfigDict(extra="forbid")
    article_id: ArticleId


def checked_article_id(raw: str | None) -> str:
    path: _ArticlePath = validate(_ArticlePath, {"article_id": raw})
    return path.article_id


def put_article(article_id: str, body: bytes | None) -> Article:
    fields: ArticleIn = validate(ArticleIn, json_object(body, MAX_ARTICLE_BODY_BYTES))
    article = Article(article_id=article_id, **fields.model_dump())
    catalog.put_article(default_db(), article, catalog_version(article.model_dump()), system_clock())
    return article


def get_article(article_id: str) -> Article:
    article = catalog.get_article(default_db(), article_id)
    if article is None:
        raise NotFound(f"article {article_id} is not in the catalog", "article_id")
    return article


def delete_article(article_id: str) -> None:
    if not catalog.delete_article(default_db(), article_id, system_clock()):
        raise NotFound(f"article {article_id} is not in the catalog", "article_id")


def catalog_version(fields: dict[str, Any]) -> str:
    """Changes whenever anything shown for an article changes; the ranking run refreshes its cards by it."""
    return codec.digest(fields)
