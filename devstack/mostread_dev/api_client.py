"""A small HTTP client for the mostread API (stdlib only), with optional SigV4 signing for the IAM-authorised
routes of a deployed API. Used by the ``mostread`` subcommands, the demo readers and the stack's self-check."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

DEFAULT_URL = "http://127.0.0.1:3000"
EDITORIAL_PATH = "/v1/editorial"
_EXECUTE_API_HOST = re.compile(r"[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?")


class ApiUnavailable(RuntimeError):
    """The API could not be reached at all (refused, timed out, DNS)."""


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: Mapping[str, str]
    """Lower-case names; repeated headers comma-joined."""
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def error_code(self) -> str | None:
        """The contract's ``error.code``, when the body is an error body."""
        try:
            document = self.json()
        except ValueError:
            return None
        error = document.get("error") if isinstance(document, dict) else None
        return str(error.get("code")) if isinstance(error, dict) else None


class SigV4Signer:
    """Signs requests for API Gateway's AWS_IAM authorizer (service ``execute-api``) with the credentials
    and region boto3 finds (environment, profile, SSO, instance role)."""

    def __init__(self, region: str | None = None) -> None:
        import boto3  # heavy; only the --sigv4 paths need it

        session = boto3.Session()
        credentials = session.get_credentials()
        if credentials is None:
            raise ApiUnavailable("--sigv4: no AWS credentials found (environment, profile or role)")
        self._credentials = credentials.get_frozen_credentials()
        self.region = region or session.region_name
        if not self.region:
            raise ApiUnavailable("--sigv4: no AWS region (set AWS_REGION or use an execute-api URL)")

    def headers(self, method: str, url: str, body: bytes | None, headers: Mapping[str, str]) -> dict[str, str]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        request = AWSRequest(method=method, url=url, data=body or b"", headers=dict(headers))
        SigV4Auth(self._credentials, "execute-api", self.region).add_auth(request)
        return {name: str(value) for name, value in request.headers.items()}


def region_of_url(url: str) -> str | None:
    """The region in an ``https://{api}.execute-api.{region}.amazonaws.com`` URL."""
    found = _EXECUTE_API_HOST.fullmatch(urlsplit(url).hostname or "")
    return found.group(1) if found else None


class ApiClient:
    def __init__(self, base_url: str = DEFAULT_URL, *, signer: SigV4Signer | None = None, timeout: float = 10.0):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"the API URL must be an http(s) URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._signer = signer
        self._timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
    ) -> ApiResponse:
        url = self.base_url + path + (f"?{urlencode(query)}" if query else "")
        all_headers = dict(headers or {})
        if self._signer is not None:
            all_headers = self._signer.headers(method, url, body, all_headers)
        request = urllib.request.Request(url, data=body, headers=all_headers, method=method)  # noqa: S310 - scheme checked in __init__
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310 - same
                return ApiResponse(response.status, _headers(response.headers.items()), response.read())
        except urllib.error.HTTPError as error:
            with error:
                return ApiResponse(error.code, _headers(error.headers.items()), error.read())
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise ApiUnavailable(f"{method} {url}: {getattr(error, 'reason', error)}") from error

    def get(self, path: str, query: Mapping[str, str] | None = None) -> ApiResponse:
        return self.request("GET", path, query=query)

    def post_json(self, path: str, document: Any, headers: Mapping[str, str] | None = None) -> ApiResponse:
        return self.request("POST", path, body=_json_bytes(document), headers=_json_headers(headers))

    def put_json(self, path: str, document: Any) -> ApiResponse:
        return self.request("PUT", path, body=_json_bytes(document), headers=_json_headers(None))

    def delete(self, path: str) -> ApiResponse:
        return self.request("DELETE", path)

    def put_article(self, article_id: str, body: Mapping[str, Any]) -> ApiResponse:
        return self.put_json(f"/v1/articles/{quote(article_id, safe='')}", dict(body))

    # Editorial controls (IAM-authorised in AWS, like the catalog's PUT and DELETE)

    def editorial(self) -> ApiResponse:
        return self.get(EDITORIAL_PATH)

    def put_exclusion(self, article_id: str, body: Mapping[str, Any]) -> ApiResponse:
        return self.put_json(editorial_path("exclusions", article_id), dict(body))

    def delete_exclusion(self, article_id: str) -> ApiResponse:
        return self.delete(editorial_path("exclusions", article_id))

    def put_pin(self, article_id: str, body: Mapping[str, Any]) -> ApiResponse:
        return self.put_json(editorial_path("pins", article_id), dict(body))

    def delete_pin(self, article_id: str) -> ApiResponse:
        return self.delete(editorial_path("pins", article_id))


def editorial_path(control: Literal["exclusions", "pins"], article_id: str) -> str:
    """``/v1/editorial/{control}/{article_id}``, the id percent-encoded as one path segment."""
    return f"{EDITORIAL_PATH}/{control}/{quote(article_id, safe='')}"


def _json_bytes(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def _json_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {"content-type": "application/json", **(headers or {})}


def _headers(items: Any) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in items:
        key = str(name).lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else str(value)
    return joined
