"""The webhook the system under test reports to: every alert and event becomes a record.

``POST /alerts`` accepts the reference orchestrator's flat form (``{"status",
"alertname", ...}``) and Prometheus Alertmanager's webhook form (``{"alerts":
[{"status", "labels": {...}}]}``); each alert is journalled as ``alert``.

``POST /events`` takes what the SUT did about an incident: ``{"kind": "mitigation",
"name": "token-refreshed", "summary"?: "...", "source"?: "..."}`` (kinds: mitigation,
action, note), journalled as ``sut.event``. Scoring takes the first mitigation of an
incident as its mitigate time.

With a ``secret`` (every game day has one: :mod:`harness.sut.wiring`), a request must
carry it, as ``?token=<secret>`` or ``Authorization: Bearer <secret>``; anything else
gets 401 and is journalled as ``webhook.rejected`` (forged alerts would feed TTD and
TTM).

While :attr:`AlertReceiver.failing` holds a status (the ``telemetry.webhook_errors``
fault: the alert pipeline itself is down), authentic requests are answered with it and
journalled as ``webhook.refused``, not as alerts: a SUT that does not deliver again
later was never heard.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, Self

from aiohttp import web

from harness.errors import ConfigError
from harness.journal.lateness import Lateness
from harness.journal.records import (
    ALERT,
    SUT_EVENT,
    WEBHOOK_REFUSED,
    WEBHOOK_REJECTED,
    Alert,
)
from harness.journal.store import Journal
from plumbing.clock import Clock
from plumbing.http_errors import ApiError, json_errors, read_json_object
from plumbing.serve import serve_app

__all__ = ["AlertReceiver"]


class AlertReceiver:
    """Serves ``POST /alerts`` on loopback and journals each alert."""

    def __init__(
        self,
        journal: Journal,
        *,
        clock: Clock | None = None,
        lateness: Lateness | None = None,
        secret: str | None = None,
    ) -> None:
        self._journal = journal
        self._clock = clock
        self._lateness = lateness
        self._secret = secret
        self.base_url = ""
        self.url = ""  # the alert URL without the secret (tests post with secret=None)
        self.events_url = ""
        self.rejected = 0
        self.received = 0
        self.events = 0
        self.refused = 0
        self.failing: int | None = None  # answer every authentic request with this status
        #: sees the body of every authentic request (the secret watch: harness/sut/leaks.py)
        self.on_body: Callable[[str, bytes], None] | None = None
        self._arrived = asyncio.Condition()

    async def wait_for(self, count: int) -> None:
        """Wait until ``count`` alerts have been received in total."""
        async with self._arrived:
            await self._arrived.wait_for(lambda: self.received >= count)

    async def wait_for_events(self, count: int) -> None:
        """Wait until ``count`` events (``POST /events``) have been received in total."""
        async with self._arrived:
            await self._arrived.wait_for(lambda: self.events >= count)

    @asynccontextmanager
    async def running(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[Self]:
        app = web.Application(
            middlewares=[json_errors, self._check_secret], client_max_size=256 * 1024
        )
        app.router.add_post("/alerts", self._receive)
        app.router.add_post("/events", self._event)
        async with AsyncExitStack() as stack:
            try:
                base = await stack.enter_async_context(serve_app(app, host, port))
            except OSError as exc:  # a fixed webhook.port in use: the user's to fix
                raise ConfigError(
                    f"the alert webhook cannot listen on {host}:{port}: {exc.strerror or exc}"
                ) from None
            self.base_url = base
            self.url = base + "/alerts"
            self.events_url = base + "/events"
            yield self

    def _handled(self, since: float | None) -> None:
        """How long a request took from its handler's start to the journal (lateness)."""
        if self._clock is not None and self._lateness is not None and since is not None:
            self._lateness.observe("webhook", self._clock.now() - since)

    def _now(self) -> float | None:
        return self._clock.now() if self._clock is not None else None

    @web.middleware
    async def _check_secret(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if self._secret is not None:
            header = request.headers.get("Authorization", "")
            given = request.query.get("token") or header.removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), self._secret.encode()):
                self.rejected += 1
                self._journal.write(WEBHOOK_REJECTED({"path": request.path}))
                raise ApiError(
                    401, "bad_secret", "send the run's secret: ?token=... or Authorization: Bearer"
                )
        if self.on_body is not None:
            self.on_body(request.path, await request.read())  # cached for the handler
        if self.failing is not None:
            await self._refuse(request, self.failing)
        return await handler(request)

    async def _refuse(self, request: web.Request, status: int) -> None:
        """Journal what the refused request carried, and answer ``status`` (no delivery)."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        what: list[str] = []
        if isinstance(body, dict) and request.path.endswith("/events"):
            what.append(f"event:{str(body.get('name', ''))[:200]}")
        elif isinstance(body, dict):
            listed = body.get("alerts")
            for a in listed if isinstance(listed, list) else [body]:
                if isinstance(a, dict):
                    labels = _mapping(a.get("labels"))
                    name = a.get("alertname") or labels.get("alertname") or "unnamed"
                    what.append(f"{a.get('status')}:{str(name)[:200]}")
        self.refused += 1
        self._journal.write(
            WEBHOOK_REFUSED({"path": request.path, "status": status, "what": what[:20]})
        )
        raise ApiError(status, "webhook_unavailable", "the alert webhook is down (injected)")

    async def _receive(self, request: web.Request) -> web.Response:
        since = self._now()
        body = await read_json_object(request)
        alerts = body.get("alerts") if "alerts" in body else [body]
        if not isinstance(alerts, list) or not alerts:
            raise ApiError(400, "invalid_body", "expected an alert or {'alerts': [...]}")
        for alert in [_normalise(a) for a in alerts]:
            self._journal.write(ALERT(alert))
        self._handled(since)
        async with self._arrived:
            self.received += len(alerts)
            self._arrived.notify_all()
        return web.json_response({"received": len(alerts)})

    async def _event(self, request: web.Request) -> web.Response:
        since = self._now()
        body = await read_json_object(request)
        kind = body.get("kind")
        if kind not in EVENT_KINDS:
            raise ApiError(400, "invalid_field", f"kind: expected one of {', '.join(EVENT_KINDS)}")
        name = body.get("name")
        if not isinstance(name, str) or not 0 < len(name) <= 200:
            raise ApiError(400, "invalid_field", "name: expected a string of 1..200 characters")
        self._journal.write(
            SUT_EVENT(
                {
                    "kind": kind,
                    "name": name,
                    "source": str(body.get("source", ""))[:200],
                    "summary": str(body.get("summary", ""))[:500],
                }
            )
        )
        self._handled(since)
        async with self._arrived:
            self.events += 1
            self._arrived.notify_all()
        return web.json_response({"received": 1})


EVENT_KINDS = ("mitigation", "action", "note")


def _normalise(alert: Any) -> Alert:
    if not isinstance(alert, dict):
        raise ApiError(400, "invalid_body", "each alert must be a JSON object")
    status = alert.get("status")
    if status not in ("firing", "resolved"):
        raise ApiError(400, "invalid_field", "status: expected 'firing' or 'resolved'")
    labels = _mapping(alert.get("labels"))
    annotations = _mapping(alert.get("annotations"))
    name = alert.get("alertname") or labels.get("alertname") or "unnamed"
    out: Alert = {
        "status": status,
        "name": str(name),
        "source": str(alert.get("source", "")),
        "summary": str(annotations.get("summary", "")),
    }
    identity = {
        str(k)[:100]: str(v)[:200] for k, v in list(labels.items())[:MAX_LABELS] if k != "alertname"
    }
    if identity:
        out["labels"] = identity
    return out


MAX_LABELS = 20  # an alert's identity: a few labels; more is not an identity but a payload


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
