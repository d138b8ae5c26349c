"""The OpenAPI 3.1 document of the whole public API (GET /v1/openapi.json), generated from the models.

Every route of template.yaml is declared below on a Powertools resolver that never serves a request: each
declaration names the pydantic models its real handler (functions/*/app.py) validates with and answers
with, and Powertools turns them into the document. tests/unit/test_openapi.py holds the declared routes
equal to template.yaml's, so the two cannot drift apart.

Import it lazily, on the first request for the document: it pulls in the Powertools event handler, which
the assets function has no other use for. ``document_json()`` is built once per container.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.models import APIKey, SecurityScheme
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader
from pydantic import BaseModel

from mostread import http
from mostread.models import MAX_BATCH, MAX_BODY_BYTES, Kind, ListFormat
from mostread.periods import PERIOD_PATTERN
from mostread.responses import ArticleViews, EditorialListing, ErrorBody, RankingPage
from mostread.schemas import (
    Article,
    ArticleId,
    ArticleIn,
    Exclusion,
    ExclusionIn,
    Pin,
    PinIn,
    Section,
    ViewBatchIn,
    ViewIn,
    ViewsAccepted,
)
from mostread.timebuckets import WindowName

TITLE = "mostread"
VERSION = "v1"
DESCRIPTION = (
    "많이 본 뉴스 — most-read and trending article lists for news sites. Article pages report each view "
    "(POST /v1/views); a ranking run every minute publishes the lists for the last hour, day and week, "
    "overall and per section; the widget reads them (GET /v1/rankings). Bodies are UTF-8 JSON; every "
    'client error is a 4xx with the body {"error": {"code", "message", "field"}}, and a failure of the service '
    "itself (a dependency down or throttled) a 503 with Retry-After and the same body. Catalog and editorial "
    "writes are IAM-authorised (SigV4) in AWS."
)
SIGV4 = "sigv4"
IAM: list[dict[str, list[str]]] = [{SIGV4: []}]
SECURITY_SCHEMES: dict[str, SecurityScheme] = {
    SIGV4: APIKey.model_validate(
        {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "AWS SigV4 (API Gateway AWS_IAM authorizer); `mostread dev` does not check it.",
            "x-amazon-apigateway-authtype": "awsSigv4",
        }
    )
}

JSON = "application/json"

app = APIGatewayHttpResolver()  # documentation only: enable_validation would add 422s this API never answers


def _body(
    description: str, model: type[BaseModel], headers: dict[str, OpenAPIResponseHeader] | None = None
) -> OpenAPIResponse:
    response: OpenAPIResponse = {"description": description, "content": {JSON: {"model": model}}}
    if headers:
        response["headers"] = headers
    return response


def _with_csv(response: OpenAPIResponse) -> OpenAPIResponse:
    """format=csv: the list's header row (rank, article_id, title, url, section, published_at, views, then the
    kind's own columns: score for trending, read_rate for engaged) and a row per item, RFC 4180."""
    response["content"]["text/csv"] = {
        "schema": {"type": "string", "description": "RFC 4180, UTF-8, CRLF; formula-like cells start with '"}
    }
    return response


def _no_body(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {}}  # empty content is dropped from the document


def _error(description: str) -> OpenAPIResponse:
    return _body(description, ErrorBody)


def _header(description: str) -> OpenAPIResponseHeader:
    return {"description": description, "schema": {"type": "string"}}


CACHE_HEADERS: dict[str, OpenAPIResponseHeader] = {
    "Cache-Control": _header("public, max-age=N; N is no more than the ranking interval"),
    "ETag": _header("Send it back in If-None-Match: an unchanged list is answered 304"),
}
NOT_MODIFIED = _no_body("If-None-Match named the current ETag")
TOO_LARGE = _error("Body too large")
FORBIDDEN = _no_body("Missing or invalid SigV4 signature (answered by API Gateway, not by mostread)")
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match", description="An ETag of an earlier answer")]
ArticleIdPath = Annotated[ArticleId, Path(description="The CMS's article id, e.g. 2026-11-27-0001")]


