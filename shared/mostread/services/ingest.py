"""The stream consumer: turns newly recorded views into compact log chunks, one per batch and dedupe slot.

A page view marked engaged (a MODIFY that set ``g``) becomes a row of the article's engaged key with the page
view's visitor, address and receive time: it lands in the page view's slot and bucket, so a window's engaged
readers are those of its page views, and the counting rules (once per visitor, the cap) apply to it as they are.

A record that is not a well-formed view (it can never become one) is rejected and counted, not retried. A
batch whose log write fails is reported back as failed from its earliest record, so Lambda retries it (then
bisects it, then, after the template's retry limit or record age, hands its position to the failure queue for
``mostread replay-failed``). Logging the same records again is harmless: counting works on sets.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mostread import keys
from mostread.caches import remembered
from mostread.clock import Clock
from mostread.config import settings
from mostread.counting import engaged_key
from mostread.dal import viewlog
from mostread.dal.client import Db
from mostread.dal.views import ENGAGED_AT, engaged_ms, view_from_image
from mostread.logrow import LoggedView
from mostread.observability import logger
from mostread.timebuckets import Slot

# Slots this container has marked. A slot needs one mark while it fills (the ranking run seals it only after
# it ended plus the grace period) and one per late chunk after that; marking once per container saves a
# write per stream batch.
_marked_here: set[tuple[str, Slot]] = set()
remembered(_marked_here.clear)
MAX_REMEMBERED_MARKS = 64


@dataclass
class IngestResult:
    logged: int = 0
    rejected: int = 0
    # sequence numbers of the first record of each batch part that could not be logged (Lambda retries from there)
    failed_sequence_numbers: list[str] = field(default_factory=list)


def ingest_records(db: Db, records: Iterable[Mapping[str, Any]], clock: Clock) -> IngestResult:
    """Log every new view of the batch. Safe to call again with the same records."""
    config = settings()
    result = IngestResult()
    views_by_slot: defaultdict[Slot, list[tuple[Mapping[str, Any], LoggedView]]] = defaultdict(list)
    for record in records:
        image = record.get("dynamodb", {}).get("NewImage")
        event = record.get("eventName")
        if event not in ("INSERT", "MODIFY") or not image:
            continue
        if not str(image.get("pk", {}).get("S", "")).startswith(keys.VIEW):
            continue
        if event == "MODIFY" and ENGAGED_AT not in image:
            continue  # no other change of a view item is counted
        view = _valid_view(image) if event == "INSERT" else _engaged_view(image)
        if view is None:
            result.rejected += 1
            continue
        views_by_slot[Slot.of(view.received_ms / 1000, config.slot_seconds)].append((record, view))
    for slot, entries in views_by_slot.items():
        expires_at = slot.end + config.retention_days * 86400
        try:
            for start in range(0, len(entries), viewlog.MAX_ROWS_PER_CHUNK):
                part = entries[start : start + viewlog.MAX_ROWS_PER_CHUNK]
                # the chunk id names its records: a retried batch rewrites a chunk of the same id
                record_ids = sorted(str(record.get("eventID", view.event_key)) for record, view in part)
                chunk_id = hashlib.sha256("\n".join(record_ids).encode()).hexdigest()[:24]
                sort_key = keys.log_chunk_sort_key(int(clock() * 1000), chunk_id)
                viewlog.put_chunk(db, slot, sort_key, [view.to_row() for _, view in part], expires_at)
                result.logged += len(part)
            _mark(db, config.table_name, slot, clock(), config.ingest_grace_seconds, expires_at)
        except Exception:  # whatever failed, Lambda must retry these records, not lose them
            logger.exception("logging a slot's views failed", extra={"slot": keys.slot_name(slot)})
            # retried from this slot's earliest record; the records of other slots are logged or retried on their own
            sequence = min((_sequence(record) for record, _ in entries), key=lambda number: (len(number), number))
            result.failed_sequence_numbers.append(sequence)
    return result


def _mark(db: Db, table: str, slot: Slot, now: float, grace_seconds: int, expires_at: int) -> None:
    # a chunk this late may come after the slot was sealed: mark it again, so the run seals the slot again
    late = now >= slot.end + grace_seconds / 2
    if late or (table, slot) not in _marked_here:
        viewlog.mark_slot(db, slot, int(now * 1000), expires_at)
        if len(_marked_here) > MAX_REMEMBERED_MARKS:
            _marked_here.clear()
        _marked_here.add((table, slot))


def _valid_view(image: Mapping[str, Any]) -> LoggedView | None:
    """The view of a stream image, or None when it is not one the tracker could have written."""
    try:
        view = view_from_image(dict(image))
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
    if not view.article_id or not view.visitor or view.received_ms <= 0 or view.weight < 1:
        return None
    return view


def _engaged_view(image: Mapping[str, Any]) -> LoggedView | None:
    """The engaged row of a page view marked engaged, or None when the image is not one."""
    try:
        marked = engaged_ms(dict(image))
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
    view = _valid_view(image)
    if view is None or marked is None:
        return None
    # no ref: a widget key of engaged readers would mean nothing; the cap and the dedupe apply as to views
    return replace(view, article_id=engaged_key(view.article_id), ref="")


def _sequence(record: Mapping[str, Any]) -> str:
    return str(record.get("dynamodb", {}).get("SequenceNumber", ""))
