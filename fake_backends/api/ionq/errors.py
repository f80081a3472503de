"""IonQ's error shape, and how the shared refusals map onto it.

IonQ's API answers ``{"error": <HTTP reason>, "message": ..., "statusCode": <status>}``
(its "Error codes" reference, v0.3 and v0.4). qiskit-ionq reads that shape
(``IonQAPIError.from_response``: ``error`` becomes its ``error_type``), and raises
:class:`IonQRetriableError` instead for 429, 502-504 and 520-529 (and 409 on a GET),
which its retry decorators retry. The shared refusal's machine-readable code
(``queue_full``, ``rate_limited``, ``job_not_found``, ...) ends the message in
brackets, so an orchestrator's logs say which rule refused.
"""

from __future__ import annotations

from http import HTTPStatus

from aiohttp import web

from plumbing.http_errors import ApiError

__all__ = ["MAX_BODY_BYTES", "render"]

MAX_BODY_BYTES = 4 << 20  # circuit JSON with its compressed qiskit header


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def render(request: web.Request, exc: ApiError) -> web.Response:
    """The IonQ sub-application's :data:`~fake_backends.api.middleware.ERROR_RENDERER`."""
    body = {
        "error": _reason(exc.status),
        "message": f"{exc.message} [{exc.code}]",
        "statusCode": exc.status,
    }
    return web.json_response(body, status=exc.status, headers=exc.headers)
