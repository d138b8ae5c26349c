"""Access pattern: the article catalog. Items by id, plus a sparse index the ranking run reads whole."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from mostread import keys
from mostread.dal.client import batch_get, condition_held, dynamodb, query_all, table_name
from mostread.models import Article
from mostread.ranking import CatalogEntry

_OPTIONAL = ("thumbnail_url", "summary")


def put_article(article: Article, version: str) -> None:
    item: dict[str, Any] = {
        "pk": {"S": keys.article_key(article.article_id)},
        "sk": {"S": keys.ITEM},
        "catalog_shard": {"S": keys.catalog_shard(article.article_id)},
        "article_id": {"S": article.article_id},
        "title": {"S": article.title},
        "url": {"S": article.url},
        "section": {"S": article.section},
        "published_at": {"S": article.published_at},
        "published_ts": {"N": repr(article.published_ts)},
        "version": {"S": version},
    }
    for name in _OPTIONAL:
        value = getattr(article, name)
        if value is not None:
            item[name] = {"S": value}
    dynamodb().put_item(TableName=table_name(), Item=item, ReturnConsumedCapacity="TOTAL")


def get_article(article_id: str) -> Article | None:
    found = (
        dynamodb().get_item(TableName=table_name(), Key=_key(article_id), ReturnConsumedCapacity="TOTAL").get("Item")
    )
    return _article(found) if found else None


def delete_article(article_id: str) -> bool:
    """True when something was deleted."""
    return condition_held(
        lambda: dynamodb().delete_item(
            TableName=table_name(),
            Key=_key(article_id),
            ConditionExpression="attribute_exists(pk)",
            ReturnConsumedCapacity="TOTAL",
        )
    )


def catalog_entries() -> Iterator[CatalogEntry]:
    """Every catalogued article, from the sparse ``catalog`` index (ids, sections, dates, versions only)."""
    for shard in keys.catalog_shards():
        for item in query_all(shard, index=keys.CATALOG_INDEX, key_attribute="catalog_shard"):
            yield CatalogEntry(
                article_id=item["article_id"]["S"],
                section=item["section"]["S"],
                published_ts=_published_ts(item["published_at"]["S"]),
                version=item["version"]["S"],
            )


def get_articles(article_ids: Iterable[str], consistent: bool = False) -> dict[str, Article]:
    """Full catalog items for the given ids (BatchGetItem, 100 at a time, unprocessed keys retried)."""
    item_keys = [_key(article_id) for article_id in dict.fromkeys(article_ids)]
    articles = (_article(item) for item in batch_get(item_keys, consistent=consistent))
    return {article.article_id: article for article in articles}


def _published_ts(published_at: str) -> float:
    return datetime.fromisoformat(published_at).timestamp()


def _article(item: dict[str, Any]) -> Article:
    return Article(
        article_id=item["article_id"]["S"],
        title=item["title"]["S"],
        url=item["url"]["S"],
        section=item["section"]["S"],
        published_at=item["published_at"]["S"],
        thumbnail_url=item.get("thumbnail_url", {}).get("S"),
        summary=item.get("summary", {}).get("S"),
    )


def _key(article_id: str) -> dict[str, Any]:
    return {"pk": {"S": keys.article_key(article_id)}, "sk": {"S": keys.ITEM}}
