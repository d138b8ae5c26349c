"""What counts: the rules that turn the recorded view log into counts. Pure; no AWS.

A recorded view becomes a log row. Counting happens per dedupe slot:

* within one slot a visitor counts once per article, in the 5-minute bucket of their *first* view (the
  earliest receive time; ties broken by a hash of the event key, so the choice never depends on arrival);
* at most ``cap`` visitors count per article and client address (``MaxViewsPerAddress``): the ``cap`` whose
  first views came first. The others are *capped*: recorded, never counted, and reported per article;
* a counted view whose first row came from the widget itself (``ref=mostread``) is also counted under the
  article's *widget key*, so lists can leave widget clicks out while the article's own counts keep them;
* an engaged report (the reader stayed with the page) is logged as a row of the article's *engaged key*, with
  the page view's visitor, address and receive time, so the same rules (once per visitor, the cap) make it
  engaged readers of the page views in a slot, never more than the slot's counted views of the article.

Counting is a function of the *set* of rows: ``SlotCounter`` takes rows in any order, in any number of
calls, each row any number of times, and always holds the counts of the set it has seen. That is what lets
a ranking run feed it only the log chunks written since its last run, and what makes a redelivered or
bisected stream batch, a re-read chunk or a repeated run harmless.

Memory: 16 bytes per (article, address) with one visitor (most of them: two sorted arrays of 64-bit words),
a short list when several visitors share an address, and for an address over the cap the ``cap`` counted
visitors plus a fingerprint per capped visitor. Visitors are told apart within one (article, address) by 29
bits of their hash: two of the few visitors behind one address colliding is a chance of about n²/2³⁰.
"""

from __future__ import annotations

import bisect
import zlib
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping

from mostread.logrow import Row
from mostread.timebuckets import FINE_SECONDS, Slot, Window

WIDGET_REF = "mostread"
# "@", "!" and "~" cannot start an article id (see models.ARTICLE_ID_PATTERN): derived keys never collide with ids
WIDGET_KEY_PREFIX = "@"
CAPPED_KEY_PREFIX = "!"
# engaged readers of an article; its capped key is "!~<id>", so it stays apart from the article's own capped key
ENGAGED_KEY_PREFIX = "~"
_DERIVED_PREFIXES = WIDGET_KEY_PREFIX + CAPPED_KEY_PREFIX + ENGAGED_KEY_PREFIX

# count key (article id, widget key or capped key) -> counts per 5-minute bucket of one slot
SlotCounts = dict[str, list[int]]


def widget_key(article_id: str) -> str:
    return WIDGET_KEY_PREFIX + article_id


def capped_key(article_id: str) -> str:
    return CAPPED_KEY_PREFIX + article_id


def engaged_key(article_id: str) -> str:
    return ENGAGED_KEY_PREFIX + article_id


def is_article_key(key: str) -> bool:
    return not key.startswith((WIDGET_KEY_PREFIX, CAPPED_KEY_PREFIX, ENGAGED_KEY_PREFIX))


def is_engaged_key(key: str) -> bool:
    return key.startswith(ENGAGED_KEY_PREFIX)


def article_of_key(key: str) -> str:
    """The article a count key belongs to: derived keys may stack (``!~<id>``, the engaged readers capped)."""
    return key.lstrip(_DERIVED_PREFIXES)


def derived_keys(article_id: str) -> tuple[str, ...]:
    """Every count key that belongs to one article."""
    engaged = engaged_key(article_id)
    return (article_id, widget_key(article_id), capped_key(article_id), engaged, capped_key(engaged))


# -- a row's first-view key ------------------------------------------------------------------------------
# A visitor's first view of an article in a slot is the row with the smallest packed key:
#   offset in the slot (ms, 22 bits) | event-key hash (8 bits) | widget flag (1 bit) | weight (4 bits)
# so comparing two integers compares receive time, then the tie-break, deterministically. With 29 bits of the
# visitor on top, a member of an (article, address) group fits 64 bits.

