"""The archive's pure parts: a day's share of a slot, and a period's lists."""

from __future__ import annotations

from mostread.archive import add_slot_to_day, catalogued, period_lists
from mostread.catalog_entry import CatalogEntry
from mostread.counting import capped_key, widget_key
from mostread.timebuckets import Slot

MIDNIGHT = 1_798_729_200  # 2026-12-31T15:00:00Z: midnight in Seoul, 2027-01-01


def entry(article_id: str, section: str = "politics", published: float = 0.0) -> CatalogEntry:
    return CatalogEntry(article_id, section, published, "v1")


def test_a_slot_straddling_midnight_gives_each_day_its_buckets():
    slot = Slot(MIDNIGHT - 1800, 3600)  # a 60-minute slot half in each day
    counts = {"a": [1] * 6 + [10] * 6, widget_key("a"): [0] * 5 + [1] + [0] * 6, capped_key("a"): [5] * 12}
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    add_slot_to_day(before, counts, slot, MIDNIGHT - 86400, MIDNIGHT)
    add_slot_to_day(after, counts, slot, MIDNIGHT, MIDNIGHT + 86400)
    assert before == {"a": 6, widget_key("a"): 1}  # capped views are not kept
    assert after == {"a": 60}


def test_period_lists_order_by_views_then_newer_then_id_with_no_age_limit():
    catalog = {
        "old": entry("old", published=0.0),  # published long ago: still listed (evergreen)
        "new": entry("new", published=100.0),
        "b": entry("b", "sports", 50.0),
        "a": entry("a", "sports", 50.0),
    }
    lists = period_lists({"old": 5, "new": 5, "a": 7, "b": 7, "junk": 100}, catalog, depth=3)
    assert [item.article_id for item in lists[None]] == ["a", "b", "new"]
    assert [item.article_id for item in lists["sports"]] == ["a", "b"]
    assert [item.article_id for item in lists["politics"]] == ["new", "old"]


def test_excluded_sections_leave_only_the_all_sections_list():
    catalog = {"a": entry("a", "ads"), "b": entry("b")}
    lists = period_lists({"a": 9, "b": 1}, catalog, depth=10, excluded_sections={"ads"})
    assert [item.article_id for item in lists[None]] == ["b"]
    assert [item.article_id for item in lists["ads"]] == ["a"]


def test_only_catalogued_articles_stay():
    assert catalogued({"a": 3, "gone": 4, "z": 0}, {"a", "z"}) == {"a": 3}
