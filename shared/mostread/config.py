"""Service configuration, read from the environment once per container and validated."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field, ValidationError, field_validator


class Settings(BaseModel):
    """Everything a deployment can change. Template Parameters feed these through environment variables."""

    table_name: str = Field(min_length=3, max_length=255)
    dedupe_minutes: int = Field(default=30)
    list_depth: int = Field(default=50, ge=10, le=100)
    retention_days: int = Field(default=8, ge=8, le=400)
    trusted_proxy_hops: int = Field(default=0, ge=0, le=1)
    cache_max_age: int = Field(default=30, ge=0, le=60)
    ingest_grace_seconds: int = Field(default=120, ge=10, le=900)

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


_ENVIRONMENT = {
    "table_name": "TABLE_NAME",
    "dedupe_minutes": "DEDUPE_MINUTES",
    "list_depth": "LIST_DEPTH",
    "retention_days": "RETENTION_DAYS",
    "trusted_proxy_hops": "TRUSTED_PROXY_HOPS",
    "cache_max_age": "CACHE_MAX_AGE",
    "ingest_grace_seconds": "INGEST_GRACE_SECONDS",
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