@app.post(
    "/v1/views",
    operation_id="recordViews",
    tags=["tracking"],
    summary="Record article views (public, called by every article page)",
    description=(
        f"One view, or a batch of 1 to {MAX_BATCH}. Content-Type application/json or text/plain (what "
        "navigator.sendBeacon sends). Views carrying an `event_id` already seen are never counted twice. The "
        "visitor is derived on the server from the client IP and User-Agent with a salt that rotates daily; "
        "the raw IP is never stored. Views of articles not in the catalog are counted but not ranked. "
        "Unknown fields are ignored."
    ),
    responses={
        202: _body(
            "accepted: newly counted; duplicate: recognised on arrival as a repeat (same visitor and article "
            "within the dedupe period, or an event_id already seen); ignored: not counted by policy (bots, "
            "prefetch)",
            ViewsAccepted,
        ),
        400: _error("A wrong type or pattern, naming the field (e.g. views[1].event_id)"),
        413: _error(f"Body over {MAX_BODY_BYTES} bytes"),
        415: _error("Content-Type other than application/json or text/plain"),
    },
)
def record_views(views: Annotated[ViewIn | ViewBatchIn, Body(description="One view, or {views: [...]}")]) -> None:
    raise NotImplementedError("documentation only: functions/track/app.py")


@app.get(
    "/v1/rankings",
    operation_id="getRankings",
    tags=["rankings"],
    summary="The widget's list (public, cacheable)",
    description=(
        "most_read: ordered by views in the window (desc), then published_at (newer first), then article_id. "
        "trending (windows 1h and 24h): ordered by score, then views, then published_at, then article_id. "
        "engaged: ordered by engaged readers (views), then published_at, then article_id; items carry read_rate. "
        "Only catalogued articles that are eligible for lists appear (not excluded, published no longer ago than "
        "the maximum age); editors' pins and exclusions are applied. A story (articles sharing a catalog story_id) "
        "appears once, as its most-viewed article in the window, with story_articles; a pinned article stands for "
        "its story. With FreshnessTopHours set, a story that has stood in a most_read list's top 3 longer than that "
        "stands at place 4. Unknown parameters are ignored. "
        "With `period`: the most_read list of an ended calendar period in the site's time zone (SiteTimeZone), "
        "computed once when it ended; the maximum age does not apply, articles deleted or excluded since are left "
        "out, and `previous_rank` is null."
    ),
    responses={
        200: _with_csv(_body("The list as the latest ranking run published it", RankingPage, CACHE_HEADERS)),
        304: NOT_MODIFIED,
        400: _error(
            "A parameter out of range (trending with window=7d: field `window`), naming it; with `period`: "
            "`window` given too, a period that has not ended or ended more than ArchiveDays ago, or a malformed one "
            "(field `period`), or a kind other than most_read (field `kind`)"
        ),
    },
)
def get_rankings(
    kind: Annotated[
        Kind, Query(description="most_read (많이 본 뉴스), trending (급상승) or engaged (끝까지 읽은 뉴스)")
    ] = "most_read",
    window: Annotated[WindowName, Query(description="1h, 24h or 7d; trending has 1h and 24h")] = "24h",
    section: Annotated[Section | None, Query(description="A section id; absent: all sections")] = None,
    limit: Annotated[int, Query(ge=1, le=50, description="Number of items")] = 10,
    period: Annotated[
        str | None,
        Query(
            pattern=PERIOD_PATTERN,
            description="An ended calendar period instead of a window: YYYY-MM-DD (a day), YYYY-Www (an ISO week), "
            "YYYY-MM (a month) or YYYY (a year), in the site's time zone; kept ArchiveDays (400) days after it ended. "
            "Not with `window`; most_read only.",
        ),
    ] = None,
    format: Annotated[
        ListFormat,
        Query(description="json, or csv: the same list as text/csv for spreadsheets (UTF-8, a header row)"),
    ] = "json",
    if_none_match: IfNoneMatch = None,
) -> None:
    raise NotImplementedError("documentation only: functions/read/app.py")


@app.get(
    "/v1/articles/<article_id>/views",
    operation_id="getArticleViews",
    tags=["rankings"],
    summary="Counts for one article (public)",
    description="As of the latest ranking run; widget clicks (ref=mostread) count here too.",
    responses={
        200: _body("Zeros for an article never viewed", ArticleViews, CACHE_HEADERS),
        304: NOT_MODIFIED,
        400: _error("A malformed article id"),
    },
)
def get_article_views(article_id: ArticleIdPath, if_none_match: IfNoneMatch = None) -> None:
    raise NotImplementedError("documentation only: functions/read/app.py")


@app.get(
    "/v1/articles/<article_id>",
    operation_id="getArticle",
    tags=["catalog"],
    summary="A catalogued article",
    responses={
        200: _body("The stored article", Article),
        400: _error("A malformed article id"),
        404: _error("Not in the catalog"),
    },
)
def get_article(article_id: ArticleIdPath) -> None:
    raise NotImplementedError("documentation only: functions/read/app.py")


