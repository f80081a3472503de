"""HTTP-level faults for any protocol: the aiohttp side of ``BackendControl.admit``.

Each protocol names its routes after the endpoint kinds in
:data:`fake_backends.switches.ENDPOINTS` (``submit``, ``status``, ...); this middleware
asks the backend's control whether a request is refused before it runs (rate limit,
outage, maintenance, injected 5xx) or whether its answer is lost after it ran, and
answers with the protocol's JSON error. Routes with other names (health, metrics) are
never faulted.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from fake_backends.control import BackendControl, Refusal
from fake_backends.errors import JobRefused
from fake_backends.switches import ENDPOINTS
from plumbing.clock import Clock
from plumbing.http_errors import ApiError

__all__ = ["api_error", "http_faults", "refusals_as_api_errors", "retry_after"]

_FAULTED = frozenset(ENDPOINTS)


def retry_after(scenario_seconds: float) -> str:
    """A ``Retry-After`` value: whole *scenario* seconds, at least 1.

    Every duration the fake API states is in scenario time, like ``expires_in``: the
    clients that run while time is scaled (the reference orchestrator, Locust in a game
    day) read them on the scenario clock, and an external SUT runs at time scale 1,
    where scenario and wall seconds coincide.
    """
    return str(max(1, math.ceil(scenario_seconds)))


def http_faults(control: BackendControl, clock: Clock) -> Middleware:
    """Middleware applying ``control``'s HTTP-level faults to named routes."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not control.switches.http_faults:
            return await handler(request)
        route = request.match_info.route
        endpoint = route.name if route is not None else None
        if endpoint not in _FAULTED:
            return await handler(request)
        assert endpoint is not None
        refusal = control.admit(endpoint, control.client_of(request.headers.get("Authorization")))
        if refusal is not None:
            raise api_error(refusal)
        response = await handler(request)
        lost = control.lose_answer(endpoint)
        if lost is not None:
            raise api_error(lost)
        return response

    return middleware


@contextmanager
def refusals_as_api_errors() -> Iterator[None]:
    """Turn the job rules' refusals into the JSON errors the middleware renders."""
    try:
        yield
    except JobRefused as exc:
        raise api_error(Refusal(exc.status, exc.code, exc.message, exc.retry_after)) from None


def api_error(refusal: Refusal) -> ApiError:
    """The :class:`ApiError` a refusal is answered with (``Retry-After`` included)."""
    headers = {}
    if refusal.retry_after is not None:
        headers["Retry-After"] = retry_after(refusal.retry_after)
    return ApiError(refusal.status, refusal.code, refusal.message, headers=headers)
