"""What counts: the rules that turn the recorded view log into counts. Pure; no AWS.

A recorded view becomes a log entry. Counting happens per dedupe slot: within one slot a visitor
counts once per article, at the time of their first view. Because counting is a function of the
*set* of entries, an entry delivered twice (a retried or bisected stream batch, a repeated run)
changes nothing.

Self-feeding protection: a counted view whose first entry came from the widget itself
(``ref=mostread``) is also counted under the article's *widget key*. Every aggregate (summaries,
window bases, totals) carries both keys through the same sums, so the lists can subtract widget
clicks while the article's own counts keep them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mostread.timebuckets import FINE_SECONDS, Window, fine_bucket


@dataclass(frozen=True, slots=True)
class LoggedView:
    """One recorded view, as rich as counting-time rules need. Visitor and address are salted hashes."""

    article_id: str
    visitor: str
    received_ms: int
    event_key: str
    address: str = ""
    ref: str = ""
    weight: int = 1

    def to_row(self) -> list[object]:
        return [
            self.article_id,
            self.visitor,
            self.received_ms,
            self.event_key,
            self.address,
            self.ref,
            self.weight,
        ]

    @classmethod
    def from_row(cls, row: list[object]) -> LoggedView:
        article_id, visitor, received_ms, event_key, address, ref, weight = row
        return cls(
            str(article_id),
            str(visitor),
            int(str(received_ms)),
            str(event_key),
            str(address),
            str(ref),
            int(str(weight)),
        )


WIDGET_REF = "mostread"
# "@" cannot start an article id (see models.ARTICLE_ID_PATTERN), so widget keys never collide with ids
WIDGET_KEY_PREFIX = "@"


def widget_key(article_id: str) -> str:
    return WIDGET_KEY_PREFIX + article_id


def article_totals(totals: Mapping[str, int]) -> dict[str, int]:
    """Every counted view of each article, widget clicks included (the article's own counts)."""
    return {key: views for key, views in totals.items() if not key.startswith(WIDGET_KEY_PREFIX)}


def listed_totals(totals: Mapping[str, int], count_widget_clicks: bool) -> dict[str, int]:
    """The views that count toward the lists: widget clicks left out unless the site counts them."""
    counted = article_totals(totals)
    if count_widget_clicks:
        return counted
    listed = {}
    for article_id, views in counted.items():
        remaining = views - totals.get(widget_key(article_id), 0)
        if remaining > 0:
            listed[article_id] = remaining
    return listed


# count key (article id or widget key) -> counts per 5-minute bucket of one slot (index 0 = the slot's first bucket)
SlotCounts = dict[str, list[int]]


def count_slot(entries: Iterable[LoggedView], slot: int, slot_seconds: int) -> SlotCounts:
    """Deduplicated counts of one slot. Entries outside the slot are a caller bug and are refused."""
    first_views: dict[tuple[str, str], LoggedView] = {}
    for entry in entries:
        if not slot <= entry.received_ms // 1000 < slot + slot_seconds:
            raise ValueError(f"entry at {entry.received_ms} ms is outside slot {slot}")
        identity = (entry.article_id, entry.visitor)
        seen = first_views.get(identity)
        if seen is None or (entry.received_ms, entry.event_key) < (seen.received_ms, seen.event_key):
            first_views[identity] = entry
    buckets = slot_seconds // FINE_SECONDS
    counts: SlotCounts = {}
    for entry in first_views.values():
        bucket = (fine_bucket(entry.received_ms / 1000) - slot) // FINE_SECONDS
        counts.setdefault(entry.article_id, [0] * buckets)[bucket] += entry.weight
        if entry.ref == WIDGET_REF:
            counts.setdefault(widget_key(entry.article_id), [0] * buckets)[bucket] += entry.weight
    return counts


def add_slot_in_window(
    totals: dict[str, int], counts: Mapping[str, list[int]], slot: int, window: Window, now: float
) -> None:
    """Add the buckets of one slot that lie in ``window`` at ``now`` to ``totals``."""
    first = window.first_bucket(now)
    wanted = [index for index in range(_bucket_count(counts)) if first <= slot + index * FINE_SECONDS <= now]
    if not wanted:
        return
    for article_id, row in counts.items():
        views = sum(row[index] for index in wanted if index < len(row))
        if views:
            totals[article_id] = totals.get(article_id, 0) + views


def slot_totals(counts: Mapping[str, list[int]]) -> dict[str, int]:
    return {article_id: sum(row) for article_id, row in counts.items() if sum(row)}


def merge_totals(parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    merged: defaultdict[str, int] = defaultdict(int)
    for part in parts:
        for article_id, views in part.items():
            merged[article_id] += views
    return dict(merged)


def roll_totals(
    totals: dict[str, int], leaving: Iterable[Mapping[str, int]], entering: Iterable[Mapping[str, int]]
) -> dict[str, int]:
    """Totals of a window moved forward: minus the parts that left it, plus those that entered."""
    rolled = dict(totals)
    for part in leaving:
        for article_id, views in part.items():
            remaining = rolled.get(article_id, 0) - views
            if remaining < 0:
                raise ValueError(f"{article_id}: the base holds fewer views than the slot leaving it")
            if remaining:
                rolled[article_id] = remaining
            else:
                rolled.pop(article_id, None)
    for part in entering:
        for article_id, views in part.items():
            rolled[article_id] = rolled.get(article_id, 0) + views
    return rolled


def _bucket_count(counts: Mapping[str, list[int]]) -> int:
    return max((len(row) for row in counts.values()), default=0)
