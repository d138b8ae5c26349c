"""Every key format of the table, defined once.

One table, string keys ``pk`` / ``sk``. The prefix of ``pk`` names the access pattern; the IAM
policies in template.yaml grant each function only the prefixes it uses (dynamodb:LeadingKeys).
"""

from __future__ import annotations

import zlib

VIEW = "view#"  # one item per recorded view, keyed by its event key: spreads any article over many keys
SALT = "salt#"  # the daily visitor-hash salt
LOG = "log#"  # compact view log of one dedupe slot, written in chunks by the stream consumer
SLOT_INDEX = "slots"  # one item per slot with logged views: when it last received some, when it was summarised
SUMMARY = "sum#"  # per-slot deduplicated counts, per article and 5-minute bucket
BASE = "base#"  # per-window totals over complete, summarised slots
LIST = "list#"  # precomputed ranking lists, one item each, read with one GetItem
COUNTS = "counts#"  # per-article window counts, in chunks
LATEST_RUN = "counts#latest-run"  # when the latest ranking run finished: the read path's "as of"
ARTICLE = "article#"  # the catalog
RUN_STATE = "state#ranking"  # bookkeeping of the ranking run
EDITORIAL = "editorial"  # exclusions and pins, one partition: the ranking run reads them all with one Query

ITEM = "-"  # sort key of single-item partitions

COUNT_CHUNKS = 8
CATALOG_SHARDS = 8
CATALOG_INDEX = "catalog"


def stable_bucket(text: str, buckets: int) -> int:
    return zlib.crc32(text.encode()) % buckets


def view_key(event_key: str) -> str:
    return VIEW + event_key


def salt_key(day: str) -> str:
    return SALT + day


def log_key(slot: int) -> str:
    return f"{LOG}{slot}"


def summary_key(slot: int) -> str:
    return f"{SUMMARY}{slot}"


def base_key(window: str) -> str:
    return BASE + window


def list_key(kind: str, window: str, section: str | None) -> str:
    return f"{LIST}{kind}#{window}#{section or '*'}"


def list_of_key(key: str) -> tuple[str, str, str | None]:
    """(kind, window, section) of a ``list_key``."""
    kind, window, section = key.removeprefix(LIST).split("#", 2)
    return kind, window, None if section == "*" else section


def counts_key(article_id: str) -> str:
    return f"{COUNTS}{stable_bucket(article_id, COUNT_CHUNKS)}"


def counts_chunk_key(chunk: int) -> str:
    return f"{COUNTS}{chunk}"


def article_key(article_id: str) -> str:
    return ARTICLE + article_id


def catalog_shard(article_id: str) -> str:
    return f"catalog#{stable_bucket(article_id, CATALOG_SHARDS)}"


def catalog_shards() -> list[str]:
    return [f"catalog#{n}" for n in range(CATALOG_SHARDS)]


def exclusion_sort_key(article_id: str) -> str:
    return f"exclusion#{article_id}"


def pin_sort_key(article_id: str) -> str:
    return f"pin#{article_id}"
