"""Access pattern: sealed slots' summaries, and the deltas between two summaries of one slot.

A summary of slot S is one generation of two chunk sets switched by one head:

* ``sum#S``: the counts of the articles catalogued when S was sealed (per 5-minute bucket), with the head;
* ``osum#S``: the other ids' counts, written by article partition, so registering an article later reads one
  chunk of it. Its chunks have no head of their own: the ``sum#S`` head names them, so both parts always change
  together (a run that crashes between them leaves the previous summary whole).

``sum#S#d<generation>`` holds the change of S's totals from the previous summary to that generation, written
before the summary itself when late views make a slot be sealed again: a base built over the previous summary
is corrected by the chain of deltas, whatever crashed in between.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mostread import keys
from mostread.counting import SlotCounts, article_of_key, slot_totals
from mostread.dal import aggregates
from mostread.dal.aggregates import ChunkRef, ChunkSetWriter, IncompleteSet
from mostread.dal.client import Db
from mostread.timebuckets import Slot

ORPHAN_CHUNK_BYTES = 32_000  # a registration's lookup reads one such chunk per slot
MAX_DELTA_HOPS = 8


@dataclass(frozen=True)
class SummaryHead:
    slot: Slot
    generation: int
    catalogued: ChunkRef
    orphans: ChunkRef


def orphan_writer(db: Db, slot: Slot, generation: int, expires_at: int) -> ChunkSetWriter:
    """Takes the uncatalogued ids' counts partition by partition; ``put_summary`` then publishes them."""
    return ChunkSetWriter(db, keys.orphan_summary_key(slot), generation, expires_at, ORPHAN_CHUNK_BYTES)


def put_summary(db: Db, slot: Slot, counts: SlotCounts, orphans: ChunkRef, generation: int, expires_at: int) -> None:
    """Write the catalogued part and switch the head to this generation (both parts); then drop the previous
    generation's uncatalogued chunks."""
    catalogued = aggregates.write_chunks(db, keys.summary_key(slot), counts, generation, expires_at)
    meta = {"slot": keys.slot_name(slot), "orphans": orphans.to_json()}
    previous = aggregates.put_head(db, catalogued, meta, expires_at)
    if previous is not None and "orphans" in previous.meta:
        old = ChunkRef.from_json(previous.meta["orphans"])
        if old.generation != orphans.generation:
            aggregates.delete_chunks(db, old)


def summary_head(db: Db, slot: Slot, now: float) -> SummaryHead | None:
    head = aggregates.get_head(db, keys.summary_key(slot), now)
    return _summary_head(slot, head) if head else None


def summary_heads(db: Db, slots: Iterable[Slot], now: float) -> dict[Slot, SummaryHead]:
    by_pk = {keys.summary_key(slot): slot for slot in slots}
    heads = aggregates.get_heads(db, list(by_pk), now)
    return {by_pk[pk]: _summary_head(by_pk[pk], head) for pk, head in heads.items()}


def _summary_head(slot: Slot, head: aggregates.Head) -> SummaryHead:
    return SummaryHead(slot, head.generation, head.ref, ChunkRef.from_json(head.meta["orphans"]))


def read_catalogued(db: Db, head: SummaryHead, now: float) -> SlotCounts | None:
    """The catalogued part, per bucket; None when a chunk is gone."""
    counts: SlotCounts = {}
    try:
        for chunk in aggregates.read_chunks(db, head.catalogued, now):
            counts.update(chunk)
    except IncompleteSet:
        return None
    return counts


def totals(
    db: Db, head: SummaryHead, now: float, orphans_of: set[str] | None, *, catalogued: bool = True
) -> dict[str, int] | None:
    """The summary's totals per count key: the catalogued part whole (unless ``catalogued`` is False), the
    uncatalogued part for ids in ``orphans_of`` (all when None, none when empty), read chunk by chunk; None when
    a chunk is gone."""
    result: dict[str, int] = {}
    try:
        for chunk in aggregates.read_chunks(db, head.catalogued, now) if catalogued else ():
            result.update(slot_totals(chunk))
        if orphans_of is None or orphans_of:
            for chunk in aggregates.read_chunks(db, head.orphans, now):
                for count_key, row in chunk.items():
                    if orphans_of is None or article_of_key(count_key) in orphans_of:
                        result[count_key] = result.get(count_key, 0) + sum(row)
    except IncompleteSet:
        return None
    return result


def lookup_orphans(
    db: Db, heads: Iterable[SummaryHead], count_keys: set[str], now: float
) -> dict[Slot, SlotCounts] | None:
    """The uncatalogued counts of these count keys in these summaries (one chunk per summary, batched); None
    when a chunk is gone."""
    refs = {head.orphans: head.slot for head in heads}
    if not refs or not count_keys:
        return {ref_slot: {} for ref_slot in refs.values()}
    try:
        found = aggregates.lookup(db, {ref: count_keys for ref in refs}, partition_of_key, now)
    except IncompleteSet:
        return None
    return {refs[ref]: values for ref, values in found.items()}


def partition_of_key(count_key: str) -> int:
    return keys.orphan_partition(article_of_key(count_key))


def delta_key(slot: Slot, generation: int) -> str:
    return f"{keys.summary_key(slot)}#d{generation}"


def put_delta(
    db: Db, slot: Slot, delta: dict[str, int], from_generation: int, generation: int, expires_at: int
) -> None:
    aggregates.put_chunked(db, delta_key(slot, generation), delta, {"from": from_generation}, generation, expires_at)


def delta_chain(db: Db, slot: Slot, included: int, current: int, now: float) -> list[dict[str, int]] | None:
    """The deltas leading from generation ``included`` to ``current``, oldest last; None when the chain breaks."""
    chain: list[dict[str, int]] = []
    generation = current
    for _ in range(MAX_DELTA_HOPS):
        stored = aggregates.get_chunked(db, delta_key(slot, generation), now)
        if stored is None:
            return None
        chain.append(stored[0])
        generation = int(stored[1]["from"])
        if generation == included:
            return chain
    return None
