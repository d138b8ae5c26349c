"""Access pattern: derived aggregates (window bases, the run's state, the parts of slot summaries), each stored
as a *chunk set*: compressed chunks of a mapping, found through a head item that names the generation, how many
chunks it has and (for a set written by partition) the partition each chunk starts with.

A set is written as a new generation of chunks, then the head that points to it, then the old generation is
deleted: a reader following the head never sees a half-written set, so a run that crashes midway leaves the
previous state intact. A reader checks that it found every chunk the head names and that none has expired
(DynamoDB's TTL deletes lazily), and otherwise treats the set as absent, which every caller can rebuild.

Size: each chunk is packed to at most ``chunk_bytes`` (default 300 KB; the item limit is 400 KB); a single
entry (an id of at most 128 characters and a short list of numbers) is far below that, so any mapping fits.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from mostread import codec
from mostread.dal.client import Db, batch_delete, batch_get, is_live, query_all

HEAD = "head"
CHUNK_BYTES = 300_000


class IncompleteSet(RuntimeError):
    """A chunk set whose head names chunks that are missing or expired."""


@dataclass(frozen=True)
class ChunkRef:
    """Where one generation of a set is: enough to read it, or one partition of it, without its head."""

    pk: str
    generation: int
    chunks: int
    starts: tuple[int, ...]  # the partition each chunk starts with

    def to_json(self) -> dict[str, Any]:
        return {"pk": self.pk, "generation": self.generation, "chunks": self.chunks, "starts": _runs(self.starts)}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> ChunkRef:
        starts = _unruns(value["starts"])
        return cls(str(value["pk"]), int(value["generation"]), int(value["chunks"]), starts)

    def chunk_keys(self, partitions: Iterable[int] | None = None) -> list[dict[str, Any]]:
        """Keys of every chunk, or of those that can hold entries of ``partitions``."""
        if partitions is None:
            return [_key(self.pk, _chunk_sk(self.generation, index)) for index in range(self.chunks)]
        indexes: set[int] = set()
        for partition in partitions:
            # the chunk before the first one starting at this partition may end with it; a partition may span chunks
            first = max(bisect.bisect_left(self.starts, partition) - 1, 0)
            last = max(bisect.bisect_right(self.starts, partition) - 1, 0)
            indexes.update(range(first, min(last, self.chunks - 1) + 1))
        return [_key(self.pk, _chunk_sk(self.generation, index)) for index in sorted(indexes)]


@dataclass(frozen=True)
class Head:
    ref: ChunkRef
    meta: dict[str, Any]

    @property
    def generation(self) -> int:
        return self.ref.generation


class ChunkSetWriter:
    """Writes a chunk set piece by piece (for sets too large to hold at once).

    ``add`` takes entries partition by partition, in ascending order (or everything under partition 0). Chunks
    are packed to at most ``chunk_bytes`` and written as they fill, so the writer holds about one chunk.
    ``finish`` returns where the chunks are; ``put_head`` then makes them the set's current generation.
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

    def finish(self) -> ChunkRef:
        self._flush(final=True)
        if not self._starts:
            self._put_chunk(codec.pack({}), 0)
        return ChunkRef(self._pk, self._generation, len(self._starts), tuple(self._starts))

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


def put_head(db: Db, ref: ChunkRef, meta: dict[str, Any], expires_at: int) -> Head | None:
    """Make ``ref`` the set's current generation; returns the head it replaced (its chunks are deleted unless
    they are the same generation)."""
    previous_item = db.client.get_item(TableName=db.table, Key=_key(ref.pk, HEAD), ConsistentRead=True).get("Item")
    db.client.put_item(
        TableName=db.table,
        Item={
            **_key(ref.pk, HEAD),
            "generation": {"N": str(ref.generation)},
            "chunks": {"N": str(ref.chunks)},
            "starts": {"B": codec.pack(_runs(ref.starts))},
            "meta": {"B": codec.pack(meta)},
            "expires_at": {"N": str(expires_at)},
        },
        ReturnConsumedCapacity="TOTAL",
    )
    previous = _head(previous_item, None) if previous_item else None
    if previous is not None and previous.generation != ref.generation:
        delete_chunks(db, previous.ref)
    return previous


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
) -> int:
    """Store ``mapping`` under ``pk`` with ``meta`` (plain JSON values) on the head. Returns the generation used:
    ``generation``, or one above the stored one when that is not lower (two writes in one millisecond, or a
    writer whose clock is behind), so a generation always names one content."""
    stored = db.client.get_item(TableName=db.table, Key=_key(pk, HEAD), ConsistentRead=True).get("Item")
    if stored is not None:
        generation = max(generation, int(stored["generation"]["N"]) + 1)
    put_head(db, write_chunks(db, pk, mapping, generation, expires_at, partition_of, chunk_bytes), meta, expires_at)
    return generation


