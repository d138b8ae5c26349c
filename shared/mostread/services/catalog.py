"""The catalog: what a CMS tells us about its articles."""

from __future__ import annotations

from typing import Any

from mostread import codec
from mostread.article_models import Article, ArticleIn
from mostread.clock import system_clock
from mostread.dal import catalog
from mostread.dal.client import default_db
from mostread.errors import NotFound


def put_article(article_id: str, fields: ArticleIn) -> Article:
    """Register or replace an article (a checked id, validated fields); returns what was stored."""
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
