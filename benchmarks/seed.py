"""Seed data in the service's own item formats: written by mostread's data-access functions into the in-memory
fake, then bulk-loaded (BatchWriteItem) into DynamoDB Local when a benchmark needs it there."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from mostread import codec, keys
from mostread.dal import aggregates, viewlog
from mostread.services import catalog as catalog_service
from mostread.timebuckets import FINE_SECONDS, HOUR_SECONDS, LONGEST_WINDOW

from benchmarks.common import dynamodb_replaced_by
from benchmarks.fakes import FakeDynamoDB, Item
from benchmarks.workload import CatalogArticle, Zipf

BATCH_BYTES = 12 * 1024 * 1024  # BatchWriteItem takes at most 16 MB and 25 items


def write_catalog(fake: FakeDynamoDB, articles: Iterable[CatalogArticle]) -> None:
    """Catalog items exactly as the CMS's PUT stores them, into ``fake``."""
    with dynamodb_replaced_by(fake):
        put_articles(articles)


def put_articles(articles: Iterable[CatalogArticle]) -> None:
    """The CMS's PUT of each article through the catalog service (validation, version, item), with whatever
    client the service uses: the ranking run can then reuse published cards, as it does in production."""
    for article in articles:
        body = {
            "title": article.title,
            "url": article.url,
            "section": article.section,
            "published_at": article.published_at,
            "thumbnail_url": article.thumbnail_url,
            "summary": article.summary,
        }
        catalog_service.put_article(article.article_id, json.dumps(body, ensure_ascii=False).encode())


SlotCounts = dict[str, list[int]]


def summary_variants(
    article_ids: Sequence[str],
    counted_per_slot: int,
    variants: int,
    seed: int,
    slot_seconds: int,
    rotation: int = 0,
    pool: int | None = None,
) -> list[SlotCounts]:
    """Per-slot deduplicated counts (article -> views per 5-minute bucket) of Zipf traffic over the first ``pool``
    articles (default: all of them).

    Variant ``v`` shifts popularity by ``v * rotation`` articles, as the news of the day changes over a week."""
    buckets = slot_seconds // FINE_SECONDS
    zipf = Zipf(pool or len(article_ids))
    result = []
    for variant in range(variants):
        rng = random.Random(seed * 1000 + variant)
        shift = variant * rotation
        size = len(article_ids)
        tally = Counter(
            ((draw + shift) % size) * buckets + position % buckets
            for position, draw in enumerate(zipf.draw(rng, counted_per_slot))
        )
        counts: SlotCounts = {}
        for key, views in tally.items():
            row = counts.setdefault(article_ids[key // buckets], [0] * buckets)
            row[key % buckets] += views
        result.append(counts)
    return result


@contextmanager
def _packing_memoised() -> Iterator[None]:
    """Pack each distinct mapping once: slots that share a variant share its blobs (packing dominates seeding)."""
    original = codec.pack_mapping_in_chunks
    memo: dict[int, list[bytes]] = {}

    def pack(mapping: dict[str, Any], chunk_bytes: int = codec.CHUNK_BYTES) -> list[bytes]:
        if id(mapping) not in memo:
            memo[id(mapping)] = original(mapping, chunk_bytes)
        return memo[id(mapping)]

    codec.pack_mapping_in_chunks = pack
    try:
        yield
    finally:
        codec.pack_mapping_in_chunks = original


def write_history(
    fake: FakeDynamoDB,
    slots: Sequence[int],
    variants: Sequence[SlotCounts],
    slot_seconds: int,
    grace_seconds: int,
    retention_days: int,
) -> None:
    """Sealed slots, as the ranking run leaves them: a summary per slot and the slot index marked summarised.

    The arguments mirror what ``ranking_run._summarise`` and the stream consumer pass."""
    with dynamodb_replaced_by(fake), _packing_memoised():
        for number, slot in enumerate(slots):
            sealed_ms = (slot + slot_seconds + grace_seconds) * 1000
            expires_at = slot + LONGEST_WINDOW.seconds + 2 * HOUR_SECONDS
            aggregates.put_chunked(
                keys.summary_key(slot), variants[number % len(variants)], {"slot": slot}, sealed_ms, expires_at
            )
            viewlog.mark_slot(slot, sealed_ms - 60_000, slot + retention_days * 86400)
            viewlog.set_summarised(slot, sealed_ms - 60_000)


def load_into(client: Any, table: str, items: Iterable[Item], threads: int = 4) -> int:
    """BatchWriteItem ``items`` into ``table`` (unprocessed items retried); returns how many were written."""
    batches: list[list[Item]] = []
    batch: list[Item] = []
    size = 0
    for item in items:
        item_bytes = sum(len(value.get("B", b"")) for value in item.values()) + 1024
        if batch and (len(batch) == 25 or size + item_bytes > BATCH_BYTES):
            batches.append(batch)
            batch, size = [], 0
        batch.append(item)
        size += item_bytes
    if batch:
        batches.append(batch)

    def write(batch: list[Item]) -> None:
        request: dict[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in batch]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(write, batches))
    return sum(len(batch) for batch in batches)
