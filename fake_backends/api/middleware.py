"""HTTP-level faults for any protocol: the aiohttp side of ``BackendControl.admit``.

Each protocol names its routes after the endpoint kinds in
:data:`fake_backends.switches.ENDPOINTS` (``submit``, ``status``, ...; ``kind:suffix``
when several routes of one router share a kind); this middleware
asks the backend's control whether a request is refused before it runs (rate limit,
outage, maintenance, injected 5xx) or whether its answer is lost after it ran, and
answers with the protocol's JSON error. Routes with other names (health, metrics) are
never faulted.

A protocol other than the native one is an aiohttp sub-application (its own router,
so its routes carry the same endpoint names) that stores its error renderer under
:data:`ERROR_RENDERER`; :func:`protocol_errors`, placed between the native JSON errors
and the fault middleware, renders every error of that protocol's requests, the faults'
included, in the protocol's own shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from fake_backends.control import BackendControl, Refusal
from fake_backends.errors import JobRefused
from fake_backends.switches import ENDPOINTS
from plumbing.clock import Clock
from plumbing.http_errors import ApiError

__all__ = [
    "ERROR_RENDERER",
    "ErrorRenderer",
    "api_error",
    "endpoint_kind",
    "http_faults",
    "protocol_errors",
    "refusals_as_api_errors",
    "retry_after",
]

_FAULTED = frozenset(ENDPOINTS)

#: Renders an :class:`ApiError` raised while serving a request, in a protocol's shape.
ErrorRenderer = Callable[[web.Request, ApiError], web.Response]
ERROR_RENDERER: web.AppKey[ErrorRenderer] = web.AppKey("error_renderer")


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
        endpoint = endpoint_kind(request)
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


def endpoint_kind(request: web.Request) -> str | None:
    """The endpoint kind a request's route is named by: ``kind`` or ``kind:suffix``.

    (aiohttp names are unique per router, so routes sharing a kind add a suffix.)
    """
    route = request.match_info.route
    name = route.name if route is not None else None
    return name.partition(":")[0] if name else None


@web.middleware
async def protocol_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render the errors of a sub-application's requests with its :data:`ERROR_RENDERER`."""
    render = next(
        (app[ERROR_RENDERER] for app in reversed(request.match_info.apps) if ERROR_RENDERER in app),
        None,
    )
    if render is None:
        return await handler(request)
    try:
        return await handler(request)
    except ApiError as exc:
        return render(request, exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        return render(request, ApiError(exc.status, code, exc.text or exc.reason))


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