@app.put(
    "/v1/articles/<article_id>",
    operation_id="putArticle",
    tags=["catalog"],
    summary="Register or replace an article (CMS; IAM)",
    description=(
        "Upsert: a second PUT replaces the first. Only catalogued articles are ranked; a changed title shows "
        "in the lists from the next ranking run."
    ),
    security=IAM,
    responses={
        200: _body("The stored article, article_id included", Article),
        400: _error("A bad body, naming the field"),
        403: FORBIDDEN,
        413: TOO_LARGE,
    },
)
def put_article(
    article_id: ArticleIdPath,
    article: Annotated[ArticleIn, Body(description="thumbnail_url and summary may be omitted (null)")],
) -> None:
    raise NotImplementedError("documentation only: functions/catalog/app.py")


@app.delete(
    "/v1/articles/<article_id>",
    operation_id="deleteArticle",
    tags=["catalog"],
    summary="Remove an article (CMS; IAM)",
    description="The article disappears from the lists at the next ranking run.",
    security=IAM,
    responses={204: _no_body("Deleted"), 400: _error("A malformed article id"), 403: FORBIDDEN, 404: _error("Absent")},
)
def delete_article(article_id: ArticleIdPath) -> None:
    raise NotImplementedError("documentation only: functions/catalog/app.py")


@app.put(
    "/v1/editorial/exclusions/<article_id>",
    operation_id="putExclusion",
    tags=["editorial"],
    summary="Keep an article out of every list (editors; IAM)",
    description=(
        "The article leaves every list until `until` (forever if null), from the next ranking run. An exclusion "
        "beats a pin. A second PUT replaces the first."
    ),
    security=IAM,
    responses={
        200: _body("The stored exclusion", Exclusion),
        400: _error("A bad body, naming the field"),
        403: FORBIDDEN,
        413: TOO_LARGE,
    },
)
def put_exclusion(article_id: ArticleIdPath, exclusion: Annotated[ExclusionIn, Body()]) -> None:
    raise NotImplementedError("documentation only: functions/editorial/app.py")


@app.delete(
    "/v1/editorial/exclusions/<article_id>",
    operation_id="deleteExclusion",
    tags=["editorial"],
    summary="Lift an exclusion (editors; IAM)",
    security=IAM,
    responses={204: _no_body("Lifted"), 400: _error("A malformed article id"), 403: FORBIDDEN, 404: _error("Absent")},
)
def delete_exclusion(article_id: ArticleIdPath) -> None:
    raise NotImplementedError("documentation only: functions/editorial/app.py")


@app.put(
    "/v1/editorial/pins/<article_id>",
    operation_id="putPin",
    tags=["editorial"],
    summary="Pin an article to a position in one list (editors; IAM)",
    description=(
        "The article stands at `position` (or last, if the list is shorter) in the one list named by kind, window "
        "and section (null: the all-sections list), whatever its views, the others moving down, until `until`. "
        "One pin per article: a second PUT replaces it."
    ),
    security=IAM,
    responses={
        200: _body("The stored pin", Pin),
        400: _error("A bad body, naming the field"),
        403: FORBIDDEN,
        413: TOO_LARGE,
    },
)
def put_pin(article_id: ArticleIdPath, pin: Annotated[PinIn, Body()]) -> None:
    raise NotImplementedError("documentation only: functions/editorial/app.py")


@app.delete(
    "/v1/editorial/pins/<article_id>",
    operation_id="deletePin",
    tags=["editorial"],
    summary="Remove a pin (editors; IAM)",
    security=IAM,
    responses={204: _no_body("Removed"), 400: _error("A malformed article id"), 403: FORBIDDEN, 404: _error("Absent")},
)
def delete_pin(article_id: ArticleIdPath) -> None:
    raise NotImplementedError("documentation only: functions/editorial/app.py")


@app.get(
    "/v1/editorial",
    operation_id="listEditorial",
    tags=["editorial"],
    summary="Exclusions and pins in force (editors; IAM)",
    security=IAM,
    responses={
        200: _body("Each entry with article_id and the fields it was stored with", EditorialListing),
        403: FORBIDDEN,
    },
)
def list_editorial() -> None:
    raise NotImplementedError("documentation only: functions/editorial/app.py")


