"""Access pattern: derived aggregates (slot summaries, window bases, the run's state), each stored as a
*chunk set*: compressed chunks of a mapping plus a head item naming the generation and how many chunks it has.

A set is written as a new generation of chunks, then the head that points to it, then the old generation is
deleted: a reader following the head never sees a half-written set, so a run that crashes midway leaves the
previous state intact. A reader checks that it found every chunk the head names and that none has expired
(DynamoDB's TTL deletes lazily), and otherwise treats the set as absent, which every caller can rebuild.

Size: each chunk is packed to at most ``chunk_bytes`` (default 300 KB; the item limit is 400 KB); a single
entry (an id of at most 128 characters and a short list of numbers) is far below that, so any mapping fits.
A set written with ``partition_of`` is ordered by partition and its head records where each chunk starts,
so a lookup of one key reads the head and one chunk instead of the whole set.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mostread import codec
from mostread.dal.client import Db, batch_delete, batch_get, is_live, query_all

HEAD = "head"
CHUNK_BYTES = 300_000


@dataclass(frozen=True)
class Head:
    generation: int
    chunks: int
    meta: dict[str, Any]
    partition_starts: list[int] | None  # first partition of each chunk, when written by partition


class ChunkSetWriter:
    """Writes a chunk set piece by piece (for sets too large to hold at once), then its head.

    ``add`` takes entries partition by partition, in ascending order (or everything under partition 0). Chunks
    are packed to at most ``chunk_bytes`` and written as they fill, so the writer holds about one chunk.
    """

    def __init__(self, db: Db, pk: str, generation: int, expires_at: int, chunk_bytes: int = CHUNK_BYTES) -> None:
        self._db, self._pk, self._generation, self._expires_at = db, pk, generation, expires_at
        self._chunk_bytes = chunk_bytes
        self._pending: list[tuple[int, str, Any]] = []
        self._pending_raw = 0
        # JSON of ids and counts compresses well: pack (and measure) only once the raw size passes this
        self._measure_at = 3 * chunk_bytes
        self._starts: list[int] = []
        self.entries = 0

    def add(self, partition: int, entries: dict[str, Any]) -> None:
        for key in sorted(entries):
            self._pending.append((partition, key, entries[key]))
            self._pending_raw += len(key) + len(str(entries[key])) + 4
            self.entries += 1
            if self._pending_raw >= self._measure_at:
                self._flush(final=False)

    def finish(self, meta: dict[str, Any]) -> int:
        """Write the remaining chunks and the head (pointing at this generation); returns the chunk count."""
        self._flush(final=True)
        if not self._starts:
            self._put_chunk(codec.pack({}), 0)
        previous = self._db.client.get_item(
            TableName=self._db.table, Key=_key(self._pk, HEAD), ConsistentRead=True
        ).get("Item")
        self._db.client.put_item(
            TableName=self._db.table,
            Item={
                **_key(self._pk, HEAD),
                "generation": {"N": str(self._generation)},
                "chunks": {"N": str(len(self._starts))},
                "meta": {"B": codec.pack(meta)},
                "starts": {"B": codec.pack(self._starts)},
                "expires_at": {"N": str(self._expires_at)},
            },
            ReturnConsumedCapacity="TOTAL",
        )
        if previous and int(previous["generation"]["N"]) != self._generation:
            delete_chunks(self._db, self._pk, int(previous["generation"]["N"]), int(previous["chunks"]["N"]))
        return len(self._starts)

    def _flush(self, final: bool) -> None:
        while self._pending:
            count = len(self._pending)
            blob = _pack(self._pending[:count])
            if len(blob) <= self._chunk_bytes and not final and len(blob) < 0.8 * self._chunk_bytes:
                # compresses better than assumed: measure again once the raw size has grown accordingly
                self._measure_at = int(self._pending_raw * 0.9 * self._chunk_bytes / max(len(blob), 1))
                return
            while len(blob) > self._chunk_bytes and count > 1:
                count //= 2
                blob = _pack(self._pending[:count])
            self._put_chunk(blob, self._pending[0][0])
            self._pending = self._pending[count:]
            self._pending_raw = sum(len(key) + len(str(value)) + 4 for _, key, value in self._pending)
            if not final and self._pending_raw < self._measure_at:
                return

    def _put_chunk(self, blob: bytes, start: int) -> None:
        index = len(self._starts)
        self._db.client.put_item(
            TableName=self._db.table,
            Item={
                **_key(self._pk, _chunk_sk(self._generation, index)),
                "data": {"B": blob},
                "expires_at": {"N": str(self._expires_at)},
            },
            ReturnConsumedCapacity="TOTAL",
        )
        self._starts.append(start)


def _pack(entries: list[tuple[int, str, Any]]) -> bytes:
    return codec.pack({key: value for _, key, value in entries})


def put_chunked(
    db: Db,
    pk: str,
    mapping: dict[str, Any],
    meta: dict[str, Any],
    generation: int,
    expires_at: int,
    *,
    partition_of: Callable[[str], int] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> None:
    """Store ``mapping`` under ``pk`` with ``meta`` (plain JSON values) on the head item."""
    writer = ChunkSetWriter(db, pk, generation, expires_at, chunk_bytes)
    if partition_of is None:
        writer.add(0, mapping)
    else:
        by_partition: dict[int, dict[str, Any]] = {}
        for key, value in mapping.items():
            by_partition.setdefault(partition_of(key), {})[key] = value
        for partition in sorted(by_partition):
            writer.add(partition, by_partition[partition])
    writer.finish(meta)


def delete_chunks(db: Db, pk: str, generation: int, chunks: int) -> None:
    batch_delete(db, [_key(pk, _chunk_sk(generation, index)) for index in range(chunks)])


def get_head(db: Db, pk: str, now: float) -> Head | None:
    item = db.client.get_item(
        TableName=db.table, Key=_key(pk, HEAD), ConsistentRead=True, ReturnConsumedCapacity="TOTAL"
    ).get("Item")
    return _head(item, now) if item else None


def _head(item: dict[str, Any], now: float) -> Head | None:
    if not is_live(item, now):
        return None
    starts = codec.unpack(item["starts"]["B"]) if "starts" in item else None
    return Head(int(item["generation"]["N"]), int(item["chunks"]["N"]), codec.unpack(item["meta"]["B"]), starts)


def get_chunked(db: Db, pk: str, now: float) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(mapping, meta) of the current generation, or None when nothing (complete and unexpired) is stored."""
    head = get_head(db, pk, now)
    if head is None:
        return None
    mapping: dict[str, Any] = {}
    found = 0
    for chunk in query_all(db, pk, consistent=True, sk_prefix=f"{head.generation}#"):
        if not is_live(chunk, now):
            return None
        mapping.update(codec.unpack(chunk["data"]["B"]))
        found += 1
    return (mapping, head.meta) if found == head.chunks else None


