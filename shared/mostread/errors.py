"""Errors a client caused, with the contract's error body; mapped to HTTP in one place (mostread.http)."""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    """A 4xx: the request is wrong. ``field`` names the offending field or parameter, if any."""

    status = 400

    def __init__(self, code: str, message: str, field: str | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            self.status = status

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class NotFound(ClientError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__("not_found", message, field, status=404)


def field_path(location: tuple[int | str, ...]) -> str:
    """pydantic's error location as the field name a client sees: ``views[3].article_id``."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
