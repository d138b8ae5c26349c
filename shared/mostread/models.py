"""Request and stored models of the public API, and the contract's field rules.

Plain dataclasses, checked by hand: this module is on every request path, and pydantic would add about two fifths
of boto3's import to every cold start (BENCHMARKS.md, section 1). The same rules, as pydantic models, are
``mostread.schemas``: the OpenAPI document is generated from them, and they answer for whatever these checks do not
accept. ``validate`` takes the quick check first; anything it does not accept is validated by the schema, whose
error, naming the offending field, is the answer (and should the schema accept it after all, its value is used).
So the checks here only ever decide what is valid, never what an error says; tests/unit/test_model_parity.py
holds them to the schemas.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache
from typing import Any, Literal, Self, TypeGuard, TypeVar
from urllib.parse import urlsplit

from mostread.timebuckets import WindowName

ARTICLE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
SECTION_PATTERN = r"^[a-z0-9_-]+$"
EVENT_ID_PATTERN = r"^[A-Za-z0-9_-]+$"
WHOLE_NUMBER_PATTERN = r"[1-9][0-9]{0,2}"
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

Kind = Literal["most_read", "trending", "engaged"]
KIND_WINDOWS: dict[Kind, tuple[WindowName, ...]] = {
    "most_read": ("1h", "24h", "7d"),
    "trending": ("1h", "24h"),
    "engaged": ("1h", "24h", "7d"),
}
# how GET /v1/rankings answers: the JSON document, or the same list as CSV for spreadsheets
ListFormat = Literal["json", "csv"]
LIST_FORMATS: tuple[ListFormat, ...] = ("json", "csv")
MAX_POSITION = 50
# (min, max) length of each kind of string field
ARTICLE_ID_LENGTH = (1, 128)
EVENT_ID_LENGTH = (8, 64)
REF_LENGTH = (0, 32)
SECTION_LENGTH = (1, 64)
TITLE_LENGTH = (1, 300)
SUMMARY_LENGTH = (0, 500)
URL_LENGTH = (1, 2048)
TIMESTAMP_LENGTH = (0, 64)
REASON_LENGTH = (0, 500)
PERIOD_LENGTH = (4, 10)


# --- the rules pydantic cannot state as constraints: the schemas run them as validators, the checks below too -----


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


def _calendar_period(value: str) -> str:
    from mostread.periods import parse_period

    parse_period(value)
    return value


def _engaged_needs_event(event_id: str | None, engaged: object) -> str | None:
    # an engaged report names the page view it belongs to: without it, it could only be counted as a guess
    if engaged is True and event_id is None:
        raise ValueError("required when engaged is true (the event_id of the page view)")
    return event_id


def _window_of(kind: object, window: str) -> str:
    if kind in KIND_WINDOWS and window not in KIND_WINDOWS[kind]:
        raise ValueError(f"{kind} lists have the windows {', '.join(KIND_WINDOWS[kind])}")
    return window


def _plain_whole_number(value: object) -> object:
    # query strings arrive as text; "1_0", " 10", "+5", "10.0" or "010" are not what a widget sends
    if isinstance(value, str) and not _regex(WHOLE_NUMBER_PATTERN).fullmatch(value):
        raise ValueError("must be a whole number written with digits, from 1 to 50")
    return value


# --- the quick checks: True only for what the schema accepts as it is ----------------------------------------


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)  # on first use, not at import


def _text(value: object, length: tuple[int, int]) -> TypeGuard[str]:
    # exactly str: the schemas' strings are strict
    return type(value) is str and length[0] <= len(value) <= length[1]


def _matches(value: object, length: tuple[int, int], pattern: str) -> TypeGuard[str]:
    return _text(value, length) and _regex(pattern).fullmatch(value) is not None


def _passes(value: object, length: tuple[int, int], rule: Any) -> TypeGuard[str]:
    if not _text(value, length):
        return False
    try:
        rule(value)
    except ValueError:
        return False
    return True


def _article_id_ok(value: object) -> TypeGuard[str]:
    return _matches(value, ARTICLE_ID_LENGTH, ARTICLE_ID_PATTERN) and ".." not in value


def _section_ok(value: object) -> TypeGuard[str]:
    return _matches(value, SECTION_LENGTH, SECTION_PATTERN)


def _timestamp_ok(value: object) -> TypeGuard[str]:
    return _passes(value, TIMESTAMP_LENGTH, _iso_with_offset)


def _url_ok(value: object) -> TypeGuard[str]:
    return _passes(value, URL_LENGTH, _http_url)


def _period_ok(value: object) -> TypeGuard[str]:
    return _passes(value, PERIOD_LENGTH, _calendar_period)


def _position_ok(value: object) -> TypeGuard[int]:
    return type(value) is int and 1 <= value <= MAX_POSITION  # strict: no bool, no float


# --- the models ----------------------------------------------------------------------------------------------

M = TypeVar("M", bound="Model")
_MODELS: dict[str, type[Model]] = {}
_NAMES: dict[type[Model], tuple[str, ...]] = {}  # each model's fields, in order


class Model:
    """What every model offers: ``model_dump`` and ``model_validate``, as pydantic names them."""

    __slots__ = ()

    def __init_subclass__(cls) -> None:
        _MODELS[cls.__name__] = cls

    @classmethod
    def checked(cls, data: Any) -> Self | None:
        """``data`` as this model when the quick check accepts it; None means "ask the schema"."""
        return None

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        return validate(cls, data)

    def model_dump(self, *, exclude: set[str] | None = None) -> dict[str, Any]:
        names = _NAMES.get(type(self)) or _field_names(type(self))
        return {name: _dumped(getattr(self, name)) for name in names if not exclude or name not in exclude}


class Stored(Model):
    """A model the service stores and reads back (``Article``, ``Exclusion``, ``Pin``), never one a request sends:
    it has no quick check, so the schema decides. Listed first among a stored model's bases, so that its ``checked``
    comes before that of the request model it extends."""

    __slots__ = ()

    @classmethod
    def checked(cls, data: Any) -> None:
        return None


def _field_names(model: type[Model]) -> tuple[str, ...]:
    names = _NAMES[model] = tuple(field.name for field in fields(model))  # type: ignore[arg-type]
    return names


def _dumped(value: Any) -> Any:
    if isinstance(value, Model):
        return value.model_dump()
    if isinstance(value, list):
        return [_dumped(item) for item in value]
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewIn(Model):
    """One page view as the article page reports it, or (``engaged``) the report that its reader stayed with it.
    Unknown fields are ignored."""

    article_id: str
    event_id: str | None = None
    ref: str | None = None
    engaged: bool = False

    @classmethod
    def checked(cls, data: Any) -> ViewIn | None:
        if type(data) is not dict:
            return None
        article_id, event_id, ref = data.get("article_id"), data.get("event_id"), data.get("ref")
        engaged = data.get("engaged", False)
        if (
            _article_id_ok(article_id)
            and (event_id is None or _matches(event_id, EVENT_ID_LENGTH, EVENT_ID_PATTERN))
            and (ref is None or _passes(ref, REF_LENGTH, _plain_text))
            and type(engaged) is bool
            and (event_id is not None or not engaged)
        ):
            return cls(article_id=article_id, event_id=event_id, ref=ref, engaged=engaged)
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewBatchIn(Model):
    views: list[ViewIn]

    @classmethod
    def checked(cls, data: Any) -> ViewBatchIn | None:
        views = data.get("views") if type(data) is dict else None
        if type(views) is not list or not 1 <= len(views) <= MAX_BATCH:
            return None
        checked = []
        for view in views:
            one = ViewIn.checked(view)
            if one is None:
                return None
            checked.append(one)
        return cls(views=checked)


@dataclass(slots=True, kw_only=True)
class ViewsAccepted(Model):
    accepted: int = 0
    duplicate: int = 0
    ignored: int = 0


def validate(model: type[M], data: Any) -> M:
    """``data`` as ``model``, or the contract's 400 naming the first offending field."""
    checked = model.checked(data)
    if checked is not None:
        return checked
    from mostread import schemas  # pydantic: only for what the quick check did not accept

    return _from_schema(model, schemas.validate(getattr(schemas, model.__name__), data))


def _from_schema(model: type[M], validated: Any) -> M:
    values = {}
    for name in _NAMES.get(model) or _field_names(model):
        value = getattr(validated, name)
        if isinstance(value, list):
            value = [_MODELS[type(item).__name__](**item.model_dump()) for item in value]
        values[name] = value
    return model(**values)
