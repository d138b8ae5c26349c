"""Service configuration, read from the environment once per container and validated."""

from __future__ import annotations

import os
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, ValidationError, field_validator

from mostread.caches import remembered


class Settings(BaseModel):
    """Everything a deployment can change. Template Parameters feed these through environment variables."""

    table_name: str = Field(min_length=3, max_length=255)
    dedupe_minutes: int = Field(default=30)
    list_depth: int = Field(default=50, ge=10, le=100)
    retention_days: int = Field(default=8, ge=8, le=400)
    trusted_proxy_hops: int = Field(default=0, ge=0, le=1)
    cache_max_age: int = Field(default=30, ge=0, le=60)
    ingest_grace_seconds: int = Field(default=120, ge=10, le=900)
    max_article_age_days: int = Field(default=7, ge=1, le=3650)
    excluded_sections: frozenset[str] = frozenset()
    count_widget_clicks_in_lists: bool = False
    site_time_zone: str = "Asia/Seoul"
    trending_min_views: int = Field(default=1, ge=1, le=100_000)
    trending_half_life_hours: float = Field(default=12, ge=1, le=720)
    trending_prior_views: float = Field(default=10, ge=1, le=100_000)
    max_views_per_address: int = Field(default=20, ge=1, le=1000)
    salts_table_name: str = Field(default="", max_length=255)
    # when set, X-Forwarded-For is trusted only on requests carrying it (CloudFront adds it as an origin header)
    trusted_proxy_secret: str = Field(default="", max_length=256)

    @field_validator("excluded_sections", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("site_time_zone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {name!r}") from None
        return name

    @field_validator("dedupe_minutes")
    @classmethod
    def _slot_divides_the_hour(cls, minutes: int) -> int:
        # A dedupe slot is also the unit of the view log and of the summaries; it must tile hours
        # exactly and hold whole 5-minute buckets.
        if minutes not in (5, 10, 15, 20, 30, 60):
            raise ValueError("must be one of 5, 10, 15, 20, 30, 60")
        return minutes

    @property
    def slot_seconds(self) -> int:
        return self.dedupe_minutes * 60

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.site_time_zone)


_ENVIRONMENT = {
    "table_name": "TABLE_NAME",
    "dedupe_minutes": "DEDUPE_MINUTES",
    "list_depth": "LIST_DEPTH",
    "retention_days": "RETENTION_DAYS",
    "trusted_proxy_hops": "TRUSTED_PROXY_HOPS",
    "cache_max_age": "CACHE_MAX_AGE",
    "ingest_grace_seconds": "INGEST_GRACE_SECONDS",
    "max_article_age_days": "MAX_ARTICLE_AGE_DAYS",
    "excluded_sections": "EXCLUDED_SECTIONS",
    "count_widget_clicks_in_lists": "COUNT_WIDGET_CLICKS_IN_LISTS",
    "site_time_zone": "SITE_TIME_ZONE",
    "trending_min_views": "TRENDING_MIN_VIEWS",
    "trending_half_life_hours": "TRENDING_HALF_LIFE_HOURS",
    "trending_prior_views": "TRENDING_PRIOR_VIEWS",
    "max_views_per_address": "MAX_VIEWS_PER_ADDRESS",
    "salts_table_name": "SALTS_TABLE_NAME",
    "trusted_proxy_secret": "TRUSTED_PROXY_SECRET",
}


class ConfigurationError(RuntimeError):
    pass


@lru_cache(maxsize=1)
def settings() -> Settings:
    values = {field: os.environ[var] for field, var in _ENVIRONMENT.items() if os.environ.get(var)}
    try:
        return Settings.model_validate(values)
    except ValidationError as error:
        names = ", ".join(_ENVIRONMENT[str(e["loc"][0])] for e in error.errors() if e["loc"])
        raise ConfigurationError(f"invalid environment: {names}: {error}") from error


remembered(settings.cache_clear)
