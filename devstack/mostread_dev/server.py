"""The local HTTP API: template routes served through payload-2.0 events, plus the local-only pages.

``LocalApi`` decides what answers a request (pure dispatch, unit tested without sockets); ``DevHttpServer``
is the stdlib threading server that reads requests off the socket and writes the responses back.

Dispatch order: a CORS preflight for an API path; an API route; the local admin routes under ``/_local``
(loopback clients only); the demo pages and static files; then 405 for a known path with another method,
or 404. Errors use the contract's error body.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import mimetypes
import re
import socket
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from mostread_dev.apigw import (
    HttpRequest,
    HttpResponse,
    InvalidLambdaResponse,
    build_event,
    error_response,
    response_from_result,
)
from mostread_dev.cors import CorsPolicy
from mostread_dev.template import Route

log = logging.getLogger("mostread_dev.http")

MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway HTTP API's payload limit
MAX_EVENT_BYTES = 6 * 1024 * 1024  # Lambda's limit on a synchronous invocation's payload
NO_BODY_STATUSES = (204, 304)

Invoke = Callable[[str, dict[str, object]], object]
LocalHandler = Callable[[HttpRequest], HttpResponse]
PageRenderer = Callable[[str | None], str]

_ARTICLE_PAGE = re.compile(r"/articles/([^/]+)")
_STATIC_FILE = re.compile(r"/static/([A-Za-z0-9][A-Za-z0-9_.-]*)")
_ARTICLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")


@dataclass(frozen=True)
class LocalPages:
    """The demo site: ``/``, ``/articles/<id>`` (both rendered by ``render``) and ``/static/<file>`` (looked up
    in ``static_dirs`` in order)."""

    render: PageRenderer
    static_dirs: Sequence[Path] = ()

    def serves(self, path: str) -> bool:
        return path in ("/", "/favicon.ico") or bool(_ARTICLE_PAGE.fullmatch(path) or _STATIC_FILE.fullmatch(path))

    def respond(self, path: str) -> HttpResponse:
        if path == "/":
            return _html(self.render(None))
        if path == "/favicon.ico":
            return HttpResponse(204, [("cache-control", "public, max-age=86400")])
        article = _ARTICLE_PAGE.fullmatch(path)
        if article:
            article_id = unquote(article.group(1))
            if not _ARTICLE_ID.fullmatch(article_id) or ".." in article_id:
                return error_response(404, "not_found", "no such article page", None)
            return _html(self.render(article_id))
        static = _STATIC_FILE.fullmatch(path)
        return self._static(static.group(1) if static else "")

    def _static(self, name: str) -> HttpResponse:
        if ".." in name:
            return error_response(404, "not_found", "no such file", None)
        for directory in self.static_dirs:
            candidate = directory / name
            if candidate.is_file():
                return HttpResponse(
                    200,
                    [("content-type", content_type_of(name)), ("cache-control", "no-cache")],
                    candidate.read_bytes(),
                )
        return error_response(404, "not_found", f"no static file {name}", None)


def content_type_of(name: str) -> str:
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if guessed == "application/javascript":
        guessed = "text/javascript"
    textual = guessed.startswith("text/") or guessed in ("image/svg+xml", "application/json")
    return f"{guessed}; charset=utf-8" if textual else guessed


def _html(page: str) -> HttpResponse:
    return HttpResponse(
        200, [("content-type", "text/html; charset=utf-8"), ("cache-control", "no-cache")], page.encode("utf-8")
    )


FALLBACK_PATH = "$default"


class LocalApi:
    def __init__(
        self,
        routes: Sequence[Route],
        invoke: Invoke,
        *,
        cors: CorsPolicy | None = None,
        local_routes: Mapping[tuple[str, str], LocalHandler] | None = None,
        pages: LocalPages | None = None,
        domain_name: str = "localhost",
    ) -> None:
        # API Gateway's $default route takes every request no other route matches
        self._routes = [route for route in routes if route.path != FALLBACK_PATH]
        self._fallback = next((route for route in routes if route.path == FALLBACK_PATH), None)
        self._invoke = invoke
        self._cors = cors
        self._local_routes = dict(local_routes or {})
        self._pages = pages
        self.domain_name = domain_name

    def handle(self, request: HttpRequest) -> HttpResponse:
        path, method = request.raw_path, request.method.upper()
        if method == "OPTIONS" and request.header("access-control-request-method") and self._is_api_path(path):
            return self._preflight(request)
        for route in self._routes:
            parameters = route.match(method, path)
            if parameters is not None:
                return self._with_cors(request, self._call(route, parameters, request))
        if path.startswith("/_local/"):
            return self._local(method, path, request)
        if self._pages is not None and self._pages.serves(path):
            if method in ("GET", "HEAD"):
                return self._pages.respond(path)
            return _method_not_allowed(["GET", "HEAD"])
        if self._fallback is not None:
            return self._with_cors(request, self._call(self._fallback, {}, request))
        allowed = self._api_methods(path)
        if allowed:
            return self._with_cors(request, _method_not_allowed(allowed))
        return error_response(404, "not_found", f"no route for {method} {path}", None)

    # -- API routes ---------------------------------------------------------------------------------------

    def _call(self, route: Route, parameters: dict[str, str], request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        event = build_event(
            request, route.route_key, parameters, request_id=request_id, now=time.time(), domain_name=self.domain_name
        )
        if len(json.dumps(event)) > MAX_EVENT_BYTES:
            return error_response(413, "body_too_large", "the request exceeds Lambda's 6 MB payload limit", None)
        try:
            response = response_from_result(self._invoke(route.function_id, event))
        except InvalidLambdaResponse:
            log.exception("%s (%s) returned a response API Gateway would refuse", route.route_key, route.function_id)
            return _internal_error(request_id)
        except Exception:
            log.exception("%s (%s) raised", route.route_key, route.function_id)
            return _internal_error(request_id)
        return HttpResponse(response.status, [*response.headers, ("apigw-requestid", request_id)], response.body)

    def _is_api_path(self, path: str) -> bool:
        return bool(self._api_methods(path))

    def _api_methods(self, path: str) -> list[str]:
        methods = {route.method for route in self._routes if route.match(route.method, path) is not None}
        return sorted(methods)

    # -- CORS -----------------------------------------------------------------------------------------------

    def _preflight(self, request: HttpRequest) -> HttpResponse:
        if self._cors is None:
            return _method_not_allowed(self._api_methods(request.raw_path))
        headers = self._cors.preflight_headers(
            request.header("origin"),
            request.header("access-control-request-method") or "",
            request.header("access-control-request-headers"),
        )
        return HttpResponse(204, headers)

    def _with_cors(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if self._cors is None or not request.header("origin"):
            return response
        extra = self._cors.response_headers(request.header("origin"))
        return HttpResponse(response.status, [*response.headers, *extra], response.body)

    # -- local admin routes ---------------------------------------------------------------------------------

    def _local(self, method: str, path: str, request: HttpRequest) -> HttpResponse:
        handler = self._local_routes.get((method, path))
        if handler is None:
            allowed = sorted(m for m, p in self._local_routes if p == path)
            if allowed:
                return _method_not_allowed(allowed)
            return error_response(404, "not_found", f"no local route {method} {path}", None)
        if not is_loopback(request.source_ip):
            return error_response(403, "forbidden", "local routes answer only clients on this machine", None)
        return handler(request)


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _method_not_allowed(allowed: Sequence[str]) -> HttpResponse:
    return error_response(
        405,
        "method_not_allowed",
        f"method not allowed; use {', '.join(allowed)}",
        None,
        [("allow", ", ".join(allowed))],
    )


def _internal_error(request_id: str) -> HttpResponse:
    return error_response(500, "internal_error", f"the function failed (request {request_id}); see the log", None)


# --- the socket side -------------------------------------------------------------------------------------


class DevHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, api: LocalApi) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.api = api
        super().__init__((host, port), _RequestHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as API Gateway offers
    server_version = "mostread-dev"
    sys_version = ""
    server: DevHttpServer
    timeout = 60  # an idle keep-alive connection lets go of its thread after a minute

    def _serve(self) -> None:
        started = time.perf_counter()
        request_or_refusal = self._read_request()
        if isinstance(request_or_refusal, HttpResponse):
            response = request_or_refusal
        else:
            response = self.server.api.handle(request_or_refusal)
        self._write(response)
        path = self.path.split("?", 1)[0]
        # Never the client's address: the service promises not to keep raw IPs, its dev server does the same.
        log.info("%s %s %d %.1fms", self.command, path, response.status, (time.perf_counter() - started) * 1000)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

    def __getattr__(self, name: str) -> Callable[[], None]:
        # Every other method (TRACE, QUERY, CONNECT, any token) goes through the same dispatch, rather than the
        # stdlib's 501 HTML page: a known API path answers 405 with Allow and the contract's error body, any other
        # path 404. That is what the API promises for a method its document does not list. The deployed HTTP API
        # answers such requests itself, 404 {"message": "Not Found"}, until the template gives it a $default route
        # (docs/reliability.md, "Hostile input").
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: object) -> None:
        """Silenced: the stdlib logs the client's address with every line."""

    def _read_request(self) -> HttpRequest | HttpResponse:
        body = self._read_body()
        if isinstance(body, HttpResponse):
            return body
        return HttpRequest(
            method=self.command,
            target=self.path,
            headers=tuple((name, value) for name, value in self.headers.items()),
            body=body,
            source_ip=str(self.client_address[0]),
            protocol=self.request_version,
        )

    def _read_body(self) -> bytes | HttpResponse:
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            return self._read_chunked_body()
        length_text = self.headers.get("content-length")
        if length_text is None:
            return b""
        if not length_text.strip().isdigit():
            self.close_connection = True
            return error_response(400, "bad_request", "Content-Length is not a number", None)
        length = int(length_text)
        if length > MAX_REQUEST_BYTES:
            self.close_connection = True  # the unread body must not be taken for the next request
            return _request_too_large()
        return self.rfile.read(length)

    def _read_chunked_body(self) -> bytes | HttpResponse:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                self.close_connection = True
                return error_response(400, "bad_request", "malformed chunked body", None)
            if size == 0:
                while self.rfile.readline(8192).strip():
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_REQUEST_BYTES:
                self.close_connection = True
                return _request_too_large()
            chunks.append(self.rfile.read(size))
            self.rfile.readline(8)  # the CRLF after each chunk

    def _write(self, response: HttpResponse) -> None:
        status = response.status
        body = b"" if status in NO_BODY_STATUSES else response.body
        try:
            self.send_response(status)
            for name, value in response.headers:
                self.send_header(name, value)
            if status not in NO_BODY_STATUSES:
                self.send_header("content-length", str(len(body)))
            if self.close_connection:
                self.send_header("connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away; nothing to tell it


def _request_too_large() -> HttpResponse:
    return error_response(413, "body_too_large", f"request bodies are limited to {MAX_REQUEST_BYTES} bytes", None)