def write_chunks(
    db: Db,
    pk: str,
    mapping: dict[str, Any],
    generation: int,
    expires_at: int,
    partition_of: Callable[[str], int] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> ChunkRef:
    writer = ChunkSetWriter(db, pk, generation, expires_at, chunk_bytes)
    if partition_of is None:
        writer.add(0, mapping)
    else:
        by_partition: dict[int, dict[str, Any]] = {}
        for key, value in mapping.items():
            by_partition.setdefault(partition_of(key), {})[key] = value
        for partition in sorted(by_partition):
            writer.add(partition, by_partition[partition])
    return writer.finish()


def delete_chunks(db: Db, ref: ChunkRef) -> None:
    batch_delete(db, ref.chunk_keys())


def get_head(db: Db, pk: str, now: float) -> Head | None:
    item = db.client.get_item(
        TableName=db.table, Key=_key(pk, HEAD), ConsistentRead=True, ReturnConsumedCapacity="TOTAL"
    ).get("Item")
    return _head(item, now) if item else None


def get_heads(db: Db, pks: list[str], now: float) -> dict[str, Head]:
    """The current heads of several sets with BatchGetItem; absent or expired ones are left out."""
    heads = (_head(item, now) for item in batch_get(db, [_key(pk, HEAD) for pk in pks], consistent=True))
    return {head.ref.pk: head for head in heads if head is not None}


def _head(item: dict[str, Any], now: float | None) -> Head | None:
    if now is not None and not is_live(item, now):
        return None
    starts = _unruns(codec.unpack(item["starts"]["B"])) if "starts" in item else (0,) * int(item["chunks"]["N"])
    ref = ChunkRef(item["pk"]["S"], int(item["generation"]["N"]), int(item["chunks"]["N"]), starts)
    return Head(ref, codec.unpack(item["meta"]["B"]))


def get_chunked(db: Db, pk: str, now: float) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(mapping, meta) of the current generation, or None when nothing (complete and unexpired) is stored."""
    head = get_head(db, pk, now)
    if head is None:
        return None
    mapping: dict[str, Any] = {}
    try:
        for chunk in read_chunks(db, head.ref, now):
            mapping.update(chunk)
    except IncompleteSet:
        return None
    return mapping, head.meta


def read_chunks(db: Db, ref: ChunkRef, now: float) -> Iterator[dict[str, Any]]:
    """The chunks of one generation, one mapping at a time (for sets too large to hold); raises
    ``IncompleteSet`` when a chunk is missing or expired."""
    found = 0
    for chunk in query_all(db, ref.pk, consistent=True, sk_prefix=f"{ref.generation}#"):
        if not is_live(chunk, now):
            raise IncompleteSet(ref.pk)
        found += 1
        yield codec.unpack(chunk["data"]["B"])
    if found != ref.chunks:
        raise IncompleteSet(ref.pk)


def lookup(
    db: Db, wanted: dict[ChunkRef, set[str]], partition_of: Callable[[str], int], now: float
) -> dict[ChunkRef, dict[str, Any]]:
    """For each set written by partition, the values of its wanted keys (absent keys left out), reading only the
    chunks that can hold them, with BatchGetItem. Raises ``IncompleteSet`` when such a chunk is gone."""
    requested: dict[tuple[str, str], ChunkRef] = {}
    for ref, keys in wanted.items():
        for key in ref.chunk_keys({partition_of(key) for key in keys}):
            requested[(key["pk"]["S"], key["sk"]["S"])] = ref
    chunks: dict[tuple[str, str], dict[str, Any]] = {}
    for item in batch_get(db, [_key(pk, sk) for pk, sk in requested], consistent=True):
        if is_live(item, now):
            chunks[(item["pk"]["S"], item["sk"]["S"])] = codec.unpack(item["data"]["B"])
    if len(chunks) != len(requested):
        raise IncompleteSet(", ".join(sorted({pk for pk, _ in requested if (pk, _) not in chunks})))
    found: dict[ChunkRef, dict[str, Any]] = {ref: {} for ref in wanted}
    for chunk_key, ref in requested.items():
        keys = wanted[ref]
        found[ref].update({key: value for key, value in chunks[chunk_key].items() if key in keys})
    return found


def _runs(starts: tuple[int, ...]) -> list[list[int]]:
    """Chunk starts as [partition, chunks starting there] pairs: at most one pair a partition, so a head stays a
    few bytes however many chunks a set of junk ids needs."""
    runs: list[list[int]] = []
    for partition in starts:
        if runs and runs[-1][0] == partition:
            runs[-1][1] += 1
        else:
            runs.append([partition, 1])
    return runs


def _unruns(runs: list[list[int]]) -> tuple[int, ...]:
    return tuple(partition for partition, count in runs for _ in range(count))


def _chunk_sk(generation: int, index: int) -> str:
    return f"{generation}#{index:04d}"


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}