_WEIGHT_BITS = 4
_WEIGHT_MASK = (1 << _WEIGHT_BITS) - 1
_WIDGET_BIT = 1 << _WEIGHT_BITS
_TIE_SHIFT = _WEIGHT_BITS + 1
_OFFSET_SHIFT = _TIE_SHIFT + 8
_KEY_BITS = _OFFSET_SHIFT + 22
_KEY_MASK = (1 << _KEY_BITS) - 1
_VISITOR_BITS = 64 - _KEY_BITS
_VISITOR_MASK = (1 << _VISITOR_BITS) - 1
_UINT64 = (1 << 64) - 1
_GONE = _UINT64  # a compacted single member that has since moved to the dict (no key is this large)
_MIX = 0x9E3779B97F4A7C15  # spreads the article index over the group hash
MAX_WEIGHT = _WEIGHT_MASK  # the tracker writes 1; a sampled view's weight would be capped here
MAX_SLOT_SECONDS = ((1 << 22) - 1) // 1000  # the offset's 22 bits hold an hour and a little more
COMPACT_AT = 100_000  # single-member groups kept in the dict before they move to the compact arrays


def first_view_key(offset_ms: int, event_key: str, widget: bool, weight: int) -> int:
    tie = zlib.crc32(event_key.encode()) & 0xFF
    return (offset_ms << _OFFSET_SHIFT) | (tie << _TIE_SHIFT) | (_WIDGET_BIT if widget else 0) | weight


_BUCKET_MS = FINE_SECONDS * 1000


def _bucket(key: int) -> int:
    return (key >> _OFFSET_SHIFT) // _BUCKET_MS


def _visitor_bits(visitor: str) -> int:
    try:
        return int(visitor[:8], 16) & _VISITOR_MASK
    except ValueError:
        return zlib.crc32(visitor.encode()) & _VISITOR_MASK


def _address_bits(address: str, visitor: str) -> int:
    # rows logged before addresses were recorded are each their own address: the cap cannot apply to them
    source = address or visitor
    try:
        return int(source[:16], 16)
    except ValueError:
        return zlib.crc32(source.encode())


def _group(index: int, address: int) -> int:
    """An (article, address) pair as 64 bits. Two pairs share a group hash with a chance of about n²/2⁶⁵ (one in
    ten million at two million pairs); they would then share one cap."""
    return (address ^ (index * _MIX)) & _UINT64


class _OverCap:
    """An (article, address) with more visitors than the cap: the ``cap`` counted, sorted by (key, visitor),
    and a fingerprint of every other visitor."""

    __slots__ = ("counted", "others")

    def __init__(self, counted: list[int], others: set[int]) -> None:
        self.counted = counted  # (key << 32) | visitor, ascending
        self.others = others


