"""Service configuration, read from the environment once per container and validated.

A dataclass checked field by field, not a pydantic model: every function reads its settings on its first request,
and pydantic would add about a fifth of boto3's import to every cold start (BENCHMARKS.md, section 1).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import TYPE_CHECKING

from mostread.caches import remembered

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})
SLOT_MINUTES = (5, 10, 15, 20, 30, 60)  # a dedupe slot tiles hours exactly and holds whole 5-minute buckets
_Rule = Callable[[object], object]


class InvalidSettings(ValueError):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    """Everything a deployment can change. Template Parameters feed these through environment variables.

    Values may be given as the environment's text: they are converted to the field's type and checked."""

    table_name: str
    dedupe_minutes: int = 30
    list_depth: int = 50
    retention_days: int = 8
    trusted_proxy_hops: int = 0
    cache_max_age: int = 30
    ingest_grace_seconds: int = 120
    max_article_age_days: int = 7
    excluded_sections: frozenset[str] = frozenset()
    count_widget_clicks_in_lists: bool = False
    site_time_zone: str = "Asia/Seoul"
    trending_min_views: int = 1
    trending_half_life_hours: float = 12
    trending_prior_views: float = 10
    max_views_per_address: int = 20
    # freshness rotation: hours a story may stand in a most-read list's top 3 before it moves down; 0 = off
    freshness_top_hours: float = 0
    # ended calendar periods stay in the archive this many days after their end
    archive_days: int = 400
    # seconds a page is visible before the tracker reports its reader engaged; 0: no engaged reports
    engaged_seconds: int = 15
    salts_table_name: str = ""
    # when set, X-Forwarded-For is trusted only on requests carrying it (CloudFront adds it as an origin header)
    trusted_proxy_secret: str = ""

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        for name, rule in _RULES.items():
            try:
                object.__setattr__(self, name, rule(getattr(self, name)))
            except (TypeError, ValueError) as error:
                problems[name] = str(error)
        if problems:
            raise InvalidSettings(problems)

    @property
    def slot_seconds(self) -> int:
        return self.dedupe_minutes * 60

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone. Looked up here, on first use, not when the settings are read: zoneinfo costs the
        functions that never use it (the reader, the catalog) a tenth of boto3's import on every cold start."""
        return _site_zone(self.site_time_zone)


def _text(low: int, high: int) -> Callable[[object], str]:
    def check(value: object) -> str:
        if not isinstance(value, str):
            raise TypeError("must be text")
        if not low <= len(value) <= high:
            raise ValueError(f"must be {low} to {high} characters long")
        return value

    return check


def _number(kind: type[int] | type[float], low: float, high: float) -> Callable[[object], float]:
    def check(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise TypeError(f"must be a number, not {type(value).__name__}")
        if kind is int and isinstance(value, float):
            if not value.is_integer():
                raise ValueError("must be a whole number")
            value = int(value)
        number = kind(value.strip() if isinstance(value, str) else value)
        if not low <= number <= high:
            raise ValueError(f"must be from {low:g} to {high:g}")
        return number

    return check


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("must be true or false")


def _sections(value: object) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, frozenset | set | list | tuple) and all(isinstance(part, str) for part in value):
        return frozenset(value)
    raise TypeError("must be comma-separated section ids")


def _zone(value: object) -> str:
    """The shape of an IANA name here (Area/Location); whether the zone exists is checked when it is first used."""
    name = _text(1, 255)(value)
    parts = name.split("/")
    if not all(part and part not in (".", "..") and all(c.isalnum() or c in "_+-" for c in part) for part in parts):
        raise ValueError(f"not an IANA time zone name: {name!r}")
    return name


@lru_cache(maxsize=8)
def _site_zone(name: str) -> ZoneInfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"invalid environment: SITE_TIME_ZONE: unknown IANA time zone {name!r}") from None


def _slot_minutes(value: object) -> int:
    minutes = round(_number(int, 1, 60)(value))
    if minutes not in SLOT_MINUTES:
        raise ValueError(f"must be one of {', '.join(map(str, SLOT_MINUTES))}")
    return minutes


_RULES: dict[str, _Rule] = {
    "table_name": _text(3, 255),
    "dedupe_minutes": _slot_minutes,
    "list_depth": _number(int, 10, 100),
    "retention_days": _number(int, 8, 400),
    "trusted_proxy_hops": _number(int, 0, 1),
    "cache_max_age": _number(int, 0, 60),
    "ingest_grace_seconds": _number(int, 10, 900),
    "max_article_age_days": _number(int, 1, 3650),
    "excluded_sections": _sections,
    "count_widget_clicks_in_lists": _flag,
    "site_time_zone": _zone,
    "trending_min_views": _number(int, 1, 100_000),
    "trending_half_life_hours": _number(float, 1, 720),
    "trending_prior_views": _number(float, 1, 100_000),
    "max_views_per_address": _number(int, 1, 1000),
    "freshness_top_hours": _number(float, 0, 8760),
    "archive_days": _number(int, 1, 3650),
    "engaged_seconds": _number(int, 0, 600),
    "salts_table_name": _text(0, 255),
    "trusted_proxy_secret": _text(0, 256),
}

ENVIRONMENT = {field.name: field.name.upper() for field in fields(Settings)}


class ConfigurationError(RuntimeError):
    pass


def settings_from(environment: Mapping[str, str]) -> Settings:
    """The settings an environment describes (template defaults for what it leaves out or empty)."""
    values = {name: environment[variable] for name, variable in ENVIRONMENT.items() if environment.get(variable)}
    if "table_name" not in values:
        raise ConfigurationError("invalid environment: TABLE_NAME: is required")
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except InvalidSettings as error:
        names = ", ".join(ENVIRONMENT[name] for name in error.problems)
        raise ConfigurationError(f"invalid environment: {names}: {error}") from error


@lru_cache(maxsize=1)
def settings() -> Settings:
    return settings_from(os.environ)


remembered(settings.cache_clear)
