"""Compact blobs for aggregate items: JSON, zlib-compressed, split to stay under DynamoDB's item limit."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator
from typing import Any

CHUNK_BYTES = 300_000  # compressed; DynamoDB items hold at most 400 KB


def digest(value: Any) -> str:
    """A short hash of a JSON value's canonical form: equal values, equal digests (versions, change checks)."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def pack(value: Any) -> bytes:
    return zlib.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), 6)


def unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))


def pack_mapping_in_chunks(mapping: dict[str, Any], chunk_bytes: int = CHUNK_BYTES) -> list[bytes]:
    """Pack a large mapping into blobs each below ``chunk_bytes`` (at least one blob, even when empty)."""
    blobs: list[bytes] = []
    for part in _split(mapping, chunk_bytes):
        blobs.append(pack(part))
    return blobs or [pack({})]


def _split(mapping: dict[str, Any], chunk_bytes: int) -> Iterator[dict[str, Any]]:
    # JSON of counts compresses by 3x or more; split on raw size at three times the limit and
    # re-split any part that still comes out too large.
    part: dict[str, Any] = {}
    size = 0
    for key, value in mapping.items():
        entry = len(key) + len(json.dumps(value)) + 4
        if part and size + entry > chunk_bytes * 3:
            yield from _fit(part, chunk_bytes)
            part, size = {}, 0
        part[key] = value
        size += entry
    if part:
        yield from _fit(part, chunk_bytes)


def _fit(part: dict[str, Any], chunk_bytes: int) -> Iterator[dict[str, Any]]:
    if len(part) <= 1 or len(pack(part)) <= chunk_bytes:
        yield part
        return
    items = list(part.items())
    half = len(items) // 2
    yield from _fit(dict(items[:half]), chunk_bytes)
    yield from _fit(dict(items[half:]), chunk_bytes)
