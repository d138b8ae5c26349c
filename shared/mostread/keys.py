"""Every key format of the tables, defined once.

One table, string keys ``pk`` / ``sk``. The prefix of ``pk`` names the access pattern; the IAM policies in
template.yaml grant each function only the prefixes it uses (dynamodb:LeadingKeys). The daily salts live in a
table of their own (no backups, no stream) under the same ``salt#`` keys.
"""

from __future__ import annotations

import zlib

from mostread.timebuckets import Slot

VIEW = "view#"  # one item per recorded view, keyed by its event key: spreads any article over many keys
SALT = "salt#"  # the daily visitor-hash salt (in the salts table)
LOG = "log#"  # compact view log of one dedupe slot, written in chunks by the stream consumer
ORPHAN_ROWS = "orow#"  # log rows of articles not (yet) in the catalog, by article partition, for the slot's seal
SLOT_INDEX = "slots"  # one item per slot with logged views: when it last received some, when it was summarised
SUMMARY = "sum#"  # a sealed slot's deduplicated counts of the articles catalogued when it was sealed
ORPHAN_SUMMARY = "osum#"  # the same for the other ids, by article partition, looked up when an article registers
BASE = "base#"  # per-window totals over sealed slots
LIST = "list#"  # precomputed ranking lists, one item each, read with one GetItem
COUNTS = "counts#"  # per-article window counts, in chunks
LATEST_RUN = "counts#latest-run"  # when the latest ranking run finished, and how many count chunks it wrote
ARTICLE = "article#"  # the catalog
CATALOG_LOG = "catalog-log"  # every catalog change, so a ranking run reads changes, not the whole catalog
RUN_STATE = "state#ranking"  # bookkeeping of the ranking run
LEASE = "state#lease"  # held by the one ranking run that may run now
EDITORIAL = "editorial"  # exclusions and pins, one partition: the ranking run reads them all with one Query
ARCHIVE = "arch#"  # the calendar archive's work: its state, the day being added up, day and month totals
ARCHIVE_LIST = "archlist#"  # the published lists of ended calendar periods (the only archive keys the reader reads)
ARCHIVE_STATE = "arch#state"  # which day the archive adds up next and which weeks, months, years wait to be listed
ARCHIVE_DAY_IN_PROGRESS = "arch#acc"  # the totals of the day being added up, slot by slot, over several runs

ITEM = "-"  # sort key of single-item partitions

CATALOG_SHARDS = 8
CATALOG_INDEX = "catalog"
# ids are spread over this many partitions in the orphan rows and orphan summaries, so that registering one
# article reads one partition of each slot, whatever the number of uncatalogued ids
ORPHAN_PARTITIONS = 32


def stable_bucket(text: str, buckets: int) -> int:
    return zlib.crc32(text.encode()) % buckets


def orphan_partition(article_id: str) -> int:
    return stable_bucket(article_id, ORPHAN_PARTITIONS)


def view_key(event_key: str) -> str:
    return VIEW + event_key


def salt_key(day: str) -> str:
    return SALT + day


def slot_name(slot: Slot) -> str:
    """``<start, 12 digits>+<seconds>``: sorts by start; the length keeps slots of another DedupeMinutes apart."""
    return f"{slot.start:012d}+{slot.seconds}"


def slot_of_name(name: str) -> Slot:
    start, seconds = name.split("+", 1)
    return Slot(int(start), int(seconds))


def log_key(slot: Slot) -> str:
    return LOG + slot_name(slot)


def log_chunk_sort_key(written_ms: int, chunk_id: str) -> str:
    """Log chunks sort by when they were written, so a ranking run reads only those newer than its last read."""
    return f"{written_ms:013d}#{chunk_id}"


def written_ms_of(chunk_sort_key: str) -> int:
    return int(chunk_sort_key.split("#", 1)[0])


def orphan_rows_key(slot: Slot, partition: int) -> str:
    """A partition key per id partition: a minute of a junk flood spreads its writes over ORPHAN_PARTITIONS keys
    instead of putting them all on one (DynamoDB takes at most 1,000 write units a second per key)."""
    return f"{ORPHAN_ROWS}{slot_name(slot)}#{partition:02d}"


def orphan_rows_sort_key(source_chunk: str) -> str:
    """One item per (log chunk, partition): reading a log chunk again writes the same items again."""
    return source_chunk


def summary_key(slot: Slot) -> str:
    return SUMMARY + slot_name(slot)


def orphan_summary_key(slot: Slot) -> str:
    return ORPHAN_SUMMARY + slot_name(slot)


def base_key(window: str) -> str:
    return BASE + window


def list_key(kind: str, window: str, section: str | None) -> str:
    return f"{LIST}{kind}#{window}#{section or '*'}"


def list_of_key(key: str) -> tuple[str, str, str | None]:
    """(kind, window, section) of a ``list_key``."""
    kind, window, section = key.removeprefix(LIST).split("#", 2)
    return kind, window, None if section == "*" else section


def counts_chunk_of(article_id: str, chunks: int) -> int:
    return stable_bucket(article_id, chunks)


def counts_chunk_key(chunk: int) -> str:
    return f"{COUNTS}{chunk}"


def article_key(article_id: str) -> str:
    return ARTICLE + article_id


def catalog_shard(article_id: str) -> str:
    return f"catalog#{stable_bucket(article_id, CATALOG_SHARDS)}"


def catalog_shards() -> list[str]:
    return [f"catalog#{n}" for n in range(CATALOG_SHARDS)]


def catalog_log_sort_key(changed_ms: int, article_id: str, change_id: str = "") -> str:
    """Changes sort by time; ``change_id`` keeps two changes of one article in one millisecond apart (a first
    registration and the update right after it must both be seen)."""
    return f"{changed_ms:013d}#{article_id}#{change_id}"


def exclusion_sort_key(article_id: str) -> str:
    return f"exclusion#{article_id}"


def pin_sort_key(article_id: str) -> str:
    return f"pin#{article_id}"


def archive_day_key(day: str) -> str:
    """A finalised day's per-article listed views (``YYYY-MM-DD`` in the site's zone)."""
    return f"{ARCHIVE}day#{day}"


def archive_month_key(month: str) -> str:
    """A month's per-article listed views, added up day by day, so a year's list reads 12 of these, not 365 days."""
    return f"{ARCHIVE}month#{month}"


def archive_list_key(period: str, section: str | None) -> str:
    return f"{ARCHIVE_LIST}{period}#{section or '*'}"
