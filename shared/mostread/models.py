"""Request and response models of the public API (pydantic); the contract's field rules live here."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from mostread.errors import ClientError, field_path
from mostread.timebuckets import WindowName

ARTICLE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
SECTION_PATTERN = r"^[a-z0-9_-]+$"
EVENT_ID_PATTERN = r"^[A-Za-z0-9_-]+$"
MAX_BATCH = 25
MAX_BODY_BYTES = 16 * 1024

# What the validators below enforce, as JSON-schema patterns for the OpenAPI document (mostread.openapi), so that
# every string the document admits is one the server accepts and the other way round. Only the document uses
# them: validation stays with the constraints and validators, and tests/unit/test_schema_patterns.py holds each
# pattern equal to its validator. They are written for ECMA-262, Python and Rust regex engines alike: no
# look-around, \xNN escapes below U+0100 and the characters themselves above (the served document has no \u
# escapes at all). JSON text cannot carry lone surrogates (RFC 8259 leaves them undefined), so the validators'
# refusal of them has no pattern.
#
# An article id: the id pattern without "..".
ARTICLE_ID_SCHEMA_PATTERN = r"^[A-Za-z0-9](?:\.?[A-Za-z0-9_:-])*\.?$"
# Text shown to readers: no control characters (Unicode category Cc) but tab and newline.
PLAIN_TEXT_PATTERN = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"
# The characters str.isspace() finds or Unicode calls Cc, which _http_url refuses anywhere in a URL.
_URL_FORBIDDEN = r"\x00-\x20\x7f-\xa0" + "\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# The characters whose NFKC form holds one of / ? # @ :, which urlsplit refuses in a host name or user info.
_NETLOC_FORBIDDEN = (
    "\u2047-\u2049\u2100\u2101\u2105\u2106\u2a74\ufe13\ufe16\ufe55\ufe56\ufe5f\ufe6b\uff03\uff0f\uff1a\uff1f\uff20"
)
# An absolute http(s) URL as urlsplit reads it: user info up to the last "@", a non-empty host, an optional port of
# ASCII digits from 0 to 65535 (leading zeros allowed, and "http://host:/" too), then path, query or fragment.
# Bracketed (IPv6) hosts are accepted by the server but left out here: a catalog has no use for them.
HTTP_URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://"
    rf"(?:[^/?#\[\]{_URL_FORBIDDEN}{_NETLOC_FORBIDDEN}]*@)?"
    rf"[^/?#@:\[\]{_URL_FORBIDDEN}{_NETLOC_FORBIDDEN}]+"
    r"(?::0*(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])?)?"
    rf"(?:[/?#][^{_URL_FORBIDDEN}]*)?$"
)
# An RFC 3339 date-time, as "format": "date-time" says, narrowed to what datetime.fromisoformat reads: upper-case
# T and Z, no year 0000, no leap second. The server reads other ISO-8601 forms with an offset too
# ("2026-11-27 09:00+09:00"); the document promises the common one.
TIMESTAMP_PATTERN = (
    r"^(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)


@dataclass(frozen=True)
class Documented:
    """Adds keywords to a type's JSON schema (the OpenAPI document) without touching its validation: for the rules
    an AfterValidator enforces, which pydantic cannot describe."""

    pattern: str
    format: str | None = None

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = self.pattern
        if self.format:
            schema["format"] = self.format
        return schema


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
    Documented(ARTICLE_ID_SCHEMA_PATTERN),
]
EventId = Annotated[str, StringConstraints(strict=True, min_length=8, max_length=64, pattern=EVENT_ID_PATTERN)]
Ref = Annotated[
    str, StringConstraints(strict=True, max_length=32), AfterValidator(_plain_text), Documented(PLAIN_TEXT_PATTERN)
]
Section = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=64, pattern=SECTION_PATTERN)]
HttpUrl = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=2048),
    AfterValidator(_http_url),
    Documented(HTTP_URL_PATTERN),
]
Timestamp = Annotated[
    str,
    StringConstraints(strict=True, max_length=64),
    AfterValidator(_iso_with_offset),
    Documented(TIMESTAMP_PATTERN, format="date-time"),
]


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

    title: Annotated[
        str,
        StringConstraints(strict=True, min_length=1, max_length=300),
        AfterValidator(_plain_text),
        Documented(PLAIN_TEXT_PATTERN),
    ]
    url: HttpUrl
    section: Section
    published_at: Timestamp
    thumbnail_url: HttpUrl | None = None
    summary: (
        Annotated[
            str,
            StringConstraints(strict=True, max_length=500),
            AfterValidator(_plain_text),
            Documented(PLAIN_TEXT_PATTERN),
        ]
        | None
    ) = None


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
    reason: (
        Annotated[
            str,
            StringConstraints(strict=True, max_length=500),
            AfterValidator(_plain_text),
            Documented(PLAIN_TEXT_PATTERN),
        ]
        | None
    ) = None


class Exclusion(ExclusionIn):
    article_id: str

    @property
    def until_ts(self) -> float | None:
        return None if self.until is None else datetime.fromisoformat(self.until).timestamp()


# _window_of_kind in the JSON schema: one alternative per kind, with that kind's windows (trending has no 7d). Each
# alternative only narrows kind and window (additionalProperties stated, for validators that default it to false).
WINDOW_FITS_KIND_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"properties": {"kind": {"const": kind}, "window": {"enum": list(windows)}}, "additionalProperties": True}
        for kind, windows in KIND_WINDOWS.items()
    ]
}


class PinIn(BaseModel):
    """An editor's pin: the article stands at ``position`` in one list until ``until``."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=WINDOW_FITS_KIND_SCHEMA)

    kind: Kind
    window: WindowName
    section: Section | None = None
    position: Annotated[
        int,
        Field(
            strict=True,
            ge=1,
            le=MAX_POSITION,
            description="A JSON integer written without a fraction or exponent: 3, not 3.0 or 3e0.",
        ),
    ]
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
