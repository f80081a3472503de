"""The JSON error shape, both sides: a server answers with it, a client reads it back.

Error bodies have one shape: ``{"error": {"status": 400, "code": "...", "message": "..."}}``.
Every server of the project (the fake clouds' protocols, the reference orchestrator, the
harness's alert webhook) answers a malformed request with a 4xx body, never a crash::

    PlumbingError
    ├── ApiError       raise in a handler: answered as that JSON error (json_errors)
    └── ApiCallError   a JSON API answered with an error, or could not be reached
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

__all__ = [
    "ApiCallError",
    "ApiError",
    "PlumbingError",
    "call_error",
    "error_response",
    "field",
    "json_errors",
    "read_json_object",
]

log = logging.getLogger(__name__)


class PlumbingError(Exception):
    """Root of the plumbing's errors: both carry ``status`` and a machine-readable ``code``."""


class ApiError(PlumbingError):
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


class ApiCallError(PlumbingError):
    """A JSON API answered with an error status, or could not be reached (``status`` 0)."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after: float | None = None
    ) -> None:
        self.status = status
        self.code = code
        self.retry_after = retry_after
        super().__init__(f"{status} {code}: {message}")

    @property
    def unauthorized(self) -> bool:
        return self.status == 401

    @property
    def not_delivered(self) -> bool:
        """The connection could not even be opened: the request surely never arrived."""
        return self.code == "connect_error"

    @property
    def retryable(self) -> bool:
        """Worth retrying later: transport error, 408, 425, 429 or 5xx."""
        return self.status in (0, 408, 425, 429) or self.status >= 500


def call_error(status: int, body: Any, retry_after: str | None = None) -> ApiCallError:
    """The :class:`ApiCallError` an error answer stands for (any body, even not ours)."""
    err = body.get("error") if isinstance(body, dict) else None
    code = str(err.get("code", "error")) if isinstance(err, dict) else "error"
    message = str(err.get("message", "")) if isinstance(err, dict) else str(body)
    try:
        wait = float(retry_after) if retry_after is not None else None
    except ValueError:
        wait = None
    return ApiCallError(status, code, message, retry_after=wait)
