"""The public API's request and stored models as pydantic models: the contract's rules as the OpenAPI document
states them (mostread.openapi generates it from these), and the validation every body falls back to when the quick
check of ``mostread.models`` does not accept it, so that a 400 names the offending field as pydantic reads it.

Off the request path: a request imports this module only when its body or parameters are wrong. Each model has
the name of its counterpart in ``mostread.models`` (the document's schema names are these names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

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
from mostread.models import (
    ARTICLE_ID_LENGTH,
    ARTICLE_ID_PATTERN,
    ARTICLE_ID_SCHEMA_PATTERN,
    EVENT_ID_LENGTH,
    EVENT_ID_PATTERN,
    HTTP_URL_PATTERN,
    KIND_WINDOWS,
    MAX_BATCH,
    MAX_POSITION,
    PERIOD_LENGTH,
    PLAIN_TEXT_PATTERN,
    REASON_LENGTH,
    REF_LENGTH,
    SECTION_LENGTH,
    SECTION_PATTERN,
    SUMMARY_LENGTH,
    TIMESTAMP_LENGTH,
    TIMESTAMP_PATTERN,
    TITLE_LENGTH,
    URL_LENGTH,
    Kind,
    ListFormat,
    _calendar_period,
    _engaged_needs_event,
    _http_url,
    _iso_with_offset,
    _no_dot_dot,
    _plain_text,
    _plain_whole_number,
    _window_of,
)
from mostread.periods import PERIOD_PATTERN
from mostread.timebuckets import WindowName

# Every model is built on first use, not when this module is imported: most importers need one or two.
_LAZY = ConfigDict(defer_build=True)


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


def _string(length: tuple[int, int], **constraints: Any) -> StringConstraints:
    low, high = length
    return StringConstraints(strict=True, min_length=low or None, max_length=high, **constraints)


ArticleId = Annotated[
    str,
    _string(ARTICLE_ID_LENGTH, pattern=ARTICLE_ID_PATTERN),
    AfterValidator(_no_dot_dot),
    Documented(ARTICLE_ID_SCHEMA_PATTERN),
]
EventId = Annotated[str, _string(EVENT_ID_LENGTH, pattern=EVENT_ID_PATTERN)]
Ref = Annotated[str, _string(REF_LENGTH), AfterValidator(_plain_text), Documented(PLAIN_TEXT_PATTERN)]
Section = Annotated[str, _string(SECTION_LENGTH, pattern=SECTION_PATTERN)]
HttpUrl = Annotated[str, _string(URL_LENGTH), AfterValidator(_http_url), Documented(HTTP_URL_PATTERN)]
Timestamp = Annotated[
    str, _string(TIMESTAMP_LENGTH), AfterValidator(_iso_with_offset), Documented(TIMESTAMP_PATTERN, format="date-time")
]


def _event_of_engaged(event_id: str | None, info: ValidationInfo) -> str | None:
    return _engaged_needs_event(event_id, info.data.get("engaged"))


# _event_of_engaged in the JSON schema: an engaged report names its page view's event_id (a string, not null)
ENGAGED_NEEDS_EVENT_SCHEMA: dict[str, Any] = {
    "if": {"properties": {"engaged": {"const": True}}, "required": ["engaged"]},
    "then": {"properties": {"event_id": {"type": "string"}}, "required": ["event_id"]},
}


class ViewIn(BaseModel):
    """One page view as the article page reports it, or (``engaged``) the report that its reader stayed with it.
    Unknown fields are ignored."""

    model_config = ConfigDict(
        extra="ignore", frozen=True, defer_build=True, json_schema_extra=ENGAGED_NEEDS_EVENT_SCHEMA
    )

    article_id: ArticleId
    # engaged comes before event_id: an engaged report needs one
    engaged: Annotated[
        bool,
        Field(
            strict=True,
            description="true: the reader stayed with the page view named by event_id (sent once per page view, "
            "after the page was visible for EngagedSeconds or the reader reached the article's end). Counts "
            "toward kind=engaged only, and only when that page view was counted.",
        ),
    ] = False
    event_id: Annotated[EventId | None, Field(validate_default=True, description="Required when engaged is true.")] = (
        None
    )
    ref: Ref | None = None

    _engaged_needs_event = field_validator("event_id")(_event_of_engaged)


class ViewBatchIn(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    views: Annotated[list[ViewIn], Field(min_length=1, max_length=MAX_BATCH)]


class ViewsAccepted(BaseModel):
    model_config = _LAZY

    accepted: int = 0
    duplicate: int = 0
    ignored: int = 0


class ArticleIn(BaseModel):
    """The catalog entry a CMS stores for an article."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    title: Annotated[str, _string(TITLE_LENGTH), AfterValidator(_plain_text), Documented(PLAIN_TEXT_PATTERN)]
    url: HttpUrl
    section: Section
    published_at: Timestamp
    thumbnail_url: HttpUrl | None = None
    summary: (
        Annotated[str, _string(SUMMARY_LENGTH), AfterValidator(_plain_text), Documented(PLAIN_TEXT_PATTERN)] | None
    ) = None
    story_id: ArticleId | None = Field(
        default=None,
        description="Shared by the articles of one story (a developing event and its follow-ups): every list shows "
        "a story once, as its most-viewed article. Same pattern as article_id; null or absent: a story of its own.",
    )


class Article(ArticleIn):
    article_id: str


class ArticlePath(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    article_id: ArticleId


def _window_of_kind(window: str, info: ValidationInfo) -> str:
    return _window_of(info.data.get("kind"), window)


class RankingQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    # kind comes first: the window is checked against it
    kind: Kind = "most_read"
    window: WindowName = "24h"
    section: Section | None = None
    limit: Annotated[int, BeforeValidator(_plain_whole_number), Field(ge=1, le=50)] = 10
    period: Annotated[str, _string(PERIOD_LENGTH, pattern=PERIOD_PATTERN), AfterValidator(_calendar_period)] | None = (
        None
    )
    format: ListFormat = "json"

    _window_fits_kind = field_validator("window")(_window_of_kind)


class ExclusionIn(BaseModel):
    """An editor's exclusion: the article leaves every list until ``until`` (forever if null)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    until: Timestamp | None = None
    reason: (
        Annotated[str, _string(REASON_LENGTH), AfterValidator(_plain_text), Documented(PLAIN_TEXT_PATTERN)] | None
    ) = None


class Exclusion(ExclusionIn):
    article_id: str


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

    model_config = ConfigDict(extra="ignore", json_schema_extra=WINDOW_FITS_KIND_SCHEMA, defer_build=True)

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


def validate(model: type[BaseModel], data: Any) -> Any:
    """Validate ``data`` or raise the contract's 400 naming the first offending field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = field_path(tuple(first["loc"])) or None
        message = first["msg"].removeprefix("Value error, ")
        code = "missing_field" if first["type"] == "missing" else "invalid_field"
        raise ClientError(code, f"{field or 'body'}: {message}", field) from None
