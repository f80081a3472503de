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
import math
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

__all__ = [
    "ApiCallError",
    "ApiError",
    "PlumbingError",
    "call_error",
    "error_body",
    "error_response",
    "field",
    "json_errors",
    "parse_json",
    "read_json_object",
    "retry_after_seconds",
]

MAX_JSON_DEPTH = 64  # deeper bodies are refused: nothing we accept nests past a few levels

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


def error_body(status: int, message: str) -> dict[str, Any]:
    """The error body of a request aiohttp could not parse (see :mod:`plumbing.serve`)."""
    code = "bad_request" if status == 400 else f"http_{status}"
    return {"error": {"status": status, "code": code, "message": message}}


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


def parse_json(raw: bytes) -> Any:
    """Parse a request body as JSON, or raise ``ValueError`` saying what is wrong.

    Stricter than :func:`json.loads` where a server must be: bodies nested deeper than
    :data:`MAX_JSON_DEPTH` (``json`` recurses, and a thousand levels raise RecursionError)
    and strings holding a lone surrogate (``"\\ud800"`` is valid JSON but no Unicode
    text: it cannot be encoded, hashed or written back) are refused, as are ``NaN`` and
    ``Infinity``, which strict JSON does not have (nor numbers like ``1e400`` that overflow
    to it).
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8: {exc}") from None
    try:
        body = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    _check_values(body)
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses to inf
        raise ValueError(f"{text} is out of range for a number")
    return value


def _check_values(body: Any) -> None:
    stack = [(body, 1)]  # no recursion: the body may be as deep as json allowed
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
            if isinstance(value, dict):
                for k in value:
                    _check_text(k)
                value = list(value.values())
            stack.extend((v, depth + 1) for v in value)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a string holds a lone surrogate (\\ud800-\\udfff)") from None


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """Parse a JSON object body or raise a 400 (or 415) ApiError saying what is wrong."""
    if request.content_type not in ("application/json", ""):
        raise ApiError(415, "unsupported_media_type", "send Content-Type: application/json")
    return json_object(await request.read())


def json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object request body, or a 400 ApiError saying what is wrong with it."""
    try:
        body = parse_json(raw) if raw else None
    except ValueError as exc:
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
    return ApiCallError(status, code, message, retry_after=retry_after_seconds(retry_after))


def retry_after_seconds(header: str | None) -> float | None:
    """A ``Retry-After`` header in seconds; None when absent or not a number (an HTTP
    date is allowed there too, but no server of the project sends one)."""
    try:
        return float(header) if header is not None else None
    except ValueError:
        return None
