"""The calendar archive's arithmetic: a day's totals from sealed slots, and a period's lists. Pure; no AWS.

A slot's counts are per 5-minute bucket, so a slot that straddles a site-day's midnight (slots are aligned to UTC;
zones with :30 or :45 offsets, or 60-minute slots) gives each day its own buckets. Capped views are left out: a
day keeps only what lists can count (each article's counted views and its widget clicks).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from mostread.catalog_entry import CatalogEntry
from mostread.counting import CAPPED_KEY_PREFIX, SlotCounts
from mostread.ranking import Ranked, list_candidates, top_articles
from mostread.timebuckets import Slot


def add_slot_to_day(totals: dict[str, int], counts: SlotCounts, slot: Slot, day_start: float, day_end: float) -> None:
    """Add the buckets of ``slot`` that start inside ``[day_start, day_end)``."""
    inside = [index for index in range(slot.buckets) if day_start <= slot.bucket_start(index) < day_end]
    if not inside:
        return
    whole = len(inside) == slot.buckets
    for count_key, row in counts.items():
        if count_key.startswith(CAPPED_KEY_PREFIX):
            continue
        views = sum(row) if whole else sum(row[index] for index in inside if index < len(row))
        if views > 0:
            totals[count_key] = totals.get(count_key, 0) + views


def add_totals(into: dict[str, int], parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    for part in parts:
        for article_id, views in part.items():
            into[article_id] = into.get(article_id, 0) + views
    return into


def catalogued(totals: Mapping[str, int], catalog: Collection[str]) -> dict[str, int]:
    """Only articles the catalog has now: ids deleted since, or never registered, leave the archive."""
    return {article_id: views for article_id, views in totals.items() if views > 0 and article_id in catalog}


def period_lists(
    totals: Mapping[str, int], catalog: Mapping[str, CatalogEntry], depth: int, excluded_sections: Collection[str] = ()
) -> dict[str | None, list[Ranked]]:
    """Every list of one period (all sections under ``None``, and each section with views), ``depth`` deep, in
    most-read order: views desc, newer published first, article id. The one place period lists are ordered.

    Unlike the live lists, the maximum article age does not apply: an evergreen article read all year belongs in
    the year's list. Editors' exclusions are applied when the lists are read (they may change afterwards)."""
    return {
        section: top_articles(values, catalog, depth)
        for section, values in list_candidates(totals, catalog, excluded_sections).items()
    }
