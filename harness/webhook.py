"""The alert webhook the system under test pages: every alert becomes a journal record.

Accepts the reference orchestrator's flat form (``{"status", "alertname", ...}``) and
Prometheus Alertmanager's webhook form (``{"alerts": [{"status", "labels": {...}}]}``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Self

from aiohttp import web

from fake_backends.aio import serve_app
from fake_backends.api.errors import ApiError, json_errors, read_json_object
from harness.observe import Journal

__all__ = ["AlertReceiver"]


class AlertReceiver:
    """Serves ``POST /alerts`` on loopback and journals each alert."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self.url = ""
        self.received = 0
        self._arrived = asyncio.Condition()

    async def wait_for(self, count: int) -> None:
        """Wait until ``count`` alerts have been received in total."""
        async with self._arrived:
            await self._arrived.wait_for(lambda: self.received >= count)

    @asynccontextmanager
    async def running(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[Self]:
        app = web.Application(middlewares=[json_errors], client_max_size=256 * 1024)
        app.router.add_post("/alerts", self._receive)
        async with serve_app(app, host, port) as base:
            self.url = base + "/alerts"
            yield self

    async def _receive(self, request: web.Request) -> web.Response:
        body = await read_json_object(request)
        alerts = body.get("alerts") if "alerts" in body else [body]
        if not isinstance(alerts, list) or not alerts:
            raise ApiError(400, "invalid_body", "expected an alert or {'alerts': [...]}")
        for alert in [_normalise(a) for a in alerts]:
            self._journal.record("alert", **alert)
        async with self._arrived:
            self.received += len(alerts)
            self._arrived.notify_all()
        return web.json_response({"received": len(alerts)})


def _normalise(alert: Any) -> dict[str, Any]:
    if not isinstance(alert, dict):
        raise ApiError(400, "invalid_body", "each alert must be a JSON object")
    status = alert.get("status")
    if status not in ("firing", "resolved"):
        raise ApiError(400, "invalid_field", "status: expected 'firing' or 'resolved'")
    labels = _mapping(alert.get("labels"))
    annotations = _mapping(alert.get("annotations"))
    name = alert.get("alertname") or labels.get("alertname") or "unnamed"
    return {
        "status": status,
        "name": str(name),
        "source": str(alert.get("source", "")),
        "summary": str(annotations.get("summary", "")),
    }


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
