"""The stream consumer: turns newly recorded views into compact log chunks, one per dedupe slot."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from mostread import keys
from mostread.clock import Clock
from mostread.config import settings
from mostread.counting import LoggedView
from mostread.dal import viewlog
from mostread.dal.views import view_from_image
from mostread.timebuckets import slot_start

MAX_ROWS_PER_CHUNK = 2000

# Slots this container has marked. A slot needs one mark while it fills (the ranking run summarises it
# only after it ended plus the grace period) and one per late chunk after that; marking once per
# container saves a write per stream batch.
_marked_here: set[tuple[str, int]] = set()


def _remember_marked(table: str, slot: int) -> None:
    if len(_marked_here) > 64:
        _marked_here.clear()
    _marked_here.add((table, slot))


def ingest_records(records: Iterable[Mapping[str, Any]], clock: Clock) -> int:
    """Log every new view of the batch; returns how many were logged. Safe to call again with the same records."""
    config = settings()
    views_by_slot: defaultdict[int, list[tuple[str, LoggedView]]] = defaultdict(list)
    for record in records:
        image = record.get("dynamodb", {}).get("NewImage")
        if record.get("eventName") != "INSERT" or not image:
            continue
        if not image.get("pk", {}).get("S", "").startswith(keys.VIEW):
            continue
        view = view_from_image(image)
        views_by_slot[slot_start(view.received_ms / 1000, config.slot_seconds)].append(
            (str(record.get("eventID", view.event_key)), view)
        )
    logged = 0
    for slot, entries in views_by_slot.items():
        expires_at = slot + config.retention_days * 86400
        for start in range(0, len(entries), MAX_ROWS_PER_CHUNK):
            part = entries[start : start + MAX_ROWS_PER_CHUNK]
            # Same records, same chunk id: a retried batch overwrites its own chunk.
            chunk_id = hashlib.sha256("\n".join(sorted(rid for rid, _ in part)).encode()).hexdigest()[:32]
            viewlog.put_chunk(slot, chunk_id, (view for _, view in part), expires_at)
            logged += len(part)
        marked_at = clock()
        late = marked_at >= slot + config.slot_seconds + config.ingest_grace_seconds / 2
        if late or (config.table_name, slot) not in _marked_here:
            viewlog.mark_slot(slot, int(marked_at * 1000), expires_at)
            _remember_marked(config.table_name, slot)
    return logged
