"""JSON errors for every protocol: a malformed request gets a 4xx body, never a crash.

Error bodies have one shape: ``{"error": {"status": 400, "code": "...", "message": "..."}}``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

__all__ = ["ApiError", "error_response", "json_errors", "read_json_object"]

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Raise from a handler to answer with a JSON error."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        super().__init__(f"{status} {code}: {message}")


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    """Build the JSON error response every endpoint uses."""
    body = {"error": {"status": status, "code": code, "message": message}}
    return web.json_response(body, status=status, headers=headers)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn ApiError, aiohttp's HTTP errors and unexpected exceptions into JSON bodies."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        headers = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
        return error_response(exc.status, code, exc.text or exc.reason, headers)
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(500, "internal_error", "internal server error")


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """Parse a JSON object body or raise a 400 (or 415) ApiError saying what is wrong."""
    if request.content_type not in ("application/json", ""):
        raise ApiError(415, "unsupported_media_type", "send Content-Type: application/json")
    raw = await request.read()
    try:
        body = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "body must be a JSON object")
    return body


def field(body: Mapping[str, Any], name: str, kind: type, *, required: bool = True) -> Any:
    """Return ``body[name]`` checked against ``kind`` (400 when missing or mistyped)."""
    if name not in body or body[name] is None:
        if required:
            raise ApiError(400, "missing_field", f"missing required field: {name}")
        return None
    value = body[name]
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        found = type(value).__name__
        raise ApiError(400, "invalid_field", f"{name}: expected {kind.__name__}, found {found}")
    return value