@app.get(
    "/v1/assets/<name>",
    operation_id="getAsset",
    tags=["assets"],
    summary="The tracker and widget scripts a site embeds",
    description=(
        "tracker.v1.js, widget.v1.js, widget.v1.css: cached for a day; their content-hashed names (the widget "
        "loads them) are cached for a year, immutable."
    ),
    responses={
        200: {
            "description": "The script or style sheet",
            "headers": {
                "Cache-Control": _header("max-age=86400, or a year for hashed names"),
                "ETag": _header("The asset's digest"),
            },
            "content": {
                "application/javascript": {"schema": {"type": "string"}},
                "text/css": {"schema": {"type": "string"}},
            },
        },
        304: NOT_MODIFIED,
        404: _error("No asset of that name"),
    },
)
def get_asset(
    name: Annotated[str, Path(description="e.g. widget.v1.js", examples=["tracker.v1.js", "widget.v1.css"])],
    if_none_match: IfNoneMatch = None,
) -> None:
    raise NotImplementedError("documentation only: functions/assets/app.py")


@app.get(
    "/v1/openapi.json",
    operation_id="getOpenApiDocument",
    tags=["assets"],
    summary="This document",
    responses={
        200: {
            "description": "The OpenAPI document of the whole API, generated from the code",
            "headers": CACHE_HEADERS,
            "content": {JSON: {"schema": {"type": "object"}}},
        },
        304: NOT_MODIFIED,
    },
)
def get_openapi_document(if_none_match: IfNoneMatch = None) -> None:
    raise NotImplementedError("documentation only: functions/assets/app.py")


UNAVAILABLE: dict[str, Any] = {
    "description": (
        "The service could not answer: a dependency is down or throttled, never anything the client sent. Send the "
        "request again after Retry-After seconds; every write is idempotent, so a view sent twice counts once."
    ),
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait before sending the request again",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
    "content": {JSON: {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}
# POST /v1/views reads a body with "views" as a batch, whatever else it holds: the single view's alternative is
# one without it (a view inside a batch may carry a stray "views" field, which is ignored like any unknown field).
SINGLE_VIEW_BODY = {"$ref": "#/components/schemas/ViewIn", "not": {"required": ["views"]}}


@cache
def document() -> dict[str, Any]:
    """The document as Powertools generates it, tidied: no empty content maps (204, 304), text/plain as
    well as JSON for the tracker, the 503 every route may answer, and none of Powertools' validation-error
    schemas (nothing refers to them)."""
    generated = app.get_openapi_json_schema(
        title=TITLE, version=VERSION, description=DESCRIPTION, security_schemes=SECURITY_SCHEMES
    )
    built: dict[str, Any] = json.loads(generated)
    for operations in built["paths"].values():
        for operation in operations.values():
            for response in operation["responses"].values():
                if not response.get("content"):
                    response.pop("content", None)
            # Declared here, not route by route, so that no route can lack it (the functions answer it from
            # mostread.failures, the same error body as a 4xx).
            operation["responses"]["503"] = copy.deepcopy(UNAVAILABLE)
    views_body = built["paths"]["/v1/views"]["post"]["requestBody"]["content"]
    single, batch = views_body[JSON]["schema"]["anyOf"]
    if single != {"$ref": SINGLE_VIEW_BODY["$ref"]}:
        raise RuntimeError(f"POST /v1/views: expected the single view first, found {single}")
    views_body[JSON]["schema"]["anyOf"] = [SINGLE_VIEW_BODY, batch]
    views_body["text/plain"] = copy.deepcopy(views_body[JSON])  # navigator.sendBeacon's type, the same JSON inside
    _drop_unreferenced_schemas(built)
    return built


def allowed_methods(path: str) -> list[str]:
    """The methods the API serves on ``path`` (a request path), from the document; [] for a path it does not
    have. For the fallback route: API Gateway sends there every request no route matches."""
    for template, operations in document()["paths"].items():
        pattern = "^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return sorted(method.upper() for method in operations)
    return []


@cache
def document_json() -> tuple[str, str]:
    """The served body (UTF-8 JSON, Korean unescaped) and its ETag."""
    body = http.dumps(document())
    return body, http.etag_of(body)


def _drop_unreferenced_schemas(built: dict[str, Any]) -> None:
    schemas: dict[str, Any] = built["components"]["schemas"]
    wanted: set[str] = set()
    pending = _references(built["paths"])
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.add(name)
            pending |= _references(schemas[name])
    for name in set(schemas) - wanted:
        del schemas[name]


def _references(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.removeprefix("#/components/schemas/"))
        for value in node.values():
            found |= _references(value)
    elif isinstance(node, list):
        for value in node:
            found |= _references(value)
    return found
