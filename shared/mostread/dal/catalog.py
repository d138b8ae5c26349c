"""Access pattern: the article catalog. Items by id, a sparse index the ranking run reads whole when it starts
cold, and a log of changes (``catalog-log``) a warm ranking run reads instead: the ids changed since its last
run, and which of them are new (registered for the first time), whose earlier views it then adds in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mostread import keys
from mostread.article_models import Article
from mostread.catalog_entry import CatalogEntry
from mostread.dal.client import Db, batch_get, condition_held, is_live, query_all

_OPTIONAL = ("thumbnail_url", "summary", "story_id")
CHANGE_LOG_SECONDS = 8 * 86400  # longer than any ranking outage a warm run would catch up from


def put_article(db: Db, article: Article, version: str, now: float) -> None:
    """Store the article; a first registration is logged as new before the article is written, so a crash in
    between cannot lose it (the CMS's retry finds no article and logs it as new again)."""
    exists = (
        db.client.get_item(TableName=db.table, Key=_key(article.article_id), ReturnConsumedCapacity="TOTAL").get("Item")
        is not None
    )
    _log_change(db, article.article_id, new=not exists, now=now)
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
    db.client.put_item(TableName=db.table, Item=item, ReturnConsumedCapacity="TOTAL")


def get_article(db: Db, article_id: str) -> Article | None:
    found = db.client.get_item(TableName=db.table, Key=_key(article_id), ReturnConsumedCapacity="TOTAL").get("Item")
    return _article(found) if found else None


def delete_article(db: Db, article_id: str, now: float) -> bool:
    """True when something was deleted."""
    deleted = condition_held(
        lambda: db.client.delete_item(
            TableName=db.table,
            Key=_key(article_id),
            ConditionExpression="attribute_exists(pk)",
            ReturnConsumedCapacity="TOTAL",
        )
    )
    if deleted:
        _log_change(db, article_id, new=False, now=now)
    return deleted


def catalog_entries(db: Db) -> Iterator[CatalogEntry]:
    """Every catalogued article, from the sparse ``catalog`` index (ids, sections, dates, versions, stories only)."""
    for shard in keys.catalog_shards():
        for item in query_all(db, shard, index=keys.CATALOG_INDEX, key_attribute="catalog_shard"):
            yield _entry(item)


def entries_of(db: Db, article_ids: Iterable[str]) -> dict[str, CatalogEntry]:
    """The current entries of these ids (strongly consistent); an id not in the catalog is left out."""
    item_keys = [_key(article_id) for article_id in dict.fromkeys(article_ids)]
    entries = (_entry(item) for item in batch_get(db, item_keys, consistent=True))
    return {entry.article_id: entry for entry in entries}


@dataclass(frozen=True, slots=True)
class CatalogChange:
    sort_key: str
    article_id: str
    new: bool


def changes_after(db: Db, after: str | None, now: float) -> Iterator[CatalogChange]:
    """Catalog changes logged after sort key ``after`` (all kept ones when None), oldest first."""
    for item in query_all(db, keys.CATALOG_LOG, consistent=True, sk_after=after):
        if is_live(item, now):
            yield CatalogChange(item["sk"]["S"], item["article_id"]["S"], item.get("new", {}).get("BOOL", False))


def get_articles(db: Db, article_ids: Iterable[str], consistent: bool = False) -> dict[str, Article]:
    """Full catalog items for the given ids (BatchGetItem, 100 at a time, unprocessed keys retried)."""
    item_keys = [_key(article_id) for article_id in dict.fromkeys(article_ids)]
    articles = (_article(item) for item in batch_get(db, item_keys, consistent=consistent))
    return {article.article_id: article for article in articles}


def _log_change(db: Db, article_id: str, *, new: bool, now: float) -> None:
    db.client.put_item(
        TableName=db.table,
        Item={
            "pk": {"S": keys.CATALOG_LOG},
            "sk": {"S": keys.catalog_log_sort_key(int(now * 1000), article_id, uuid.uuid4().hex[:12])},
            "article_id": {"S": article_id},
            "new": {"BOOL": new},
            "expires_at": {"N": str(int(now) + CHANGE_LOG_SECONDS)},
        },
        ReturnConsumedCapacity="TOTAL",
    )


def _entry(item: dict[str, Any]) -> CatalogEntry:
    return CatalogEntry(
        article_id=item["article_id"]["S"],
        section=item["section"]["S"],
        published_ts=datetime.fromisoformat(item["published_at"]["S"]).timestamp(),
        version=item["version"]["S"],
        story_id=item.get("story_id", {}).get("S"),
    )


def _article(item: dict[str, Any]) -> Article:
    return Article(
        article_id=item["article_id"]["S"],
        title=item["title"]["S"],
        url=item["url"]["S"],
        section=item["section"]["S"],
        published_at=item["published_at"]["S"],
        thumbnail_url=item.get("thumbnail_url", {}).get("S"),
        summary=item.get("summary", {}).get("S"),
        story_id=item.get("story_id", {}).get("S"),
    )


def _key(article_id: str) -> dict[str, Any]:
    return {"pk": {"S": keys.article_key(article_id)}, "sk": {"S": keys.ITEM}}
