"""The Powertools HTTP resolver every routed function uses, with the contract's error bodies wired in once.

Kept out of ``mostread.http`` so the tracker, which needs no resolver, does not import one at cold start.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError as BotoClientError

from mostread import failures, http
from mostread.errors import ClientError, NotFound
from mostread.services.catalog import checked_article_id

NO_STORE = {"cache-control": "no-store"}


def error_body(error: ClientError) -> Response[str]:
    return Response(error.status, http.JSON_TYPE, http.dumps(error.body()), NO_STORE)


def unavailable(error: Exception) -> Response[str]:
    """A throttled or unreachable dependency: 503 with Retry-After. Anything else from boto is a bug, re-raised."""
    if not failures.is_dependency_failure(error):
        raise error
    failures.report(error)
    return Response(503, http.JSON_TYPE, http.dumps(failures.body()), dict(failures.HEADERS))


def contract_resolver() -> APIGatewayHttpResolver:
    """A resolver whose client errors, unknown routes and failing dependencies answer with the contract's error
    body."""
    app = APIGatewayHttpResolver()
    app.exception_handler(ClientError)(error_body)
    app.exception_handler([BotoClientError, BotoCoreError])(unavailable)
    app.not_found(lambda _: error_body(NotFound("no such route", None)))
    return app


def path_article_id(app: APIGatewayHttpResolver, matched: str) -> str:
    """The checked article id of the path. API Gateway hands over the decoded path parameter; the route match
    is on the raw path."""
    return checked_article_id(str((app.current_event.path_parameters or {}).get("article_id", matched)))
