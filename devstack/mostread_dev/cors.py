"""CORS as the template's HttpApi ``CorsConfiguration`` configures it: API Gateway answers preflight requests
itself and adds ``access-control-*`` headers to the responses of requests that carry an Origin."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mostread_dev.template import Template, TemplateError

HTTP_API = "AWS::Serverless::HttpApi"


@dataclass(frozen=True)
class CorsPolicy:
    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    def allowed_origin(self, origin: str | None) -> str | None:
        """The access-control-allow-origin value for ``origin``, or None when it is not allowed."""
        if not origin:
            return None
        if "*" in self.allow_origins and not self.allow_credentials:
            return "*"
        return origin if origin in self.allow_origins or "*" in self.allow_origins else None

    def preflight_headers(
        self, origin: str | None, requested_method: str, requested_headers: str | None
    ) -> list[tuple[str, str]]:
        """Headers of the answer to a preflight; empty when the request is not allowed (the browser then
        refuses the real request, as it does against API Gateway)."""
        allowed = self.allowed_origin(origin)
        if allowed is None or not self._method_allowed(requested_method):
            return []
        wanted = [name.strip().lower() for name in (requested_headers or "").split(",") if name.strip()]
        if not all(self._header_allowed(name) for name in wanted):
            return []
        headers = [
            ("access-control-allow-origin", allowed),
            ("access-control-allow-methods", ",".join(self.allow_methods) or requested_method),
        ]
        if wanted:
            headers.append(("access-control-allow-headers", ",".join(wanted)))
        if self.max_age is not None:
            headers.append(("access-control-max-age", str(self.max_age)))
        return headers + self._credentials_header() + _vary_on_origin(allowed)

    def response_headers(self, origin: str | None) -> list[tuple[str, str]]:
        """Headers added to an ordinary response to a request with an Origin header."""
        allowed = self.allowed_origin(origin)
        if allowed is None:
            return []
        headers = [("access-control-allow-origin", allowed)]
        if self.expose_headers:
            headers.append(("access-control-expose-headers", ",".join(self.expose_headers)))
        return headers + self._credentials_header() + _vary_on_origin(allowed)

    def _method_allowed(self, method: str) -> bool:
        methods = {m.upper() for m in self.allow_methods}
        return "*" in methods or method.upper() in methods

    def _header_allowed(self, name: str) -> bool:
        allowed = {h.lower() for h in self.allow_headers}
        return "*" in allowed or name in allowed

    def _credentials_header(self) -> list[tuple[str, str]]:
        return [("access-control-allow-credentials", "true")] if self.allow_credentials else []


def _vary_on_origin(allowed: str) -> list[tuple[str, str]]:
    # A response that names one origin differs per origin; caches must know.
    return [] if allowed == "*" else [("vary", "origin")]


def cors_policy(template: Template) -> CorsPolicy | None:
    """The CorsConfiguration of the template's (first) HttpApi, with parameter references resolved to their
    defaults; None when the API has no CORS."""
    for resource in template.resources_of_type(HTTP_API).values():
        configuration = (resource.get("Properties") or {}).get("CorsConfiguration")
        if configuration is True:
            return CorsPolicy(allow_origins=("*",), allow_methods=("*",), allow_headers=("*",))
        if isinstance(configuration, dict):
            return _policy_from(configuration, template.parameter_defaults())
    return None


def _policy_from(configuration: dict[str, Any], parameters: dict[str, str]) -> CorsPolicy:
    max_age = _resolve(configuration.get("MaxAge"), parameters)
    credentials = _resolve(configuration.get("AllowCredentials"), parameters)
    return CorsPolicy(
        allow_origins=_text_list(configuration.get("AllowOrigins"), parameters),
        allow_methods=tuple(m.upper() for m in _text_list(configuration.get("AllowMethods"), parameters)),
        allow_headers=_text_list(configuration.get("AllowHeaders"), parameters),
        expose_headers=_text_list(configuration.get("ExposeHeaders"), parameters),
        max_age=None if max_age is None else int(str(max_age)),
        allow_credentials=str(credentials).lower() == "true",
    )


def _text_list(value: Any, parameters: dict[str, str]) -> tuple[str, ...]:
    resolved = _resolve(value, parameters)
    if resolved is None:
        return ()
    if isinstance(resolved, str):
        # a CommaDelimitedList parameter arrives as one string
        return tuple(item.strip() for item in resolved.split(",") if item.strip())
    if isinstance(resolved, Sequence):
        return tuple(str(_resolve(item, parameters)) for item in resolved)
    raise TemplateError(f"CorsConfiguration: expected a list, got {value!r}")


def _resolve(value: Any, parameters: dict[str, str]) -> Any:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        name = value["Ref"]
        if name not in parameters:
            raise TemplateError(f"CorsConfiguration: parameter {name!r} has no default")
        return parameters[name]
    return value
