"""The editorial controls' models: exclusions and pins. Apart from ``mostread.article_models`` so that the widget's
read, which only serves lists already published with their pins, never builds them (each dataclass costs its share
of a cold start, BENCHMARKS.md section 1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from mostread.models import (
    KIND_WINDOWS,
    REASON_LENGTH,
    Kind,
    Model,
    Stored,
    _passes,
    _plain_text,
    _position_ok,
    _section_ok,
    _timestamp_ok,
)
from mostread.timebuckets import WindowName


@dataclass(frozen=True, slots=True, kw_only=True)
class ExclusionIn(Model):
    """An editor's exclusion: the article leaves every list until ``until`` (forever if null)."""

    until: str | None = None
    reason: str | None = None

    @classmethod
    def checked(cls, data: Any) -> Self | None:
        if type(data) is not dict:
            return None
        until, reason = data.get("until"), data.get("reason")
        if (until is None or _timestamp_ok(until)) and (reason is None or _passes(reason, REASON_LENGTH, _plain_text)):
            return cls(until=until, reason=reason)
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Exclusion(Stored, ExclusionIn):
    article_id: str

    @property
    def until_ts(self) -> float | None:
        return None if self.until is None else datetime.fromisoformat(self.until).timestamp()


@dataclass(frozen=True, slots=True, kw_only=True)
class PinIn(Model):
    """An editor's pin: the article stands at ``position`` in one list until ``until``."""

    kind: Kind
    window: WindowName
    section: str | None = None
    position: int
    until: str

    @classmethod
    def checked(cls, data: Any) -> Self | None:
        if type(data) is not dict:
            return None
        kind, window, section = data.get("kind"), data.get("window"), data.get("section")
        position, until = data.get("position"), data.get("until")
        if (
            type(kind) is str
            and kind in KIND_WINDOWS
            and type(window) is str
            and window in KIND_WINDOWS[kind]
            and (section is None or _section_ok(section))
            and _position_ok(position)
            and _timestamp_ok(until)
        ):
            return cls(kind=kind, window=window, section=section, position=position, until=until)
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Pin(Stored, PinIn):
    article_id: str

    @property
    def until_ts(self) -> float:
        return datetime.fromisoformat(self.until).timestamp()
