"""The Powertools HTTP resolver every routed function uses, with the contract's error bodies wired in once.

Kept out of ``mostread.http`` so the tracker, which needs no resolver, does not import one at cold start.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from mostread import http
from mostread.errors import ClientError, NotFound
from mostread.services.catalog import checked_article_id

NO_STORE = {"cache-control": "no-store"}


def error_body(error: ClientError) -> Response[str]:
    return Response(error.status, http.JSON_TYPE, http.dumps(error.body()), NO_STORE)


def contract_resolver() -> APIGatewayHttpResolver:
    """A resolver whose client errors and unknown routes answer with the contract's error body."""
    app = APIGatewayHttpResolver()
    app.exception_handler(ClientError)(error_body)
    app.not_found(lambda _: error_body(NotFound("no such route", None)))
    return app


def path_article_id(app: APIGatewayHttpResolver, matched: str) -> str:
    """The checked article id of the path. API Gateway hands over the decoded path parameter; the route match
    is on the raw path."""
    return checked_article_id(str((app.current_event.path_parameters or {}).get("article_id", matched)))
