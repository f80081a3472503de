"""IBM's error shapes, and how the shared refusals map onto them.

The Quantum API answers ``{"errors": [{"code", "message", "more_info"}], "trace",
"status_code"}``; IAM answers ``{"errorCode", "errorMessage", "context"}``. The
qiskit-ibm-runtime client looks for an ``error`` key it does not find in either, so
it puts the whole body text into its exception message: the code and message reach
the orchestrator's logs either way.

Numeric codes come from IBM's error code registry where one means the same thing
(``1004`` backend not available, ``1007`` backend not found, ``1217`` session closed,
``3458`` pending jobs limit, ...); every other refusal keeps the machine-readable code
the native API uses (``rate_limited``, ``queue_full``, ``injected_error``, ...).
"""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from fake_backends.api.middleware import endpoint_kind
from plumbing.http_errors import ApiError

__all__ = ["IAM_ROUTE", "IBM_CODES", "MAX_BODY_BYTES", "ibm_error", "render"]

IAM_ROUTE = "token"
MAX_BODY_BYTES = 16 << 20  # primitive jobs carry QPY; IBM accepts payloads of many MiB
MORE_INFO = "https://quantum.cloud.ibm.com/docs/errors"

#: Shared refusal codes -> IBM's registry code for the same meaning.
IBM_CODES: dict[str, int] = {
    "backend_offline": 1004,
    "backend_maintenance": 1004,
    "backend_not_found": 1007,
    "invalid_circuit": 1002,
    "too_many_qubits": 1002,
    "invalid_field": 1002,
    "session_closed": 1217,
    "pending_jobs_limit": 3458,
}


def ibm_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """A Quantum API error response."""
    body = {
        "errors": [{"code": IBM_CODES.get(code, code), "message": message, "more_info": MORE_INFO}],
        "trace": secrets.token_hex(16),
        "status_code": status,
    }
    return web.json_response(body, status=status, headers=headers)


def iam_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """An IAM error response (the token endpoint's own shape)."""
    body: dict[str, Any] = {
        "errorCode": f"BXNIM{status:04d}E",
        "errorMessage": message,
        "context": {"requestId": secrets.token_hex(8), "reason": code},
    }
    return web.json_response(body, status=status, headers=headers)


#: Shared refusal codes IBM answers with another HTTP status than the native API.
IBM_STATUS: dict[str, int] = {"pending_jobs_limit": 400}


def render(request: web.Request, exc: ApiError) -> web.Response:
    """The IBM sub-application's :data:`~fake_backends.api.middleware.ERROR_RENDERER`."""
    make = iam_error if endpoint_kind(request) == IAM_ROUTE else ibm_error
    return make(IBM_STATUS.get(exc.code, exc.status), exc.code, exc.message, exc.headers)
