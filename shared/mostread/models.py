"""Request and response models of the public API (pydantic); the contract's field rules live here."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from mostread.errors import ClientError, field_path
from mostread.timebuckets import WindowName

ARTICLE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
SECTION_PATTERN = r"^[a-z0-9_-]+$"
EVENT_ID_PATTERN = r"^[A-Za-z0-9_-]+$"
MAX_BATCH = 25
MAX_BODY_BYTES = 16 * 1024


def _no_dot_dot(value: str) -> str:
    # The pattern admits "a..b"; such ids end up in URLs and file names downstream, so refuse them.
    if ".." in value:
        raise ValueError("must not contain '..'")
    return value


def _plain_text(value: str) -> str:
    """Text shown to readers: any script, emoji included, but no control characters or lone surrogates."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            raise ValueError("must be valid Unicode (lone surrogate)")
        if category == "Cc" and char not in "\t\n":
            raise ValueError("must not contain control characters")
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise ValueError("must have a valid port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http(s) URL")
    if any(char.isspace() or unicodedata.category(char) in ("Cc", "Cs") for char in value):
        raise ValueError("must not contain spaces or control characters")
    return value


def _iso_with_offset(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO-8601 date-time") from None
    if moment.utcoffset() is None:
        raise ValueError("must carry a UTC offset, e.g. +09:00 or Z")
    return value


ArticleId = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=128, pattern=ARTICLE_ID_PATTERN),
    AfterValidator(_no_dot_dot),
]
EventId = Annotated[str, StringConstraints(strict=True, min_length=8, max_length=64, pattern=EVENT_ID_PATTERN)]
Ref = Annotated[str, StringConstraints(strict=True, max_length=32), AfterValidator(_plain_text)]
Section = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=64, pattern=SECTION_PATTERN)]
HttpUrl = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=2048), AfterValidator(_http_url)]
Timestamp = Annotated[str, StringConstraints(strict=True, max_length=64), AfterValidator(_iso_with_offset)]


class ViewIn(BaseModel):
    """One page view as the article page reports it. Unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    article_id: ArticleId
    event_id: EventId | None = None
    ref: Ref | None = None


class ViewBatchIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    views: Annotated[list[ViewIn], Field(min_length=1, max_length=MAX_BATCH)]


class ViewsAccepted(BaseModel):
    accepted: int = 0
    duplicate: int = 0
    ignored: int = 0


class ArticleIn(BaseModel):
    """The catalog entry a CMS stores for an article."""

    model_config = ConfigDict(extra="ignore")

    title: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=300), AfterValidator(_plain_text)]
    url: HttpUrl
    section: Section
    published_at: Timestamp
    thumbnail_url: HttpUrl | None = None
    summary: Annotated[str, StringConstraints(strict=True, max_length=500), AfterValidator(_plain_text)] | None = None


class Article(ArticleIn):
    article_id: str

    @property
    def published_ts(self) -> float:
        return datetime.fromisoformat(self.published_at).timestamp()


Kind = Literal["most_read", "trending"]
KIND_WINDOWS: dict[Kind, tuple[WindowName, ...]] = {"most_read": ("1h", "24h", "7d"), "trending": ("1h", "24h")}
MAX_POSITION = 50


def _window_of_kind(window: str, info: ValidationInfo) -> str:
    kind = info.data.get("kind")
    if kind in KIND_WINDOWS and window not in KIND_WINDOWS[kind]:
        raise ValueError(f"{kind} lists have the windows {', '.join(KIND_WINDOWS[kind])}")
    return window


def _plain_whole_number(value: object) -> object:
    # query strings arrive as text; "1_0", " 10", "+5", "10.0" or "010" are not what a widget sends
    if isinstance(value, str) and not re.fullmatch(r"[1-9][0-9]{0,2}", value):
        raise ValueError("must be a whole number written with digits, from 1 to 50")
    return value


class RankingQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # kind comes first: the window is checked against it
    kind: Kind = "most_read"
    window: WindowName = "24h"
    section: Section | None = None
    limit: Annotated[int, BeforeValidator(_plain_whole_number), Field(ge=1, le=50)] = 10

    _window_fits_kind = field_validator("window")(_window_of_kind)


class ExclusionIn(BaseModel):
    """An editor's exclusion: the article leaves every list until ``until`` (forever if null)."""

    model_config = ConfigDict(extra="ignore")

    until: Timestamp | None = None
    reason: Annotated[str, StringConstraints(strict=True, max_length=500), AfterValidator(_plain_text)] | None = None


class Exclusion(ExclusionIn):
    article_id: str

    @property
    def until_ts(self) -> float | None:
        return None if self.until is None else datetime.fromisoformat(self.until).timestamp()


class PinIn(BaseModel):
    """An editor's pin: the article stands at ``position`` in one list until ``until``."""

    model_config = ConfigDict(extra="ignore")

    kind: Kind
    window: WindowName
    section: Section | None = None
    position: Annotated[int, Field(strict=True, ge=1, le=MAX_POSITION)]
    until: Timestamp

    _window_fits_kind = field_validator("window")(_window_of_kind)


class Pin(PinIn):
    article_id: str

    @property
    def until_ts(self) -> float:
        return datetime.fromisoformat(self.until).timestamp()


def validate(model: type[BaseModel], data: Any, *, prefix: str = "") -> Any:
    """Validate ``data`` or raise the contract's 400 naming the first offending field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = field_path(tuple(first["loc"])) or None
        if prefix:
            field = f"{prefix}.{field}" if field else prefix
        message = first["msg"].removeprefix("Value error, ")
        code = "missing_field" if first["type"] == "missing" else "invalid_field"
        raise ClientError(code, f"{field or 'body'}: {message}", field) from None