def iterate_chunked(db: Db, pk: str, now: float) -> tuple[Head, Iterator[dict[str, Any]]] | None:
    """The head and an iterator over the set's chunks, one mapping at a time (for sets too large to hold);
    the iterator raises ``IncompleteSet`` when a chunk the head names is missing or expired."""
    head = get_head(db, pk, now)
    if head is None:
        return None

    def chunks() -> Iterator[dict[str, Any]]:
        found = 0
        for chunk in query_all(db, pk, consistent=True, sk_prefix=f"{head.generation}#"):
            if not is_live(chunk, now):
                raise IncompleteSet(pk)
            found += 1
            yield codec.unpack(chunk["data"]["B"])
        if found != head.chunks:
            raise IncompleteSet(pk)

    return head, chunks()


class IncompleteSet(RuntimeError):
    """A chunk set whose head names chunks that are missing or expired."""


def lookup(
    db: Db, wanted: dict[str, list[str]], partition_of: Callable[[str], int], now: float
) -> dict[str, dict[str, Any] | None]:
    """For each set ``pk`` written by partition, the values of its wanted keys (absent keys left out), reading
    the heads and only the chunks that can hold those keys, with BatchGetItem; None for a set that is absent
    or incomplete."""
    heads: dict[str, Head | None] = {pk: None for pk in wanted}
    for item in batch_get(db, [_key(pk, HEAD) for pk in wanted], consistent=True):
        heads[item["pk"]["S"]] = _head(item, now)
    chunk_keys: dict[tuple[str, str], str] = {}
    for pk, head in heads.items():
        if head is None or head.partition_starts is None:
            continue
        starts = head.partition_starts
        for key in wanted[pk]:
            partition = partition_of(key)
            # the chunk before the first one starting at this partition may end with it; a partition may span chunks
            first = max(bisect.bisect_left(starts, partition) - 1, 0)
            last = max(bisect.bisect_right(starts, partition) - 1, 0)
            for index in range(first, min(last, head.chunks - 1) + 1):
                chunk_keys[(pk, _chunk_sk(head.generation, index))] = pk
    chunks: dict[tuple[str, str], dict[str, Any]] = {}
    requested = [_key(pk, sk) for pk, sk in chunk_keys]
    for item in batch_get(db, requested, consistent=True):
        if is_live(item, now):
            chunks[(item["pk"]["S"], item["sk"]["S"])] = codec.unpack(item["data"]["B"])
    found: dict[str, dict[str, Any] | None] = {}
    for pk, head in heads.items():
        if head is None or head.partition_starts is None:
            found[pk] = None
            continue
        keys = set(wanted[pk])
        mine = [chunk_key for chunk_key, owner in chunk_keys.items() if owner == pk]
        if any(chunk_key not in chunks for chunk_key in mine):
            found[pk] = None
            continue
        found[pk] = {key: value for chunk_key in mine for key, value in chunks[chunk_key].items() if key in keys}
    return found


def _chunk_sk(generation: int, index: int) -> str:
    return f"{generation}#{index:04d}"


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}