class SlotCounter:
    """Exact counts of one slot from rows given in any order, any number of times (see the module doc).

    Most (article, address) groups have one visitor. Those live in two sorted arrays of 64-bit words (16 bytes a
    group); the dict holds the groups added since the arrays were last rebuilt and every group with more than one
    visitor.
    """

    def __init__(self, slot: Slot, cap: int, compact_at: int = COMPACT_AT) -> None:
        if slot.seconds > MAX_SLOT_SECONDS or slot.seconds % FINE_SECONDS:
            raise ValueError(f"a slot must be whole 5-minute buckets and at most {MAX_SLOT_SECONDS} s")
        if cap < 1:
            raise ValueError("the cap must be at least 1")
        self.slot = slot
        self.cap = cap
        self.rows = 0
        self.rows_outside = 0
        self._start_ms = slot.start * 1000
        self._span_ms = slot.seconds * 1000
        self._ids: dict[str, int] = {}
        self._articles: list[str] = []
        self._groups: dict[int, int | list[int] | _OverCap] = {}
        self._singles = 0  # single-member groups in the dict
        self._compact_at = compact_at
        self._single_groups = array("Q")
        self._single_members = array("Q")
        self._counted: dict[int, list[int]] = {}
        self._widget: dict[int, list[int]] = {}
        self._capped: defaultdict[int, int] = defaultdict(int)

    def __contains__(self, article_id: str) -> bool:
        return article_id in self._ids

    @property
    def article_ids(self) -> list[str]:
        return list(self._articles)

    def add(self, row: Row) -> None:
        self.add_rows((row,))

    def add_rows(self, rows: Iterable[Row]) -> None:
        """Count rows. The loop is the ranking run's hottest code (two million rows for a busy slot): the common
        case, a new (article, address), is handled inline; everything else goes through ``_add``. Rows are as
        the log holds them (strings and integers)."""
        start_ms, span_ms, buckets = self._start_ms, self._span_ms, self.slot.buckets
        ids, articles, groups, counted = self._ids, self._articles, self._groups, self._counted
        single_groups = self._single_groups
        compact_at = max(self._compact_at, len(single_groups) // 2)
        singles = self._singles
        crc32 = zlib.crc32
        added = outside = 0
        for article_id, visitor, received_ms, event_key, address, ref, weight in rows:
            offset_ms = received_ms - start_ms  # type: ignore[operator]
            if not 0 <= offset_ms < span_ms:
                # a row from another slot is a writer's bug; counting it here would put it in the wrong window
                outside += 1
                continue
            added += 1
            index = ids.get(article_id)  # type: ignore[call-overload]
            if index is None:
                index = ids[article_id] = len(articles)  # type: ignore[index]
                articles.append(article_id)  # type: ignore[arg-type]
            widget = ref == WIDGET_REF
            key = (
                (offset_ms << _OFFSET_SHIFT)
                | ((crc32(event_key.encode()) & 0xFF) << _TIE_SHIFT)  # type: ignore[attr-defined]
                | (_WIDGET_BIT if widget else 0)
                | (weight if weight <= MAX_WEIGHT else MAX_WEIGHT)  # type: ignore[operator]
            )
            try:
                visitor_bits = int(visitor[:8], 16) & _VISITOR_MASK  # type: ignore[index]
            except ValueError:
                visitor_bits = crc32(visitor.encode()) & _VISITOR_MASK  # type: ignore[attr-defined]
            source = address or visitor
            try:
                address_bits = int(source[:16], 16)  # type: ignore[index]
            except ValueError:
                address_bits = crc32(source.encode())  # type: ignore[attr-defined]
            group = (address_bits ^ (index * _MIX)) & _UINT64
            if group in groups or (single_groups and self._in_arrays(group)):
                self._singles = singles
                self._add(index, group, visitor_bits, key)
                singles = self._singles
                continue
            # a new (article, address): its one visitor counts
            groups[group] = (visitor_bits << _KEY_BITS) | key
            row_counts = counted.get(index)
            if row_counts is None:
                row_counts = counted[index] = [0] * buckets
            row_counts[offset_ms // _BUCKET_MS] += key & _WEIGHT_MASK
            if widget:
                self._count_widget(index, key, 1)
            singles += 1
            if singles >= compact_at:
                self._singles = singles
                self._compact()
                singles, single_groups = 0, self._single_groups
                compact_at = max(self._compact_at, len(single_groups) // 2)
        self._singles = singles
        self.rows += added
        self.rows_outside += outside

    def _in_arrays(self, group: int) -> bool:
        position = bisect.bisect_left(self._single_groups, group)
        return position < len(self._single_groups) and self._single_groups[position] == group

    def _add(self, index: int, group: int, visitor: int, key: int) -> None:
        member = (visitor << _KEY_BITS) | key
        held = self._groups.get(group)
        if held is None:
            position = bisect.bisect_left(self._single_groups, group)
            if position < len(self._single_groups) and self._single_groups[position] == group:
                single = self._single_members[position]
                if single != _GONE:
                    if single >> _KEY_BITS == visitor:
                        old = single & _KEY_MASK
                        if key < old:
                            self._single_members[position] = member
                            self._move(index, old, key)
                        return
                    self._single_members[position] = _GONE  # a second visitor: the group moves to the dict
                    members = [single]
                    self._groups[group] = members
                    self._add_member(index, group, members, visitor, key)
                    return
            self._groups[group] = member
            self._singles += 1
            self._count(index, key, 1)
            if self._singles >= max(self._compact_at, len(self._single_groups) // 2):
                self._compact()
        elif isinstance(held, int):
            if held >> _KEY_BITS == visitor:
                old = held & _KEY_MASK
                if key < old:
                    self._groups[group] = member
                    self._move(index, old, key)
            else:
                members = [held]
                self._groups[group] = members
                self._singles -= 1
                self._add_member(index, group, members, visitor, key)
        elif isinstance(held, list):
            self._add_member(index, group, held, visitor, key)
        else:
            self._add_over_cap(index, held, visitor, key)

    def _compact(self) -> None:
        """Move the dict's single-member groups into the sorted arrays. The dict then starts empty again and grows
        to half the arrays before the next move, so a group is moved about three times in all; the arrays are
        copied in runs between the newcomers (C-level slices). A group that gained a second visitor stays in the
        arrays as a tombstone (its dict entry comes first)."""
        moving = sorted(group for group, held in self._groups.items() if isinstance(held, int))
        old_groups, old_members = self._single_groups, self._single_members
        groups, members = array("Q"), array("Q")
        start = 0
        for group in moving:
            end = bisect.bisect_left(old_groups, group, start)
            groups.extend(old_groups[start:end])
            members.extend(old_members[start:end])
            groups.append(group)
            members.append(self._groups.pop(group))  # type: ignore[arg-type]
            start = end
        groups.extend(old_groups[start:])
        members.extend(old_members[start:])
        self._single_groups, self._single_members = groups, members
        self._singles = 0

    def _add_member(self, index: int, group: int, members: list[int], visitor: int, key: int) -> None:
        for position, held in enumerate(members):
            if held >> _KEY_BITS == visitor:
                old = held & _KEY_MASK
                if key < old:
                    members[position] = (visitor << _KEY_BITS) | key
                    self._move(index, old, key)
                return
        if len(members) < self.cap:
            members.append((visitor << _KEY_BITS) | key)
            self._count(index, key, 1)
            return
        # one visitor too many: the cap first-come visitors count, the last in order is capped
        ranked = sorted([((m & _KEY_MASK) << 32) | (m >> _KEY_BITS) for m in members] + [(key << 32) | visitor])
        evicted = ranked.pop()
        self._groups[group] = _OverCap(ranked, {evicted & 0xFFFFFFFF})
        self._capped[index] += 1
        if evicted >> 32 == key and evicted & 0xFFFFFFFF == visitor:
            return  # the newcomer came last: nothing counted changes
        self._count(index, evicted >> 32, -1)
        self._count(index, key, 1)

    def _add_over_cap(self, index: int, group: _OverCap, visitor: int, key: int) -> None:
        ranked = (key << 32) | visitor
        for position, held in enumerate(group.counted):
            if held & 0xFFFFFFFF == visitor:
                old = held >> 32
                if key < old:
                    del group.counted[position]
                    bisect.insort(group.counted, ranked)
                    self._move(index, old, key)
                return
        if ranked > group.counted[-1]:
            if visitor not in group.others:
                group.others.add(visitor)
                self._capped[index] += 1
            return
        # an earlier first view than the last counted one: it counts, the last counted one is capped
        if visitor in group.others:
            group.others.discard(visitor)
        else:
            self._capped[index] += 1
        bisect.insort(group.counted, ranked)
        evicted = group.counted.pop()
        group.others.add(evicted & 0xFFFFFFFF)
        self._count(index, evicted >> 32, -1)
        self._count(index, key, 1)

    def _count(self, index: int, key: int, sign: int) -> None:
        counted = self._counted.get(index)
        if counted is None:
            counted = self._counted[index] = [0] * self.slot.buckets
        counted[_bucket(key)] += sign * (key & _WEIGHT_MASK)
        if key & _WIDGET_BIT:
            self._count_widget(index, key, sign)

    def _count_widget(self, index: int, key: int, sign: int) -> None:
        widget = self._widget.get(index)
        if widget is None:
            widget = self._widget[index] = [0] * self.slot.buckets
        widget[_bucket(key)] += sign * (key & _WEIGHT_MASK)

    def _move(self, index: int, old: int, new: int) -> None:
        self._count(index, old, -1)
        self._count(index, new, 1)

    def counts(self) -> SlotCounts:
        """Counted views per article and bucket, widget clicks under widget keys, capped visitors under capped
        keys (in the slot's first bucket: capping is per slot)."""
        result: SlotCounts = {}
        for index, row in self._counted.items():
            if any(row):
                result[self._articles[index]] = list(row)
        for index, row in self._widget.items():
            if any(row):
                result[widget_key(self._articles[index])] = list(row)
        for index, capped in self._capped.items():
            if capped:
                result[capped_key(self._articles[index])] = [capped] + [0] * (self.slot.buckets - 1)
        return result


def count_slot(rows: Iterable[Row], slot: Slot, cap: int) -> SlotCounts:
    """The counts of a set of rows, computed directly (the reference ``SlotCounter`` must agree with)."""
    counter = SlotCounter(slot, cap)
    counter.add_rows(rows)
    return counter.counts()


def reference_counts(rows: Iterable[Row], slot: Slot, cap: int) -> SlotCounts:
    """The counting rules written out plainly, with no incremental state: every visitor's first view, then
    per (article, address) the ``cap`` earliest first views. Used by the tests as the definition."""
    first: dict[tuple[str, int, int], int] = {}
    for row in rows:
        article_id, visitor, received_ms, event_key, address, ref, weight = row
        offset_ms = int(str(received_ms)) - slot.start * 1000
        if not 0 <= offset_ms < slot.seconds * 1000:
            continue
        key = first_view_key(offset_ms, str(event_key), ref == WIDGET_REF, min(int(str(weight)), MAX_WEIGHT))
        identity = (str(article_id), _address_bits(str(address), str(visitor)), _visitor_bits(str(visitor)))
        first[identity] = min(key, first.get(identity, key))
    groups: defaultdict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for (article_id, address, visitor), key in first.items():
        groups[(article_id, address)].append((key, visitor))
    counts: SlotCounts = {}
    for (article_id, _), members in groups.items():
        members.sort()
        for key, _visitor in members[:cap]:
            for count_key, wanted in ((article_id, True), (widget_key(article_id), bool(key & _WIDGET_BIT))):
                if wanted:
                    counts.setdefault(count_key, [0] * slot.buckets)[_bucket(key)] += key & _WEIGHT_MASK
        if len(members) > cap:
            counts.setdefault(capped_key(article_id), [0] * slot.buckets)[0] += len(members) - cap
    return counts


# -- totals over windows -----------------------------------------------------------------------------------


def article_totals(totals: Mapping[str, int]) -> dict[str, int]:
    """Every counted view of each article, widget clicks included (the article's own counts)."""
    return {key: views for key, views in totals.items() if is_article_key(key)}


def capped_totals(totals: Mapping[str, int]) -> dict[str, int]:
    """Capped page views per article (capped engaged reports are not views)."""
    return {
        key[1:]: views for key, views in totals.items() if key.startswith(CAPPED_KEY_PREFIX) and is_article_key(key[1:])
    }


def engaged_totals(totals: Mapping[str, int]) -> dict[str, int]:
    """Engaged readers per article."""
    return {key[1:]: views for key, views in totals.items() if key.startswith(ENGAGED_KEY_PREFIX)}


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


def add_slot_in_window(
    totals: dict[str, int], counts: Mapping[str, list[int]], slot: Slot, window: Window, now: float
) -> None:
    """Add the buckets of one slot that lie in ``window`` at ``now`` to ``totals``."""
    first = window.first_bucket(now)
    wanted = [index for index in range(slot.buckets) if first <= slot.bucket_start(index) <= now]
    if not wanted:
        return
    if len(wanted) == slot.buckets:
        for key, row in counts.items():
            views = sum(row)
            if views:
                totals[key] = totals.get(key, 0) + views
        return
    for key, row in counts.items():
        views = sum(row[index] for index in wanted if index < len(row))
        if views:
            totals[key] = totals.get(key, 0) + views


def slot_totals(counts: Mapping[str, list[int]]) -> dict[str, int]:
    return {key: total for key, row in counts.items() if (total := sum(row))}


def merge_totals(parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    merged: defaultdict[str, int] = defaultdict(int)
    for part in parts:
        for key, views in part.items():
            merged[key] += views
    return dict(merged)
