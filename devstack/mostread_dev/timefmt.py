"""Timestamps as the API and the local tools write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

KST = timezone(timedelta(hours=9), "KST")


def iso_utc(epoch_seconds: float, *, milliseconds: bool = True) -> str:
    """``2026-11-27T09:20:00.000Z`` (or without the fraction)."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=UTC)
    if not milliseconds:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_kst(moment: datetime) -> str:
    """``2026-11-27T18:20:00+09:00``: how a Korean CMS writes publication times."""
    return moment.astimezone(KST).isoformat(timespec="seconds")
