"""Editorial controls: exclusions (an article leaves every list) and pins (an article holds a position in
one list), each until a moment. The ranking run applies those in force; the API lists them.

An entry whose ``until`` is at or before ``now`` is expired: never listed, never applied. A PUT with an
``until`` in the past is accepted all the same. ``now`` is always a parameter (epoch seconds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mostread.dal import editorial
from mostread.dal.client import Db, default_db
from mostread.editorial_models import Exclusion, ExclusionIn, Pin, PinIn
from mostread.errors import NotFound


@dataclass(frozen=True)
class ActiveControls:
    exclusions: dict[str, Exclusion]  # article_id -> exclusion, only those in force at `now`
    pins: list[Pin]  # only those in force at `now`, sorted by (position, article_id)


def active_controls(db: Db, now: float) -> ActiveControls:
    """The exclusions and pins in force at ``now``, for the ranking run (one Query of the partition)."""
    exclusions, pins = editorial.all_controls(db)
    return ActiveControls(
        exclusions={entry.article_id: entry for entry in exclusions if in_force(entry, now)},
        pins=sorted((pin for pin in pins if in_force(pin, now)), key=lambda pin: (pin.position, pin.article_id)),
    )


def in_force(entry: Exclusion | Pin, now: float) -> bool:
    until = entry.until_ts
    return until is None or until > now


def put_exclusion(article_id: str, fields: ExclusionIn) -> Exclusion:
    exclusion = Exclusion(article_id=article_id, **fields.model_dump())
    editorial.put_exclusion(default_db(), exclusion)
    return exclusion


def delete_exclusion(article_id: str) -> None:
    if not editorial.delete_exclusion(default_db(), article_id):
        raise NotFound(f"article {article_id} has no exclusion", "article_id")


def put_pin(article_id: str, fields: PinIn) -> Pin:
    pin = Pin(article_id=article_id, **fields.model_dump())
    editorial.put_pin(default_db(), pin)
    return pin


def delete_pin(article_id: str) -> None:
    if not editorial.delete_pin(default_db(), article_id):
        raise NotFound(f"article {article_id} has no pin", "article_id")


def listing(now: float) -> dict[str, list[dict[str, Any]]]:
    """``GET /v1/editorial``: the entries in force at ``now``, each sorted by article id."""
    exclusions, pins = editorial.all_controls(default_db())
    return {
        "exclusions": [entry_document(entry) for entry in sorted(exclusions, key=_article_id) if in_force(entry, now)],
        "pins": [entry_document(pin) for pin in sorted(pins, key=_article_id) if in_force(pin, now)],
    }


def entry_document(entry: Exclusion | Pin) -> dict[str, Any]:
    """An entry as the API shows it: ``article_id`` first, then the fields it was stored with."""
    return {"article_id": entry.article_id, **entry.model_dump(exclude={"article_id"})}


def _article_id(entry: Exclusion | Pin) -> str:
    return entry.article_id
